package dev.hypervisor.testkit.guest;

import dev.hypervisor.host.FileTrees;
import dev.hypervisor.host.HostCommand;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * A Debian kernel for test guests, from Debian's own package (no internet needed beyond the
 * Debian mirror): the cloud kernel {@code linux-image-cloud-amd64} depends on, as test.sh
 * fetches it into {@code download/} beside {@value #CACHE}, or as apt's cache holds it, else
 * fetched here with {@code apt-get download}. Only the cloud flavour: the guest's initramfs
 * loads its modules by name. Unpacked once into {@value #CACHE} and reused by every later run.
 */
public record GuestKernel(Path vmlinuz, Path modules) {

    /** Fails, saying what to install, unless this is root on a host with QEMU (CI runs as root with it). */
    public static void requireQemu() {
        if (!"root".equals(System.getProperty("user.name"))) {
            throw new IllegalStateException("QEMU tests need root (CI runs as root)");
        }
        if (!java.nio.file.Files.isExecutable(Path.of("/usr/bin/qemu-system-x86_64"))) {
            throw new IllegalStateException("qemu-system-x86_64 is missing: apt-get install qemu-system-x86 qemu-utils");
        }
    }


    public static final Path CACHE = Path.of("/var/cache/hypervisor-vm-test/kernel");
    private static final Pattern CLOUD_KERNEL = Pattern.compile("linux-image-[0-9][^_]*-cloud-amd64_.*\\.deb");

    public static synchronized GuestKernel get() throws IOException {
        Optional<GuestKernel> cached = find(CACHE);
        if (cached.isPresent()) {
            return cached.get();
        }
        Path deb = debianPackage();
        Path temp = CACHE.resolveSibling("kernel.tmp");
        FileTrees.delete(temp);
        Files.createDirectories(temp);
        HostCommand.run(null, List.of("dpkg-deb", "-x", deb.toString(), temp.toString()));
        FileTrees.delete(CACHE);
        Files.move(temp, CACHE, StandardCopyOption.ATOMIC_MOVE);
        return find(CACHE).orElseThrow(() -> new IllegalStateException(deb + " holds no /boot/vmlinuz-*"));
    }

    /** The module file of {@code name} (with or without its .ko), anywhere under the kernel's tree. */
    public Path module(String name) throws IOException {
        String file = name.replace('-', '_') + ".ko";
        try (Stream<Path> all = Files.walk(modules)) {
            return all.filter(p -> p.getFileName().toString().replace('-', '_').equals(file)).findFirst()
                    .orElseThrow(() -> new IllegalStateException("the guest kernel has no module " + name
                            + " (built in, or another kernel flavour?)"));
        }
    }

    private static Optional<GuestKernel> find(Path root) throws IOException {
        Path boot = root.resolve("boot");
        if (!Files.isDirectory(boot)) {
            return Optional.empty();
        }
        try (DirectoryStream<Path> kernels = Files.newDirectoryStream(boot, "vmlinuz-*")) {
            for (Path kernel : kernels) {
                String release = kernel.getFileName().toString().substring("vmlinuz-".length());
                Path modules = root.resolve("lib/modules").resolve(release);
                if (Files.isDirectory(modules)) {
                    return Optional.of(new GuestKernel(kernel, modules));
                }
            }
        }
        return Optional.empty();
    }

    private static Path debianPackage() throws IOException {
        List<Path> debs = new ArrayList<>();
        for (Path dir : List.of(CACHE.resolveSibling("download"), Path.of("/var/cache/apt/archives"))) {
            if (!Files.isDirectory(dir)) {
                continue;
            }
            try (DirectoryStream<Path> archives = Files.newDirectoryStream(dir, "*.deb")) {
                archives.forEach(deb -> {
                    if (CLOUD_KERNEL.matcher(deb.getFileName().toString()).matches()) {
                        debs.add(deb);
                    }
                });
            }
        }
        if (!debs.isEmpty()) {
            return debs.stream().max(Comparator.naturalOrder()).get();
        }
        String depends = HostCommand.output(null, List.of("apt-cache", "depends", "linux-image-cloud-amd64"));
        String name = depends.lines().map(String::strip).filter(l -> l.startsWith("Depends: linux-image-"))
                .map(l -> l.substring("Depends: ".length())).findFirst()
                .orElseThrow(() -> new IllegalStateException("apt knows no linux-image-cloud-amd64 (apt-get update?)"));
        Path download = Files.createDirectories(CACHE.resolveSibling("download"));
        HostCommand.run(download, List.of("apt-get", "download", name));
        try (Stream<Path> files = Files.list(download)) {
            return files.filter(p -> p.getFileName().toString().startsWith(name + "_")).findFirst()
                    .orElseThrow(() -> new IllegalStateException("apt-get download " + name + " left no .deb"));
        }
    }

}
