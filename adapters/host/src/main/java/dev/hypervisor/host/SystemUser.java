package dev.hypervisor.host;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * An unprivileged system account that a runtime drops to (QEMU's {@code -runas}): looked up
 * through NSS ({@code getent}), so a user the host provides any way counts, and made on demand
 * with {@code useradd --system} (its own group, no home, no login shell) when it is missing.
 * Two daemons making it at once is fine: whoever loses finds the winner's.
 */
public record SystemUser(String name, int uid, int gid) {

    private static final int GETENT_NOT_FOUND = 2;
    private static final int ATTEMPTS = 3;

    /** The user, made if missing; IOException saying why when it can be neither found nor made. */
    public static synchronized SystemUser ensure(String name, String comment) throws IOException {
        String made = "";
        for (int attempt = 0; attempt < ATTEMPTS; attempt++) {
            Optional<SystemUser> found = lookup(name);
            if (found.isPresent()) {
                return found.get();
            }
            // Exit 9 (it exists: another daemon made it) or 10 (the passwd file is locked) are settled by looking again.
            HostCommand.Result result = HostCommand.of(Executables.findOr("useradd", Path.of("/usr/sbin/useradd"))
                    .toString(), "--system", "--user-group", "--no-create-home", "--home-dir", "/nonexistent",
                    "--shell", "/usr/sbin/nologin", "--comment", comment, name).call();
            made = "useradd exit " + result.exitCode() + (result.output().isEmpty() ? "" : ": " + result.output());
            if (result.exitCode() != 0) {
                pause();
            }
        }
        Optional<SystemUser> found = lookup(name);
        if (found.isEmpty()) {
            throw new IOException("the system user " + name + " is missing and could not be made (" + made + ")");
        }
        return found.get();
    }

    /** The user if the host knows it. */
    public static Optional<SystemUser> lookup(String name) throws IOException {
        HostCommand.Result result = HostCommand.of(List.of("getent", "passwd", name)).separatingErrors().call();
        if (result.exitCode() == GETENT_NOT_FOUND) {
            return Optional.empty();
        }
        if (result.exitCode() != 0) {
            throw new IOException("getent passwd " + name + " failed (exit " + result.exitCode() + "): " + result.errors());
        }
        return Optional.of(parse(result.output()));
    }

    /** A passwd line: {@code name:x:uid:gid:comment:home:shell}. */
    static SystemUser parse(String passwdLine) throws IOException {
        String[] fields = passwdLine.strip().split(":", -1);
        try {
            return new SystemUser(fields[0], Integer.parseInt(fields[2]), Integer.parseInt(fields[3]));
        } catch (ArrayIndexOutOfBoundsException | NumberFormatException e) {
            throw new IOException("not a passwd entry: " + passwdLine, e);
        }
    }

    private static void pause() throws IOException {
        try {
            Thread.sleep(200);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted making a system user", e);
        }
    }
}
