package dev.hypervisor.core.usecase;

import static dev.hypervisor.core.error.DomainException.invalidArgument;

import dev.hypervisor.core.error.DomainException;
import dev.hypervisor.core.image.ImageStore;
import dev.hypervisor.core.instance.DiskSpec;
import dev.hypervisor.core.instance.InstanceSpec;
import dev.hypervisor.core.instance.InstanceType;
import dev.hypervisor.core.instance.Metadata;
import dev.hypervisor.core.instance.NetworkSpec;
import dev.hypervisor.core.network.Subnet;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Checks a create request field by field against the {@link Limits}, failing with
 * INVALID_ARGUMENT that names the field in API terms ({@code spec.disks[1].size_bytes}),
 * and fills in the documented defaults. What depends on the instance type (whether it takes
 * a command or a kernel) is the runtime's, through {@link dev.hypervisor.core.runtime.RuntimePlugin#admit}. Whatever would fail later for certain (an address
 * outside the subnet, an image name no store could pull, a NUL that exec cannot pass) is
 * refused here, so no request is accepted only to end in ERROR.
 */
public final class CreateValidation {

    private static final Pattern DNS_LABEL = Pattern.compile("[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?");
    private static final Pattern LABEL_KEY = Pattern.compile("[A-Za-z0-9]([A-Za-z0-9._/-]{0,61}[A-Za-z0-9])?");
    private static final Pattern LABEL_VALUE = Pattern.compile("([A-Za-z0-9]([A-Za-z0-9._-]{0,61}[A-Za-z0-9])?)?");
    private static final Pattern ENV_NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*");
    private static final Pattern IPV4 = Pattern.compile(
            "((25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)\\.){3}(25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)");
    private static final Set<String> DISK_TYPES = Set.of("ssd", "hdd");
    static final long DEFAULT_MEMORY = 512 * Limits.MIB;
    /** The smallest disk: below it not even ext4 fits a file system on it. */
    static final long MIN_DISK_BYTES = Limits.MIB;

    private final Limits limits;
    private final Optional<ImageStore> images;

    public CreateValidation(Limits limits) {
        this(limits, Optional.empty());
    }

    /** With the node's image store, which knows which image names it can pull. */
    public CreateValidation(Limits limits, Optional<ImageStore> images) {
        this.limits = limits;
        this.images = images;
    }

    /** The spec with defaults applied, or INVALID_ARGUMENT (NOT_FOUND for an unknown network). */
    public InstanceSpec validate(CreateCommand command) {
        requireDnsLabel("name", command.name());
        if (command.type() == null) {
            throw invalidArgument("type", "required: " + java.util.Arrays.stream(InstanceType.values())
                    .map(type -> "INSTANCE_TYPE_" + type).collect(java.util.stream.Collectors.joining(", ")));
        }
        InstanceSpec spec = command.spec();
        if (spec == null) {
            throw invalidArgument("spec", "required");
        }
        validateMetadata(command.metadata());
        if (spec.image().isBlank()) {
            throw invalidArgument("spec.image", "required: an image reference, alias or URL");
        }
        if (spec.image().length() > 2048) {
            throw invalidArgument("spec.image", "at most 2048 characters");
        }
        checkImageName("spec.image", spec.image());
        int cpus = spec.cpuCores() == 0 ? 1 : spec.cpuCores();
        if (cpus < 1 || cpus > limits.maxCpuCores()) {
            throw invalidArgument("spec.cpu_cores", "must be between 1 and " + limits.maxCpuCores() + ", got " + spec.cpuCores());
        }
        long memory = spec.memoryBytes() == 0 ? DEFAULT_MEMORY : spec.memoryBytes();
        if (memory < limits.minMemoryBytes() || memory > limits.maxMemoryBytes()) {
            throw invalidArgument("spec.memory_bytes", "must be between " + limits.minMemoryBytes()
                    + " and " + limits.maxMemoryBytes() + ", got " + spec.memoryBytes());
        }
        List<DiskSpec> disks = validateDisks(spec.disks());
        NetworkSpec network = validateNetwork(spec.network());
        validateKernel(spec.kernel());
        validateProcess(spec);
        if (spec.runtimeClass().length() > 63) {
            throw invalidArgument("spec.runtime_class", "at most 63 characters");
        }
        return new InstanceSpec(spec.image(), cpus, memory, disks, network, spec.kernel(), spec.command(), spec.env(),
                spec.runtimeClass());
    }

