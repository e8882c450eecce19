package dev.hypervisor.microvm;

import dev.hypervisor.qemu.VmDirs;
import dev.hypervisor.qemu.QemuCommand;
import static org.assertj.core.api.Assertions.assertThat;

import dev.hypervisor.core.image.ProcessSpec;
import dev.hypervisor.core.network.NetworkAttachment;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MicroVmCommandTest {

    @TempDir
    Path tmp;

    private List<String> arguments() {
        return new MicroVmCommand("m", 1, 64L << 20, tmp.resolve("boot.qcow2"), tmp.resolve("config.img"),
                List.of(new MicroVmCommand.NamedDisk("a-very-long-disk-name-of-thirty", tmp.resolve("d.qcow2"), false)),
                Optional.of("httap"), "52:54:00:00:00:01",
                new QemuCommand.Kernel(Path.of("/k"), Optional.of(Path.of("/i")), "console=ttyS0"))
                .arguments(Path.of("/usr/bin/qemu-system-x86_64"), new VmDirs(tmp, "inst-1"));
    }

    @Test
    void virtioMmioDevicesRootFirstAndSerialsWithinVirtiosLimit() {
        List<String> args = arguments();
        assertThat(args).containsSequence("-machine", "microvm,acpi=on").contains("-no-reboot")
                .containsSequence("-append", "console=ttyS0")
                .contains("virtio-blk-device,drive=root,serial=hv-root", "virtio-blk-device,drive=config,serial=hv-config",
                        "virtio-blk-device,drive=disk0,serial=a-very-long-disk-nam", "virtio-net-device,netdev=net0,mac=52:54:00:00:00:01")
                .noneMatch(arg -> arg.contains("-pci"));
        assertThat(args.indexOf("virtio-blk-device,drive=root,serial=hv-root"))
                .isLessThan(args.indexOf("virtio-blk-device,drive=config,serial=hv-config"));
    }

    @Test
    void theTscRateIsTheHostsFromCpuinfo(@org.junit.jupiter.api.io.TempDir Path dir) throws java.io.IOException {
        Path cpuinfo = dir.resolve("cpuinfo");
        java.nio.file.Files.writeString(cpuinfo, "processor\t: 0\nmodel name\t: AMD EPYC\ncpu MHz\t\t: 3493.442\n");
        assertThat(MicroVmCommand.hostTscKhz(cpuinfo)).isEqualTo(3_493_442L);
        assertThat(MicroVmCommand.hostTscKhz(dir.resolve("missing"))).isEqualTo(2_500_000L);
        assertThat(MicroVmCommand.tcgTscArguments(3_493_442L)).isEqualTo("tsc_early_khz=3493442 tsc=reliable");
    }

    @Test
    void onlyTcgGetsTheTscRateOnTheKernelCommandLine() {
        List<String> tcg = MicroVmCommand.withAccelerator(arguments(), "tcg");
        assertThat(tcg.get(tcg.indexOf("-append") + 1)).matches("console=ttyS0 tsc_early_khz=[1-9][0-9]* tsc=reliable");
        assertThat(tcg).endsWith("-accel", "tcg");
        List<String> kvm = MicroVmCommand.withAccelerator(arguments(), "kvm");
        assertThat(kvm.get(kvm.indexOf("-append") + 1)).isEqualTo("console=ttyS0");
        assertThat(kvm).endsWith("-accel", "kvm", "-cpu", "host");
    }

    @Test
    void theRunScriptQuotesEveryWordAndTheExitStatusIsReadBack() throws IOException {
        ProcessSpec process = new ProcessSpec(List.of("sh", "-c", "echo 'it''s' $HOME"), List.of("A=b c", "Q='x'"),
                "/srv/my app", "1000:1000", "SIGQUIT");
        assertThat(MicroVmConfig.runScript(process)).isEqualTo("""
                mkdir -p '/srv/my app' 2>/dev/null
                cd '/srv/my app' || exit 126
                exec /.hv/busybox env -i 'A=b c' 'Q='\\''x'\\''' /.hv/busybox chpst -u '1000:1000' 'sh' '-c' 'echo '\\''it'\\'''\\''s'\\'' $HOME'
                """);
        NetworkAttachment none = new NetworkAttachment("none", "", "", 0, "", List.of(), List.of());
        assertThat(MicroVmConfig.settings(process, "web", none)).contains("hv_stop_signal='QUIT'\n");

        Path disk = tmp.resolve("config.img");
        MicroVmConfig.write(disk, process, "web", none);
        assertThat(Files.size(disk)).isEqualTo(2L * MicroVmConfig.SETTINGS_BYTES);
        assertThat(MicroVmConfig.exitStatus(disk)).isEmpty();
        try (var file = java.nio.channels.FileChannel.open(disk, java.nio.file.StandardOpenOption.WRITE)) {
            file.write(java.nio.ByteBuffer.wrap("HV-EXIT 42\n".getBytes()), MicroVmConfig.SETTINGS_BYTES);
        }
        assertThat(MicroVmConfig.exitStatus(disk)).contains(42);
        MicroVmConfig.clearExit(disk);
        assertThat(MicroVmConfig.exitStatus(disk)).isEmpty();
    }
}
