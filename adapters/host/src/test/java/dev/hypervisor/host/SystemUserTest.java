package dev.hypervisor.host;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** System users for real: getent, useradd and userdel on this host (the tests run as root). */
class SystemUserTest {

    @Test
    void aKnownUserIsFoundAndAnUnknownOneIsNot() throws IOException {
        assertThat(SystemUser.lookup("root")).contains(new SystemUser("root", 0, 0));
        assertThat(SystemUser.lookup("hv-no-such-user")).isEmpty();
    }

    @Test
    void aMissingUserIsMadeOnceAsAnUnprivilegedSystemUserWithItsOwnGroup() throws IOException {
        String name = "hv-test-" + Long.toString(System.nanoTime() % 1_000_000_000L, 36);
        assertThat(SystemUser.lookup(name)).isEmpty();
        try {
            SystemUser made = SystemUser.ensure(name, "hypervisord test");

            assertThat(made.name()).isEqualTo(name);
            assertThat(made.uid()).isPositive().isLessThan(1000); // Debian's system range (SYS_UID_MAX 999)
            assertThat(HostCommand.of("getent", "group", name).output()).startsWith(name + ":x:" + made.gid() + ":");
            assertThat(HostCommand.of("getent", "passwd", name).output()).endsWith(":/nonexistent:/usr/sbin/nologin");
            assertThat(SystemUser.ensure(name, "hypervisord test")).isEqualTo(made);
        } finally {
            HostCommand.of(List.of("userdel", name)).call();
        }
        assertThat(SystemUser.lookup(name)).isEqualTo(Optional.empty());
    }

    @Test
    void aPasswdLineGivesNameUidAndGid() throws IOException {
        assertThat(SystemUser.parse("hypervisor-qemu:x:999:995:QEMU guests:/nonexistent:/usr/sbin/nologin\n"))
                .isEqualTo(new SystemUser("hypervisor-qemu", 999, 995));
    }
}
