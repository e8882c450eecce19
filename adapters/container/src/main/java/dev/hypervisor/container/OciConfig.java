package dev.hypervisor.container;

import dev.hypervisor.core.image.ProcessSpec;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.List;

/**
 * The OCI runtime config ({@code config.json}) of a container, with the defaults podman and
 * Docker apply: Docker's default capability set, masked and read-only {@code /proc} and
 * {@code /sys} paths, no-new-privileges, a default seccomp profile, pid/mount/ipc/uts
 * namespaces of its own and the network namespace the network made for it (a new one on
 * network {@code none}), CPU quota, memory and pids limits in its own cgroup.
 */
final class OciConfig {

    static final List<String> DEFAULT_CAPABILITIES = List.of(
            "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER", "CAP_MKNOD", "CAP_NET_RAW",
            "CAP_SETGID", "CAP_SETUID", "CAP_SETFCAP", "CAP_SETPCAP", "CAP_NET_BIND_SERVICE",
            "CAP_SYS_CHROOT", "CAP_KILL", "CAP_AUDIT_WRITE");

    static final List<String> MASKED_PATHS = List.of(
            "/proc/acpi", "/proc/asound", "/proc/kcore", "/proc/keys", "/proc/latency_stats",
            "/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug", "/proc/scsi",
            "/sys/firmware", "/sys/devices/virtual/powercap");

    static final List<String> READONLY_PATHS = List.of(
            "/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger");

    static final long CPU_PERIOD_MICROS = 100_000;

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final ObjectNode SECCOMP = loadSeccomp();

    /** A volume: a host directory mounted read-write at {@code /mnt/NAME} in the container. */
    record Volume(String name, Path hostPath) {}

    /** Everything the config is made from. */
    record Input(
            String id, String hostname, Path rootfs, ProcessSpec process, ImageUser user, int cpuCores,
            long memoryBytes, long pidsLimit, String networkNamespace, ContainerDirs dirs, List<Volume> volumes,
            boolean accountBlockIo) {}

    private OciConfig() {}

    static ObjectNode build(Input in) {
        ObjectNode config = JSON.createObjectNode();
        config.put("ociVersion", "1.0.2");
        config.set("process", process(in));
        ObjectNode root = config.putObject("root");
        root.put("path", in.rootfs().toString());
        root.put("readonly", false);
        config.put("hostname", in.hostname());
        config.set("mounts", mounts(in));
        config.set("linux", linux(in));
        return config;
    }

    private static ObjectNode process(Input in) {
        ObjectNode process = JSON.createObjectNode();
        process.put("terminal", true);
        ObjectNode size = process.putObject("consoleSize");
        size.put("height", 24);
        size.put("width", 80);
        ObjectNode user = process.putObject("user");
        user.put("uid", in.user().uid());
        user.put("gid", in.user().gid());
        ArrayNode groups = user.putArray("additionalGids");
        in.user().additionalGids().forEach(groups::add);
        strings(process.putArray("args"), in.process().args());
        strings(process.putArray("env"), in.process().env());
        process.put("cwd", in.process().cwd());
        ObjectNode caps = process.putObject("capabilities");
        for (String set : List.of("bounding", "effective", "permitted")) {
            strings(caps.putArray(set), DEFAULT_CAPABILITIES);
        }
        ObjectNode nofile = process.putArray("rlimits").addObject();
        nofile.put("type", "RLIMIT_NOFILE");
        long files = Math.min(1_048_576, HostLimits.openFilesHardLimit());
        nofile.put("hard", files);
        nofile.put("soft", files);
        process.put("noNewPrivileges", true);
        return process;
    }

