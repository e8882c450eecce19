package dev.hypervisor.host;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;

/**
 * A kernel's loadable modules, for initramfs builders: the uncompressed {@code .ko} files
 * under a {@code lib/modules/RELEASE} tree by name ({@code -} read as {@code _}, as modprobe
 * does), and the order to {@code insmod} some of them in, dependencies first, from each
 * module's {@code depends=} modinfo. A module not in the tree is taken to be built in.
 */
public record KernelModules(Map<String, Path> files) {

    public KernelModules {
        files = Map.copyOf(files);
    }

    /**
     * The modules under {@code dir}. Compressed ones ({@code .ko.xz}, {@code .ko.zst},
     * {@code .ko.gz}: Debian 13, Ubuntu) are refused with IllegalArgumentException: loading
     * nothing and counting them as built in would boot a microVM without its disks.
     */
    public static KernelModules index(Path dir) throws IOException {
        Map<String, Path> modules = new LinkedHashMap<>();
        try (Stream<Path> paths = Files.walk(dir)) {
            for (Path p : (Iterable<Path>) paths::iterator) {
                String name = p.getFileName().toString();
                if (name.endsWith(".ko")) {
                    modules.putIfAbsent(name.substring(0, name.length() - 3).replace('-', '_'), p);
                } else if (name.matches(".*\\.ko\\.(xz|zst|gz)")) {
                    throw new IllegalArgumentException("kernel modules under " + dir + " are compressed (" + name
                            + "); only uncompressed .ko modules are supported");
                }
            }
        }
        return new KernelModules(modules);
    }

    public static KernelModules none() {
        return new KernelModules(Map.of());
    }

    public boolean has(String module) {
        return files.containsKey(module.replace('-', '_'));
    }

    public Path file(String module) {
        return files.get(module.replace('-', '_'));
    }

    /** The wanted modules that are in the tree and what they need, dependencies first. */
    public List<String> loadOrder(List<String> wanted) throws IOException {
        Set<String> order = new LinkedHashSet<>();
        for (String module : wanted) {
            visit(module.replace('-', '_'), order, new LinkedHashSet<>());
        }
        return new ArrayList<>(order);
    }

    private void visit(String module, Set<String> order, Set<String> path) throws IOException {
        Path file = files.get(module);
        if (file == null || order.contains(module) || !path.add(module)) {
            return; // built in (or not for this kernel), already placed, or a cycle
        }
        for (String dependency : depends(file)) {
            visit(dependency.replace('-', '_'), order, path);
        }
        order.add(module);
    }

    private static List<String> depends(Path module) throws IOException {
        String text = new String(Files.readAllBytes(module), StandardCharsets.ISO_8859_1);
        int at = text.indexOf("\0depends=");
        if (at < 0) {
            return List.of();
        }
        int start = at + "\0depends=".length();
        int end = text.indexOf('\0', start);
        String value = text.substring(start, end < 0 ? text.length() : end); // a truncated .ko: up to its end
        return value.isEmpty() ? List.of() : List.of(value.split(","));
    }
}
