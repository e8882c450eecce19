package dev.hypervisor.microvm;

import dev.hypervisor.qemu.KernelFiles;
import dev.hypervisor.host.KernelModules;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.zip.GZIPOutputStream;
import org.apache.commons.compress.archivers.cpio.CpioArchiveEntry;
import org.apache.commons.compress.archivers.cpio.CpioArchiveOutputStream;
import org.apache.commons.compress.archivers.cpio.CpioConstants;

/**
 * The initramfs a microVM boots with: a static busybox, the kernel's modules a microVM
 * needs (virtio-mmio, its disks and network, ext4, the ACPI power button), and our init.
 * Built once per kernel (and init version) and cached under the driver's root.
 *
 * <p>The init, PID 1 for the guest's whole life: mounts the pseudo-filesystems, loads the
 * modules, sources the instance's settings from the config disk ({@link MicroVmConfig}),
 * mounts the root disk named by {@code root=}, brings up {@code eth0} from {@code ip=}
 * (the kernel's own syntax), writes {@code /etc/hostname}, {@code /etc/hosts} and
 * {@code /etc/resolv.conf}, and runs the workload in the root filesystem as its child, in
 * a session of its own on the serial console. The ACPI power button sends the workload the
 * image's stop signal. When the workload exits, the init records its exit status on the
 * config disk and powers the microVM off.
 */
final class MicroVmInitramfs {

    /** Modules that Debian's kernels build as modules and a microVM needs; missing ones are taken as built in. */
    static final List<String> MODULES = List.of("virtio_mmio", "virtio_blk", "virtio_net", "ext4", "button", "evdev");

    static final String INIT = """
            #!/bin/busybox sh
            # hypervisord microVM init: see MicroVmInitramfs.java.
            /bin/busybox --install -s /bin
            export PATH=/bin
            mount -t proc proc /proc
            mount -t sysfs sys /sys
            mount -t devtmpfs dev /dev
            # PID 1 exiting panics the kernel; with panic=-1 and -no-reboot QEMU quits on a reset,
            # which the driver reports as ERROR with this line in the console tail. A poweroff
            # here would look like a clean stop.
            fail() { echo "hypervisord init: $*" >/dev/ttyS0; exit 1; }
            for m in $(cat /lib/modules/load.order); do insmod /lib/modules/$m.ko; done
            root=/dev/vda; ip=
            for arg in $(cat /proc/cmdline); do
              case "$arg" in root=*) root="${arg#root=}" ;; ip=*) ip="${arg#ip=}" ;; esac
            done
            config=
            for d in /sys/block/vd*; do
              [ "$(cat "$d/serial" 2>/dev/null)" = hv-config ] && config="/dev/${d##*/}"
            done
            [ -n "$config" ] || fail "no config disk"
            head -c 1048576 "$config" | tr -d '\\000' > /hv.conf
            . /hv.conf
            mkdir -p /newroot
            mount -t ext4 -o rw "$root" /newroot || fail "cannot mount the root filesystem $root"
            ifconfig lo 127.0.0.1 up
            if [ -n "$ip" ]; then
              IFS=: read -r addr peer gw mask host dev autoconf <<EOF
            $ip
            EOF
              ifconfig "${dev:-eth0}" "$addr" netmask "$mask" up || fail "cannot configure ${dev:-eth0}"
              [ -n "$gw" ] && route add default gw "$gw"
            fi
            hostname "$hv_hostname"
            for d in proc sys dev etc .hv; do mkdir -p "/newroot/$d"; done
            mount -t proc proc /newroot/proc
            mount -t sysfs sys /newroot/sys
            mount -t devtmpfs dev /newroot/dev
            mkdir -p /newroot/dev/pts /newroot/dev/shm
            mount -t devpts -o newinstance,ptmxmode=0666 devpts /newroot/dev/pts
            mount -t tmpfs -o mode=1777 shm /newroot/dev/shm
            mount -t tmpfs -o mode=0755,size=8m hv /newroot/.hv
            cp /bin/busybox /newroot/.hv/busybox
            printf '%s' "$hv_run" > /newroot/.hv/run
            printf '%s\\n' "$hv_hostname" > /newroot/etc/hostname
            printf '%s' "$hv_hosts" > /newroot/etc/hosts
            printf '%s' "$hv_resolv" > /newroot/etc/resolv.conf
            for e in /dev/input/event*; do
              [ -e "$e" ] || continue
              ( dd if="$e" of=/dev/null bs=24 count=1 2>/dev/null; kill -"$hv_stop_signal" "$(cat /hv.pid)" ) &
            done
            setsid -c chroot /newroot /.hv/busybox sh /.hv/run </dev/ttyS0 >/dev/ttyS0 2>&1 &
            child=$!
            echo "$child" > /hv.pid
            wait "$child"
            code=$?
            sync
            printf 'HV-EXIT %d\\n' "$code" | dd of="$config" bs=1048576 seek=1 conv=notrunc,fsync 2>/dev/null
            sync
            poweroff -f
            """;