    private static ArrayNode mounts(Input in) {
        ArrayNode mounts = JSON.createArrayNode();
        mount(mounts, "/proc", "proc", "proc", List.of("nosuid", "noexec", "nodev"));
        mount(mounts, "/dev", "tmpfs", "tmpfs", List.of("nosuid", "strictatime", "mode=755", "size=65536k"));
        mount(mounts, "/dev/pts", "devpts", "devpts",
                List.of("nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"));
        mount(mounts, "/dev/shm", "tmpfs", "shm", List.of("nosuid", "noexec", "nodev", "mode=1777", "size=65536k"));
        mount(mounts, "/dev/mqueue", "mqueue", "mqueue", List.of("nosuid", "noexec", "nodev"));
        mount(mounts, "/sys", "sysfs", "sysfs", List.of("nosuid", "noexec", "nodev", "ro"));
        mount(mounts, "/sys/fs/cgroup", "cgroup", "cgroup", List.of("nosuid", "noexec", "nodev", "relatime", "ro"));
        mount(mounts, "/etc/hosts", "bind", in.dirs().hosts().toString(), List.of("rbind", "rprivate"));
        mount(mounts, "/etc/hostname", "bind", in.dirs().hostname().toString(), List.of("rbind", "rprivate"));
        mount(mounts, "/etc/resolv.conf", "bind", in.dirs().resolvConf().toString(), List.of("rbind", "rprivate"));
        for (Volume volume : in.volumes()) {
            mount(mounts, "/mnt/" + volume.name(), "bind", volume.hostPath().toString(),
                    List.of("rbind", "rprivate", "nosuid", "nodev"));
        }
        return mounts;
    }

    private static void mount(ArrayNode mounts, String destination, String type, String source, List<String> options) {
        ObjectNode mount = mounts.addObject();
        mount.put("destination", destination);
        mount.put("type", type);
        mount.put("source", source);
        strings(mount.putArray("options"), options);
    }

    private static ObjectNode linux(Input in) {
        ObjectNode linux = JSON.createObjectNode();
        linux.put("cgroupsPath", "/hypervisord/" + in.id());
        ObjectNode resources = linux.putObject("resources");
        ObjectNode denyDevices = resources.putArray("devices").addObject();
        denyDevices.put("allow", false);
        denyDevices.put("access", "rwm");
        if (in.memoryBytes() > 0) {
            ObjectNode memory = resources.putObject("memory");
            memory.put("limit", in.memoryBytes());
            memory.put("swap", in.memoryBytes()); // memory+swap: no swap beyond the limit
        }
        if (in.cpuCores() > 0) {
            ObjectNode cpu = resources.putObject("cpu");
            cpu.put("quota", in.cpuCores() * CPU_PERIOD_MICROS);
            cpu.put("period", CPU_PERIOD_MICROS);
        }
        resources.putObject("pids").put("limit", in.pidsLimit());
        if (in.accountBlockIo()) {
            ObjectNode blockIo = resources.putObject("blockIO");
            for (String direction : List.of("throttleReadBpsDevice", "throttleWriteBpsDevice")) {
                ArrayNode rules = blockIo.putArray(direction);
                for (BlockDevices.Device device : BlockDevices.all()) {
                    ObjectNode rule = rules.addObject();
                    rule.put("major", device.major());
                    rule.put("minor", device.minor());
                    rule.put("rate", BlockDevices.UNREACHABLE_BYTES_PER_SECOND);
                }
            }
        }
        ArrayNode namespaces = linux.putArray("namespaces");
        for (String type : List.of("pid", "ipc", "uts", "mount")) {
            namespaces.addObject().put("type", type);
        }
        ObjectNode network = namespaces.addObject();
        network.put("type", "network");
        if (!in.networkNamespace().isEmpty()) {
            network.put("path", in.networkNamespace()); // else a new one, loopback only (runc brings lo up)
        }
        strings(linux.putArray("maskedPaths"), MASKED_PATHS);
        strings(linux.putArray("readonlyPaths"), READONLY_PATHS);
        linux.set("seccomp", SECCOMP.deepCopy());
        return linux;
    }

    private static void strings(ArrayNode array, List<String> values) {
        values.forEach(array::add);
    }

    private static ObjectNode loadSeccomp() {
        try (InputStream in = OciConfig.class.getResourceAsStream("seccomp.json")) {
            ObjectNode profile = (ObjectNode) JSON.readTree(in);
            profile.remove("comment");
            return profile;
        } catch (IOException e) {
            throw new UncheckedIOException("the default seccomp profile is missing from the jar", e);
        }
    }

    static byte[] serialize(ObjectNode config) {
        try {
            return JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(config);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
