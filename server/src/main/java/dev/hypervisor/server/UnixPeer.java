package dev.hypervisor.server;

import io.grpc.Attributes;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * Who is at the other end of a unix socket connection, from the kernel (SO_PEERCRED, read when
 * the connection is accepted): its process, user, primary group and supplementary groups, and
 * whether that makes it an admin here: root, or a member of the socket's group, as on Docker's
 * and Incus's sockets.
 */
record UnixPeer(int pid, int uid, int gid, Set<Integer> groups, String user, boolean admin, String socketGroup) {

    static final Attributes.Key<UnixPeer> KEY = Attributes.Key.create("hypervisord-unix-peer");

    /** The peer with these credentials on a socket owned by group {@code socketGid}. */
    static UnixPeer of(int pid, int uid, int gid, int socketGid, String socketGroup) {
        Set<Integer> groups = supplementaryGroups(pid);
        boolean admin = uid == 0 || gid == socketGid || groups.contains(socketGid);
        return new UnixPeer(pid, uid, gid, groups, userName(uid), admin, socketGroup);
    }

    /** The name the audit log and error messages give this peer: its user name, or uid N when it has none. */
    String name() {
        return user;
    }

    String refusal() {
        return "user " + user + " (uid " + uid + ", pid " + pid + ") may not use this socket: only root and members of"
                + " the group " + socketGroup + " may (see --socket-group)";
    }

    /** The groups a process is in, as the kernel has them; empty when it is gone or out of sight. */
    private static Set<Integer> supplementaryGroups(int pid) {
        if (pid <= 0) {
            return Set.of();
        }
        try (Stream<String> lines = Files.lines(Path.of("/proc", Integer.toString(pid), "status"))) {
            return lines.filter(l -> l.startsWith("Groups:")).findFirst()
                    .map(l -> Arrays.stream(l.substring("Groups:".length()).trim().split("\\s+"))
                            .filter(s -> !s.isEmpty()).map(Integer::valueOf).collect(Collectors.toUnmodifiableSet()))
                    .orElse(Set.of());
        } catch (IOException | RuntimeException e) {
            return Set.of();
        }
    }

    private static String userName(int uid) {
        return entry(Path.of("/etc/passwd"), 2, Integer.toString(uid)).map(f -> f[0]).orElse("uid " + uid);
    }

    /** A group's id from /etc/group or, for a group from elsewhere (LDAP, sssd), from getent. */
    static Optional<Integer> groupId(String name) {
        Optional<Integer> local = entry(Path.of("/etc/group"), 0, name).map(f -> Integer.valueOf(f[2]));
        if (local.isPresent()) {
            return local;
        }
        try {
            Process getent = new ProcessBuilder("getent", "group", name).redirectErrorStream(true).start();
            String line = new String(getent.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8).trim();
            String[] fields = line.split(":", -1);
            return getent.waitFor() == 0 && fields.length > 2 ? Optional.of(Integer.valueOf(fields[2])) : Optional.empty();
        } catch (IOException | RuntimeException e) {
            return Optional.empty();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Optional.empty();
        }
    }

    static String groupName(int gid) {
        return entry(Path.of("/etc/group"), 2, Integer.toString(gid)).map(f -> f[0]).orElse("gid " + gid);
    }

    /** The group this process creates files with (its fsgid), from the kernel. */
    static int ownGroupId() throws IOException {
        try (Stream<String> lines = Files.lines(Path.of("/proc/self/status"))) {
            String gids = lines.filter(l -> l.startsWith("Gid:")).findFirst()
                    .orElseThrow(() -> new IOException("/proc/self/status has no Gid line"));
            String[] fields = gids.substring("Gid:".length()).trim().split("\\s+");
            return Integer.parseInt(fields[fields.length - 1]);
        }
    }

    /** The first line of an /etc/passwd-style file whose field {@code index} is {@code value}, split. */
    private static Optional<String[]> entry(Path file, int index, String value) {
        try (Stream<String> lines = Files.lines(file)) {
            return lines.map(l -> l.split(":", -1)).filter(f -> f.length > 2 && f[index].equals(value)).findFirst();
        } catch (IOException | RuntimeException e) {
            return Optional.empty();
        }
    }
}
