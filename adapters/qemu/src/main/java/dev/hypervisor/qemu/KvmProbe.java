package dev.hypervisor.qemu;

import dev.hypervisor.host.HostCommand;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Decides between KVM and TCG. {@code /dev/kvm} existing is not enough: nested KVM on some
 * hosts accepts {@code -accel kvm} and then hangs once a guest kernel starts. So the probe
 * boots a real kernel (no root disk: it runs until it panics looking for one) under KVM and
 * needs to see it get far into its boot within the timeout. The verdict is cached in the
 * options' verdict file, one per node for VMs and microVMs alike, because the probe costs
 * seconds; delete the file to probe again. One probe at a time.
 */
final class KvmProbe {

    private static final Logger LOG = LoggerFactory.getLogger(KvmProbe.class);
    static final String CACHE_FILE = "accelerator";
    /** Lines a kernel prints late in its boot, seconds apart from the first one under a hang. */
    private static final List<String> BOOTED = List.of("Freeing unused kernel", "VFS: Cannot open root device",
            "Kernel panic", "Run /init");

    private KvmProbe() {}

    /** {@code kvm} or {@code tcg} for this node, per the options and the cached or fresh probe. */
    static synchronized String accelerator(VmOptions options) {
        switch (options.accelerator()) {
            case KVM -> {
                return "kvm";
            }
            case TCG -> {
                return "tcg";
            }
            default -> { }
        }
        Path cache = options.verdictFile();
        try {
            String cached = Files.readString(cache).strip();
            if (cached.equals("kvm") || cached.equals("tcg")) {
                return cached;
            }
        } catch (IOException e) {
            // not probed yet
        }
        String verdict = probe(options);
        try {
            Files.createDirectories(cache.getParent());
            Files.writeString(cache, verdict + "\n");
        } catch (IOException e) {
            LOG.warn("cannot cache the accelerator verdict in {}: {}", cache, e.toString());
        }
        return verdict;
    }

    private static String probe(VmOptions options) {
        if (!Files.exists(Path.of("/dev/kvm"))) {
            LOG.info("no /dev/kvm: VMs run under TCG (emulation)");
            return "tcg";
        }
        Optional<Path> kernel = options.probeKernel().or(KvmProbe::hostKernel);
        if (kernel.isEmpty()) {
            LOG.warn("no kernel to probe KVM with (set a probe kernel or install one under /boot): VMs run under TCG");
            return "tcg";
        }
        List<String> command = List.of(options.qemu().toString(), "-machine", "q35,accel=kvm", "-cpu", "host",
                "-m", "256", "-nodefaults", "-display", "none", "-no-reboot", "-serial", "stdio",
                "-kernel", kernel.get().toString(), "-append", "console=ttyS0 panic=-1");
        long started = System.nanoTime();
        boolean booted = bootsWithin(command, options.probeTimeout());
        long millis = (System.nanoTime() - started) / 1_000_000;
        if (booted) {
            LOG.info("KVM booted {} in {} ms: VMs run under KVM", kernel.get(), millis);
            return "kvm";
        }
        LOG.warn("KVM did not boot {} within {} s (nested KVM hangs on some hosts): VMs run under TCG",
                kernel.get(), options.probeTimeout().toSeconds());
        return "tcg";
    }

    private static boolean bootsWithin(List<String> command, Duration timeout) {
        Process process;
        try {
            process = HostCommand.of(command).start(); // watched here, and ended at the probe's deadline below
        } catch (IOException e) {
            LOG.warn("cannot run the KVM probe: {}", e.toString());
            return false;
        }
        StringBuilder output = new StringBuilder();
        Thread reader = new Thread(() -> {
            try (InputStream in = process.getInputStream()) {
                byte[] buffer = new byte[8192];
                for (int n; (n = in.read(buffer)) > 0;) {
                    synchronized (output) {
                        output.append(new String(buffer, 0, n, StandardCharsets.UTF_8));
                    }
                }
            } catch (IOException e) {
                // the process ended
            }
        }, "kvm-probe");
        reader.setDaemon(true);
        reader.start();
        long deadline = System.nanoTime() + timeout.toNanos();
        try {
            while (System.nanoTime() < deadline) {
                synchronized (output) {
                    if (booted(output)) {
                        return true;
                    }
                }
                if (process.waitFor(50, TimeUnit.MILLISECONDS)) {
                    reader.join(1000);
                    synchronized (output) {
                        return booted(output);
                    }
                }
            }
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        } finally {
            process.destroyForcibly();
        }
    }

    private static boolean booted(StringBuilder output) {
        return BOOTED.stream().anyMatch(line -> output.indexOf(line) >= 0);
    }

    /** The running kernel's image, else the newest one under /boot. */
    private static Optional<Path> hostKernel() {
        try {
            String release = Files.readString(Path.of("/proc/sys/kernel/osrelease")).strip();
            Path own = Path.of("/boot/vmlinuz-" + release);
            if (Files.isReadable(own)) {
                return Optional.of(own);
            }
            List<Path> kernels = new ArrayList<>();
            try (DirectoryStream<Path> boot = Files.newDirectoryStream(Path.of("/boot"), "vmlinuz-*")) {
                boot.forEach(kernels::add);
            }
            return kernels.stream().filter(Files::isReadable).max(Path::compareTo);
        } catch (IOException e) {
            return Optional.empty();
        }
    }
}