    private static void requireDnsLabel(String field, String value) {
        if (value == null || value.isEmpty()) {
            throw invalidArgument(field, "required");
        }
        if (value.length() > 63 || !DNS_LABEL.matcher(value).matches()) {
            throw invalidArgument(field, "must be a DNS label: 1-63 lowercase letters, digits or '-',"
                    + " starting and ending with a letter or digit; got \"" + abbreviate(value) + "\"");
        }
    }

    private List<DiskSpec> validateDisks(List<DiskSpec> disks) {
        if (disks.size() > limits.maxDisks()) {
            throw invalidArgument("spec.disks", "at most " + limits.maxDisks() + " disks");
        }
        Set<String> names = new HashSet<>();
        int boots = 0;
        List<DiskSpec> normalized = new ArrayList<>();
        for (int i = 0; i < disks.size(); i++) {
            DiskSpec disk = disks.get(i);
            String field = "spec.disks[" + i + "]";
            requireDnsLabel(field + ".name", disk.name());
            if (!names.add(disk.name())) {
                throw invalidArgument(field + ".name", "duplicate disk name \"" + disk.name() + "\"");
            }
            if (disk.sizeBytes() < MIN_DISK_BYTES) {
                throw invalidArgument(field + ".size_bytes", "must be at least " + MIN_DISK_BYTES + " (1 MiB), got "
                        + disk.sizeBytes());
            }
            if (disk.sizeBytes() > limits.maxDiskBytes()) {
                throw invalidArgument(field + ".size_bytes", "at most " + limits.maxDiskBytes());
            }
            String type = disk.type().isEmpty() ? "ssd" : disk.type();
            if (!DISK_TYPES.contains(type)) {
                throw invalidArgument(field + ".type", "must be \"ssd\" or \"hdd\", got \"" + abbreviate(type) + "\"");
            }
            if (disk.boot() && ++boots > 1) {
                throw invalidArgument(field + ".boot", "at most one disk can be the boot disk");
            }
            normalized.add(new DiskSpec(disk.name(), disk.sizeBytes(), type, disk.boot()));
        }
        return normalized;
    }

    private NetworkSpec validateNetwork(NetworkSpec network) {
        String id = network == null || network.networkId().isEmpty() ? NetworkSpec.DEFAULT : network.networkId();
        String ip = network == null ? "" : network.ipAddress();
        if (!limits.networks().contains(id)) {
            throw DomainException.notFound("network " + abbreviate(id));
        }
        if (!ip.isEmpty()) {
            if (!IPV4.matcher(ip).matches()) {
                throw invalidArgument("spec.network.ip_address", "must be an IPv4 address, got \"" + abbreviate(ip) + "\"");
            }
            if (id.equals(NetworkSpec.NONE)) {
                throw invalidArgument("spec.network.ip_address", "network \"none\" has no addresses");
            }
            Subnet subnet = limits.subnets().get(id);
            if (subnet != null && !subnet.isAssignable(ip)) {
                throw invalidArgument("spec.network.ip_address", subnet.contains(ip)
                        ? ip + " is reserved in network " + id + " (" + subnet + ": the network, gateway " + subnet.gateway()
                                + " and broadcast addresses are not handed out)"
                        : ip + " is outside network " + id + "'s subnet " + subnet);
            }
        }
        return new NetworkSpec(id, ip);
    }

