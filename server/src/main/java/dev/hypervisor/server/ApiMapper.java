package dev.hypervisor.server;

import com.google.protobuf.Timestamp;
import dev.hypervisor.api.v1.CreateInstanceRequest;
import dev.hypervisor.api.v1.ListInstancesRequest;
import dev.hypervisor.api.v1.WatchInstanceRequest;
import dev.hypervisor.core.driver.InstanceStats;
import dev.hypervisor.core.error.DomainException;
import dev.hypervisor.core.image.ImageInfo;
import dev.hypervisor.core.instance.DiskSpec;
import dev.hypervisor.core.instance.Instance;
import dev.hypervisor.core.instance.InstanceFilter;
import dev.hypervisor.core.instance.InstanceSpec;
import dev.hypervisor.core.instance.InstanceState;
import dev.hypervisor.core.instance.InstanceType;
import dev.hypervisor.core.instance.Metadata;
import dev.hypervisor.core.instance.NetworkSpec;
import dev.hypervisor.core.instance.Placement;
import dev.hypervisor.core.usecase.CreateCommand;
import dev.hypervisor.core.watch.InstanceEvent;
import dev.hypervisor.core.watch.WatchRequest;
import java.time.Duration;
import java.time.Instant;

/** Converts between the wire messages and the core's domain types, both ways. */
public final class ApiMapper {

    private ApiMapper() {}

    static CreateCommand toCommand(CreateInstanceRequest request) {
        dev.hypervisor.api.v1.InstanceSpec spec = request.getSpec();
        InstanceSpec domainSpec = request.hasSpec() ? new InstanceSpec(
                spec.getImage(), spec.getCpuCores(), spec.getMemoryBytes(),
                spec.getDisksList().stream()
                        .map(d -> new DiskSpec(d.getName(), d.getSizeBytes(), d.getType(), d.getBoot())).toList(),
                spec.hasNetwork() ? new NetworkSpec(spec.getNetwork().getNetworkId(), spec.getNetwork().getIpAddress()) : null,
                spec.getKernel(), spec.getCommandList(), spec.getEnvMap(), spec.getRuntimeClass()) : null;
        Metadata metadata = new Metadata(request.getMetadata().getLabelsMap(), request.getMetadata().getAnnotationsMap());
        Placement placement = new Placement(request.getPreferredNodeId(), request.getRegion(), request.getZone());
        return new CreateCommand(request.getName(), type(request.getTypeValue(), "type", true), domainSpec, metadata,
                placement, request.getRequestId(),
                Fingerprint.ofRequest(request));
    }

    static InstanceFilter toFilter(ListInstancesRequest request) {
        return new InstanceFilter(type(request.getTypeValue(), "type", false), state(request.getStateValue(), "state"),
                request.getNodeId(), request.getLabelsMap());
    }

    static WatchRequest toWatch(WatchInstanceRequest request) {
        if (request.getBookmarkIntervalSeconds() < 0 || request.getBookmarkIntervalSeconds() > 3600) {
            throw DomainException.invalidArgument("bookmark_interval_seconds", "must be between 0 and 3600");
        }
        InstanceFilter filter = new InstanceFilter(type(request.getTypeValue(), "type", false),
                state(request.getStateValue(), "state"), request.getNodeId(), request.getLabelsMap());
        Duration interval = request.getBookmarkIntervalSeconds() == 0
                ? dev.hypervisor.core.watch.Watches.DEFAULT_BOOKMARK_INTERVAL
                : Duration.ofSeconds(request.getBookmarkIntervalSeconds());
        return new WatchRequest(request.getInstanceId(), filter, request.getAfterRevision(), request.getSendInitial(),
                interval);
    }

    /** An enum number to the domain type; unknown numbers are INVALID_ARGUMENT, 0 is "unset" (null). */
    static InstanceType type(int value, String field, boolean required) {
        return switch (value) {
            case 0 -> {
                if (required) {
                    throw DomainException.invalidArgument(field,
                            "required: INSTANCE_TYPE_VM, INSTANCE_TYPE_CONTAINER or INSTANCE_TYPE_MICROVM");
                }
                yield null;
            }
            case 1 -> InstanceType.VM;
            case 2 -> InstanceType.CONTAINER;
            case 3 -> InstanceType.MICROVM;
            default -> throw DomainException.invalidArgument(field, "unknown InstanceType value " + value);
        };
    }

    static InstanceState state(int value, String field) {
        if (value == 0) {
            return null;
        }
        dev.hypervisor.api.v1.InstanceState wire = dev.hypervisor.api.v1.InstanceState.forNumber(value);
        if (wire == null) {
            throw DomainException.invalidArgument(field, "unknown InstanceState value " + value);
        }
        return InstanceState.valueOf(wire.name().substring("INSTANCE_STATE_".length()));
    }

