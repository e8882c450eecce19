package dev.hypervisor.core.driver;

import dev.hypervisor.core.error.DomainException;
import dev.hypervisor.core.instance.InstanceType;
import java.util.Collection;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** The drivers of this node by instance type; a type without one is refused, never faked. */
public final class DriverRegistry {

    private final String nodeId;
    private final Map<InstanceType, Driver> drivers = new EnumMap<>(InstanceType.class);

    public DriverRegistry(String nodeId, Collection<? extends Driver> available) {
        this.nodeId = nodeId;
        for (Driver driver : available) {
            if (drivers.putIfAbsent(driver.type(), driver) != null) {
                throw new IllegalArgumentException("two drivers for " + driver.type());
            }
        }
    }

    public static DriverRegistry empty(String nodeId) {
        return new DriverRegistry(nodeId, List.of());
    }

    public Optional<Driver> find(InstanceType type) {
        return Optional.ofNullable(drivers.get(type));
    }

    /** The driver for the type, or FAILED_PRECONDITION naming the type and the node. */
    public Driver require(InstanceType type) {
        Driver driver = drivers.get(type);
        if (driver == null) {
            throw DomainException.failedPrecondition(
                    "no runtime for INSTANCE_TYPE_" + type + " on node " + nodeId);
        }
        return driver;
    }

    public Collection<Driver> all() {
        return List.copyOf(drivers.values());
    }

    public String nodeId() {
        return nodeId;
    }
}
