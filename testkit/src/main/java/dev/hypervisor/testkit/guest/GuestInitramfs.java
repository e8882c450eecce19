package dev.hypervisor.testkit.guest;

import dev.hypervisor.host.KernelModules;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.zip.GZIPOutputStream;

/**
 * A busybox initramfs for test guests, written as a gzipped cpio "newc" archive. Its init
 * mounts /proc, /sys and /dev, loads the modules for the virtio-scsi disks that Debian's kernel
 * builds as modules, prints {@value #READY} on the serial console and then runs each line typed
 * there through the shell ({@code poweroff} powers off). Unless the kernel command line says
 * {@value #IGNORE_POWER_BUTTON}, it loads the ACPI button and evdev drivers and powers off on
 * the first input event, which is the power button: that is how it honours ACPI shutdown. With
 * {@value #POWER_OFF_WHEN_READY} it powers itself off once ready.
 */
public final class GuestInitramfs {

    public static final String READY = "GUEST-READY";
    public static final String IGNORE_POWER_BUTTON = "hvtest.powerbutton=ignore";
    /** On the kernel command line: the guest powers itself off as soon as it is ready. */
    public static final String POWER_OFF_WHEN_READY = "hvtest.poweroff=ready";
    private static final Path BUSYBOX = Path.of("/bin/busybox");
    private static final List<String> DISK_MODULES = List.of("virtio_pci", "virtio_scsi", "sd_mod");
    private static final List<String> BUTTON_MODULES = List.of("button", "evdev");

    private static final String INIT = """
            #!/bin/busybox sh
            /bin/busybox --install -s /bin
            export PATH=/bin
            mount -t proc proc /proc
            mount -t sysfs sys /sys
            mount -t devtmpfs dev /dev
            for m in $(cat /lib/modules/disk.order); do insmod /lib/modules/$m.ko; done
            if ! grep -q %s /proc/cmdline; then
              for m in $(cat /lib/modules/button.order); do insmod /lib/modules/$m.ko; done
              sleep 1
              for e in /dev/input/event*; do
                ( dd if=$e of=/dev/null bs=24 count=1 2>/dev/null; echo POWER-BUTTON; poweroff -f ) &
              done
              # evdev keeps events only for readers that have it open: ready means listening.
              n=$(ls /dev/input | grep -c event)
              while [ "$(ls -l /proc/[0-9]*/fd 2>/dev/null | grep -c /dev/input/event)" -lt "$n" ]; do sleep 0.1; done
            fi
            echo %s
            if grep -q %s /proc/cmdline; then poweroff -f; fi
            while read -r line; do
              case "$line" in
                poweroff) poweroff -f ;;
                *) sh -c "$line" 2>&1 ;;
              esac
            done
            poweroff -f
            """.formatted(IGNORE_POWER_BUTTON, READY, POWER_OFF_WHEN_READY);

    private GuestInitramfs() {}

    public static void write(GuestKernel kernel, Path target) throws IOException {
        if (!Files.isExecutable(BUSYBOX) || !isStatic(BUSYBOX)) {
            throw new IllegalStateException("a static /bin/busybox is required: apt-get install busybox-static");
        }
        List<String> disk = loadOrder(kernel, DISK_MODULES);
        List<String> buttons = loadOrder(kernel, BUTTON_MODULES);
        Path temp = target.resolveSibling(target.getFileName() + ".tmp");
        try (OutputStream out = new GZIPOutputStream(Files.newOutputStream(temp))) {
            Cpio cpio = new Cpio(out);
            for (String dir : List.of("bin", "dev", "proc", "sys", "lib", "lib/modules")) {
                cpio.directory(dir);
            }
            cpio.file("init", INIT.getBytes(StandardCharsets.UTF_8), 0755);
            cpio.file("bin/busybox", Files.readAllBytes(BUSYBOX), 0755);
            for (String module : new LinkedHashSet<>(concat(disk, buttons))) {
                cpio.file("lib/modules/" + module + ".ko", Files.readAllBytes(kernel.module(module)), 0644);
            }
            cpio.file("lib/modules/disk.order", (String.join("\n", disk) + "\n").getBytes(StandardCharsets.UTF_8), 0644);
            cpio.file("lib/modules/button.order", (String.join("\n", buttons) + "\n").getBytes(StandardCharsets.UTF_8),
                    0644);
            cpio.trailer();
        }
        Files.move(temp, target, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    }

    /** The modules and what they depend on, dependencies first; each one wanted must be in the kernel's tree. */
    static List<String> loadOrder(GuestKernel kernel, List<String> wanted) throws IOException {
        KernelModules modules = KernelModules.index(kernel.modules());
        for (String module : wanted) {
            if (!modules.has(module)) {
                throw new IllegalStateException("the guest kernel has no module " + module
                        + " (built in, or another kernel flavour?)");
            }
        }
        return modules.loadOrder(wanted);
    }

    private static boolean isStatic(Path binary) throws IOException {
        // A dynamic executable names its interpreter (PT_INTERP) in the first few hundred bytes.
        byte[] head = new byte[4096];
        try (var in = Files.newInputStream(binary)) {
            int n = in.readNBytes(head, 0, head.length);
            return !new String(head, 0, n, StandardCharsets.ISO_8859_1).contains("/lib64/ld-linux");
        }
    }

    private static List<String> concat(List<String> a, List<String> b) {
        List<String> all = new ArrayList<>(a);
        all.addAll(b);
        return all;
    }

    /** The "newc" cpio format the kernel unpacks: a 110-byte ASCII header, the name, the data, each 4-aligned. */
    private static final class Cpio {
        private final OutputStream out;
        private long written;
        private int inode = 1;

        Cpio(OutputStream out) {
            this.out = out;
        }

        void directory(String name) throws IOException {
            entry(name, 0040755, new byte[0]);
        }

        void file(String name, byte[] data, int mode) throws IOException {
            entry(name, 0100000 | mode, data);
        }

        void trailer() throws IOException {
            entry("TRAILER!!!", 0, new byte[0]);
        }

        private void entry(String name, int mode, byte[] data) throws IOException {
            byte[] nameBytes = (name + "\0").getBytes(StandardCharsets.UTF_8);
            ByteArrayOutputStream header = new ByteArrayOutputStream();
            String fields = "070701" + hex(inode++) + hex(mode) + hex(0) + hex(0) + hex(mode == 0040755 ? 2 : 1)
                    + hex(0) + hex(data.length) + hex(0) + hex(0) + hex(0) + hex(0) + hex(nameBytes.length) + hex(0);
            header.write(fields.getBytes(StandardCharsets.US_ASCII));
            write(header.toByteArray());
            write(nameBytes);
            pad();
            write(data);
            pad();
        }

        private void write(byte[] bytes) throws IOException {
            out.write(bytes);
            written += bytes.length;
        }

        private void pad() throws IOException {
            while (written % 4 != 0) {
                write(new byte[1]);
            }
        }

        private static String hex(long value) {
            return String.format("%08x", value);
        }
    }
}