    /** Whether a type boots a kernel at all, and which by default, is its runtime's to say. */
    private void validateKernel(String kernel) {
        if (kernel.length() > 4096) {
            throw invalidArgument("spec.kernel", "at most 4096 characters");
        }
        if (!kernel.isEmpty() && !kernel.startsWith("/")) {
            checkImageName("spec.kernel", kernel); // host paths are the runtime's to check
        }
    }

    /** The command and environment as exec can pass them; whether a type takes them at all is its runtime's to say. */
    private void validateProcess(InstanceSpec spec) {
        if (spec.command().size() > limits.maxCommandArgs()) {
            throw invalidArgument("spec.command", "at most " + limits.maxCommandArgs() + " arguments");
        }
        if (spec.env().size() > limits.maxEnv()) {
            throw invalidArgument("spec.env", "at most " + limits.maxEnv() + " variables");
        }
        for (int i = 0; i < spec.command().size(); i++) {
            String argument = spec.command().get(i);
            if (argument.indexOf('\0') >= 0) {
                throw invalidArgument("spec.command[" + i + "]", "must not contain NUL characters");
            }
            if (i == 0 && argument.isEmpty()) {
                throw invalidArgument("spec.command[0]", "must not be empty: it names the program to run");
            }
        }
        for (Map.Entry<String, String> variable : spec.env().entrySet()) {
            if (!ENV_NAME.matcher(variable.getKey()).matches()) {
                throw invalidArgument("spec.env", "invalid variable name \"" + abbreviate(variable.getKey()) + "\"");
            }
            if (variable.getValue().indexOf('\0') >= 0) {
                throw invalidArgument("spec.env", "the value of " + variable.getKey() + " contains a NUL character");
            }
        }
    }

    /**
     * No control characters in any image name; with an image store, also a name it can pull
     * (a reference, a catalog alias or an http(s) URL: no {@code file://}, no {@code ..}).
     */
    private void checkImageName(String field, String image) {
        for (int i = 0; i < image.length(); i++) {
            char c = image.charAt(i);
            if (c < 0x20 || c == 0x7f) {
                throw invalidArgument(field, "must not contain control characters (found U+"
                        + String.format("%04X", (int) c) + ")");
            }
        }
        images.ifPresent(store -> store.checkName(field, image));
    }

    private void validateMetadata(Metadata metadata) {
        if (metadata.labels().size() > limits.maxLabels()) {
            throw invalidArgument("metadata.labels", "at most " + limits.maxLabels() + " labels");
        }
        for (Map.Entry<String, String> label : metadata.labels().entrySet()) {
            if (!LABEL_KEY.matcher(label.getKey()).matches()) {
                throw invalidArgument("metadata.labels", "invalid key \"" + abbreviate(label.getKey())
                        + "\": 1-63 characters of [A-Za-z0-9._/-], starting and ending alphanumeric");
            }
            if (!LABEL_VALUE.matcher(label.getValue()).matches()) {
                throw invalidArgument("metadata.labels", "invalid value for \"" + label.getKey()
                        + "\": at most 63 characters of [A-Za-z0-9._-], starting and ending alphanumeric");
            }
        }
        long size = 0;
        for (Map.Entry<String, String> note : metadata.annotations().entrySet()) {
            size += note.getKey().getBytes(StandardCharsets.UTF_8).length
                    + note.getValue().getBytes(StandardCharsets.UTF_8).length;
            if (note.getKey().isEmpty()) {
                throw invalidArgument("metadata.annotations", "keys must not be empty");
            }
        }
        if (size > limits.maxAnnotationBytes()) {
            throw invalidArgument("metadata.annotations", "at most " + limits.maxAnnotationBytes() + " bytes in all");
        }
    }

    private static String abbreviate(String value) {
        return value.length() <= 64 ? value : value.substring(0, 61) + "...";
    }
}