    public static dev.hypervisor.api.v1.Instance toProto(Instance instance) {
        InstanceSpec spec = instance.spec();
        dev.hypervisor.api.v1.InstanceSpec.Builder wireSpec = dev.hypervisor.api.v1.InstanceSpec.newBuilder()
                .setImage(spec.image()).setCpuCores(spec.cpuCores()).setMemoryBytes(spec.memoryBytes())
                .setKernel(spec.kernel()).addAllCommand(spec.command()).putAllEnv(spec.env())
                .setRuntimeClass(spec.runtimeClass());
        for (DiskSpec disk : spec.disks()) {
            wireSpec.addDisks(dev.hypervisor.api.v1.DiskSpec.newBuilder().setName(disk.name())
                    .setSizeBytes(disk.sizeBytes()).setType(disk.type()).setBoot(disk.boot()));
        }
        if (spec.network() != null) {
            wireSpec.setNetwork(dev.hypervisor.api.v1.NetworkSpec.newBuilder()
                    .setNetworkId(spec.network().networkId()).setIpAddress(spec.network().ipAddress()));
        }
        return dev.hypervisor.api.v1.Instance.newBuilder()
                .setId(instance.id()).setName(instance.name())
                .setType(dev.hypervisor.api.v1.InstanceType.valueOf("INSTANCE_TYPE_" + instance.type()))
                .setState(toProto(instance.state()))
                .setSpec(wireSpec).setNodeId(instance.nodeId()).setIpAddress(instance.ipAddress())
                .setMetadata(dev.hypervisor.api.v1.Metadata.newBuilder()
                        .putAllLabels(instance.metadata().labels()).putAllAnnotations(instance.metadata().annotations()))
                .setErrorMessage(instance.errorMessage())
                .setCreatedAt(timestamp(instance.createdAt())).setUpdatedAt(timestamp(instance.updatedAt()))
                .setRevision(instance.revision())
                .setRegion(instance.placement().region()).setZone(instance.placement().zone())
                .setAttempts(instance.attempts()).setLastError(instance.lastError())
                .build();
    }

    static dev.hypervisor.api.v1.InstanceState toProto(InstanceState state) {
        return state == null ? dev.hypervisor.api.v1.InstanceState.INSTANCE_STATE_UNSPECIFIED
                : dev.hypervisor.api.v1.InstanceState.valueOf("INSTANCE_STATE_" + state);
    }

    static dev.hypervisor.api.v1.InstanceEvent toProto(InstanceEvent event) {
        dev.hypervisor.api.v1.InstanceEvent.Builder wire = dev.hypervisor.api.v1.InstanceEvent.newBuilder()
                .setType(dev.hypervisor.api.v1.InstanceEvent.Type.valueOf(event.type().name()))
                .setPreviousState(toProto(event.previousState()))
                .setRevision(event.revision()).setEventTime(timestamp(event.time())).setReason(event.reason());
        if (event.instance() != null) {
            wire.setInstance(toProto(event.instance()));
        }
        return wire.build();
    }

    static dev.hypervisor.api.v1.InstanceStats toProto(InstanceStats stats) {
        return dev.hypervisor.api.v1.InstanceStats.newBuilder()
                .setInstanceId(stats.instanceId()).setCpuUsagePercent(stats.cpuUsagePercent())
                .setCpuTimeNanos(stats.cpuTimeNanos()).setMemoryUsageBytes(stats.memoryUsageBytes())
                .setMemoryLimitBytes(stats.memoryLimitBytes()).setDiskReadBytes(stats.diskReadBytes())
                .setDiskWriteBytes(stats.diskWriteBytes()).setNetworkRxBytes(stats.networkRxBytes())
                .setNetworkTxBytes(stats.networkTxBytes()).setSampleTime(timestamp(stats.sampleTime())).build();
    }

    static dev.hypervisor.api.v1.Image toProto(ImageInfo image) {
        return dev.hypervisor.api.v1.Image.newBuilder()
                .setId(image.digest()).addAllReferences(image.references())
                .setKind(dev.hypervisor.api.v1.ImageKind.valueOf("IMAGE_KIND_" + image.kind()))
                .setSizeBytes(image.sizeBytes()).setCreatedAt(timestamp(image.createdAt()))
                .setLastUsedAt(timestamp(image.lastUsedAt())).addAllUsedBy(image.usedBy()).setNodeId(image.nodeId())
                .build();
    }

    static ImageInfo.Kind imageKind(int value) {
        return switch (value) {
            case 0 -> null;
            case 1 -> ImageInfo.Kind.CONTAINER;
            case 2 -> ImageInfo.Kind.DISK;
            case 3 -> ImageInfo.Kind.KERNEL;
            default -> throw DomainException.invalidArgument("kind", "unknown ImageKind value " + value);
        };
    }

    static Timestamp timestamp(Instant instant) {
        if (instant == null) {
            return Timestamp.getDefaultInstance();
        }
        return Timestamp.newBuilder().setSeconds(instant.getEpochSecond()).setNanos(instant.getNano()).build();
    }
}
