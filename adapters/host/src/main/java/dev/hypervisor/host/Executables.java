package dev.hypervisor.host;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/** Finds the host tools a runtime needs, and says which package brings one that is missing. */
public final class Executables {

    // root's PATH may lack the sbin directories, where runc, ip and iptables live.
    private static final String SYSTEM_DIRS = ":/usr/local/sbin:/usr/sbin:/sbin:/usr/local/bin:/usr/bin:/bin";

    private Executables() {}

    /** The first executable of that name on the PATH or in the system directories. */
    public static Optional<Path> find(String name) {
        for (String dir : (System.getenv().getOrDefault("PATH", "") + SYSTEM_DIRS).split(":")) {
            if (!dir.isEmpty()) {
                Path candidate = Path.of(dir, name);
                if (Files.isExecutable(candidate)) {
                    return Optional.of(candidate);
                }
            }
        }
        return Optional.empty();
    }

    /** The executable found, or {@code fallback} (where Debian installs it) so that errors name a real path. */
    public static Path findOr(String name, Path fallback) {
        return find(name).orElse(fallback);
    }

    /** Fails with IllegalStateException naming the first missing binary and the packages to install. */
    public static void require(String packages, Path... binaries) {
        missing(packages, binaries).ifPresent(reason -> {
            throw new IllegalStateException(reason);
        });
    }

    /** The first missing binary and the packages to install, or empty when all are there. */
    public static Optional<String> missing(String packages, Path... binaries) {
        for (Path binary : binaries) {
            if (!Files.isExecutable(binary)) {
                return Optional.of(binary + " is not installed (apt-get install " + packages + ")");
            }
        }
        return Optional.empty();
    }
}