    private static final Path BUSYBOX = Path.of("/bin/busybox");

    private final Path cache;

    MicroVmInitramfs(Path cache) {
        this.cache = cache;
    }

    /** The initramfs for this kernel, built when not cached yet. */
    synchronized Path forKernel(KernelFiles kernel) throws IOException {
        Path target = cache.resolve(key(kernel) + ".cpio.gz");
        if (Files.exists(target)) {
            return target;
        }
        requireStaticBusybox();
        Files.createDirectories(cache);
        KernelModules available = kernel.modules().isPresent()
                ? KernelModules.index(kernel.modules().get()) : KernelModules.none();
        List<String> order = available.loadOrder(MODULES);
        Path temp = target.resolveSibling(target.getFileName() + ".tmp");
        try (OutputStream file = Files.newOutputStream(temp);
                CpioArchiveOutputStream cpio = new CpioArchiveOutputStream(new GZIPOutputStream(file),
                        CpioConstants.FORMAT_NEW)) {
            for (String dir : List.of("bin", "dev", "proc", "sys", "lib", "lib/modules", "newroot")) {
                directory(cpio, dir);
            }
            file(cpio, "init", INIT.getBytes(StandardCharsets.UTF_8), 0755);
            file(cpio, "bin/busybox", Files.readAllBytes(BUSYBOX), 0755);
            for (String module : order) {
                file(cpio, "lib/modules/" + module + ".ko", Files.readAllBytes(available.file(module)), 0644);
            }
            file(cpio, "lib/modules/load.order", (String.join("\n", order) + "\n").getBytes(StandardCharsets.UTF_8),
                    0644);
        }
        Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        return target;
    }

    static void requireStaticBusybox() throws IOException {
        if (!Files.isExecutable(BUSYBOX) || !isStatic(BUSYBOX)) {
            throw new IllegalStateException("microVMs need a static /bin/busybox for their init: apt-get install busybox-static");
        }
    }

    private static String key(KernelFiles kernel) throws IOException {
        try {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            sha.update(INIT.getBytes(StandardCharsets.UTF_8));
            sha.update(String.join(",", MODULES).getBytes(StandardCharsets.UTF_8));
            for (Path file : List.of(kernel.kernel(), BUSYBOX)) {
                sha.update((file.toAbsolutePath() + ":" + Files.size(file) + ":"
                        + Files.getLastModifiedTime(file).toMillis()).getBytes(StandardCharsets.UTF_8));
            }
            sha.update(kernel.modules().map(Path::toString).orElse("").getBytes(StandardCharsets.UTF_8));
            return kernel.release() + "-" + HexFormat.of().formatHex(sha.digest(), 0, 8);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JDK has SHA-256", e);
        }
    }

    private static void directory(CpioArchiveOutputStream cpio, String name) throws IOException {
        CpioArchiveEntry entry = new CpioArchiveEntry(CpioConstants.FORMAT_NEW, name);
        entry.setMode(CpioConstants.C_ISDIR | 0755);
        entry.setNumberOfLinks(2);
        cpio.putArchiveEntry(entry);
        cpio.closeArchiveEntry();
    }

    private static void file(CpioArchiveOutputStream cpio, String name, byte[] data, int mode) throws IOException {
        CpioArchiveEntry entry = new CpioArchiveEntry(CpioConstants.FORMAT_NEW, name, data.length);
        entry.setMode(CpioConstants.C_ISREG | mode);
        entry.setNumberOfLinks(1);
        cpio.putArchiveEntry(entry);
        cpio.write(data);
        cpio.closeArchiveEntry();
    }

    private static boolean isStatic(Path binary) throws IOException {
        // A dynamic executable names its interpreter (PT_INTERP) in its first few hundred bytes.
        byte[] head = new byte[4096];
        try (InputStream in = Files.newInputStream(binary)) {
            int n = in.readNBytes(head, 0, head.length);
            return !new String(head, 0, n, StandardCharsets.ISO_8859_1).contains("/lib64/ld-linux");
        }
    }
}
