package dev.hypervisor.qemu;

import dev.hypervisor.core.driver.DriverException;
import dev.hypervisor.host.HostFailures;
import dev.hypervisor.host.SystemUser;
import java.io.IOException;
import java.util.List;

/**
 * How every QEMU guest is confined: QEMU's seccomp filter ({@code -sandbox}) and, once it has
 * opened its devices, disks, TAP, sockets and logs as root, the unprivileged user
 * {@value #USER} ({@code -runas}), made on first use. QEMU creates no file after it drops (what
 * it unlinks at exit, its sockets and pid file, stays, root's, and start removes it), so the
 * instance's files stay root's and nothing has to be opened up to that user.
 *
 * <p>What had to give: {@code elevateprivileges=allow} instead of {@code deny}. QEMU 7.2 loads
 * its filter while it reads its options, long before it drops to the {@code -runas} user at the
 * end of its set-up, and {@code deny} (and {@code children}) kill it there: SIGSYS on
 * {@code setgid} (measured; LXD and QEMU's own tests allow it for the same reason). Allowing
 * the set*id calls costs nothing once QEMU has dropped: {@code setuid} as root sets real,
 * effective and saved ids alike and clears every capability, so set*id can only move between
 * the unprivileged ids; {@code spawn=deny} forbids {@code execve}, so no set-uid binary can give
 * root back; and loading the filter sets no_new_privs anyway. Keeping {@code deny} would mean
 * starting QEMU as the user, and so opening {@code /dev/kvm}, {@code /dev/net/tun}, the TAPs,
 * disks, kernels and every directory above them to it.
 *
 * <p>{@code spawn=deny} also rules out {@code -daemonize}, which forks after the filter is in
 * (SIGSYS on clone, QEMU issue 798): {@link QemuLaunch} detaches QEMU without it.
 */
public final class QemuSandbox {

    /** The user QEMU runs as once set up. */
    public static final String USER = "hypervisor-qemu";
    /** Everything denied that QEMU can deny, except the set*id calls its own {@code -runas} needs (see above). */
    public static final String SECCOMP = "on,obsolete=deny,elevateprivileges=allow,spawn=deny,resourcecontrol=deny";

    private static volatile SystemUser user;

    private QemuSandbox() {}

    /** The options that confine QEMU. */
    static List<String> arguments() {
        return List.of("-sandbox", SECCOMP, "-runas", USER);
    }

    /** The user QEMU drops to, made with useradd when the host has none; looked up once per daemon. */
    static SystemUser user() {
        SystemUser known = user;
        if (known == null) {
            try {
                known = SystemUser.ensure(USER, "hypervisord QEMU guests");
            } catch (IOException e) {
                throw new DriverException("QEMU runs as the unprivileged user " + USER + ": " + e.getMessage(), e,
                        HostFailures.retryable(e));
            }
            user = known;
        }
        return known;
    }
}
