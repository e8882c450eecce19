package dev.hypervisor.core.runtime;

import dev.hypervisor.core.driver.Driver;
import dev.hypervisor.core.error.DomainException;
import dev.hypervisor.core.instance.Instance;
import dev.hypervisor.core.instance.InstanceSpec;
import dev.hypervisor.core.instance.InstanceType;
import dev.hypervisor.core.instance.Metadata;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The runtimes of this node, opened: which runs an instance (its spec's runtime class, else the
 * node's default for its type), what it allows at CreateInstance, and how long its stops take.
 * A runtime the host cannot run is kept with its reason, so that its instances are refused
 * with FAILED_PRECONDITION saying why, never faked; a {@link HostConflict} stops the daemon.
 */
public final class RuntimeRegistry {

    private static final Logger LOG = LoggerFactory.getLogger(RuntimeRegistry.class);

    /** An opened runtime: the plugin and its driver. */
    private record Opened(RuntimePlugin plugin, Driver driver) {}

    private final String nodeId;
    private final Map<String, Opened> opened = new LinkedHashMap<>();
    private final Map<String, String> unavailable = new LinkedHashMap<>();
    private final Map<String, InstanceType> types = new LinkedHashMap<>();
    private final Map<InstanceType, String> defaults = new EnumMap<>(InstanceType.class);

    private RuntimeRegistry(String nodeId) {
        this.nodeId = nodeId;
    }

    /**
     * Opens every plugin the host can run, in order. The default runtime of a type is the one
     * {@code defaults} names, else the first plugin of that type.
     */
    public static RuntimeRegistry open(String nodeId, List<? extends RuntimePlugin> plugins,
            Map<InstanceType, String> defaults, RuntimeContext context) {
        RuntimeRegistry registry = new RuntimeRegistry(nodeId);
        for (RuntimePlugin plugin : plugins) {
            if (registry.types.putIfAbsent(plugin.name(), plugin.type()) != null) {
                throw new IllegalArgumentException("two runtimes named " + plugin.name());
            }
            registry.defaults.putIfAbsent(plugin.type(), plugin.name());
            Optional<String> missing = plugin.unavailable();
            if (missing.isPresent()) {
                registry.refuse(plugin, missing.get());
                continue;
            }
            try {
                registry.opened.put(plugin.name(), new Opened(plugin, plugin.open(context)));
                LOG.info("runtime {} runs INSTANCE_TYPE_{}", plugin.name(), plugin.type());
            } catch (HostConflict e) {
                throw e;
            } catch (RuntimeException e) {
                registry.refuse(plugin, e.getMessage());
            }
        }
        defaults.forEach((type, name) -> {
            if (registry.types.get(name) != type) {
                throw new IllegalArgumentException("no runtime " + name + " for INSTANCE_TYPE_" + type
                        + " (there are " + String.join(", ", registry.types.keySet()) + ")");
            }
            registry.defaults.put(type, name);
        });
        return registry;
    }

    private void refuse(RuntimePlugin plugin, String reason) {
        unavailable.put(plugin.name(), reason);
        LOG.warn("runtime {} (INSTANCE_TYPE_{}) is unavailable: {}", plugin.name(), plugin.type(), reason);
    }

    public String nodeId() {
        return nodeId;
    }

    /**
     * The spec as its runtime takes it, with the runtime class filled in: INVALID_ARGUMENT for a
     * runtime class this node does not have for the type, FAILED_PRECONDITION when the runtime
     * is unavailable here (saying why), and whatever the runtime's own rules refuse.
     */
    public InstanceSpec admit(InstanceType type, InstanceSpec spec, Metadata metadata) {
        String name = spec.runtimeClass().isEmpty() ? defaults.get(type) : spec.runtimeClass();
        if (name == null) {
            throw DomainException.failedPrecondition("no runtime for INSTANCE_TYPE_" + type + " on node " + nodeId);
        }
        if (types.get(name) != type) {
            throw DomainException.invalidArgument("spec.runtime_class", "node " + nodeId + " has no runtime class \""
                    + name + "\" for INSTANCE_TYPE_" + type + " (it has " + classesOf(type) + ")");
        }
        Opened runtime = opened.get(name);
        if (runtime == null) {
            throw DomainException.failedPrecondition("no runtime for INSTANCE_TYPE_" + type + " on node " + nodeId
                    + ": " + name + " is unavailable (" + unavailable.get(name) + ")");
        }
        InstanceSpec admitted = runtime.plugin().admit(spec, metadata);
        return admitted.runtimeClass().equals(name) ? admitted : admitted.withRuntimeClass(name);
    }

    private String classesOf(InstanceType type) {
        String names = types.entrySet().stream().filter(e -> e.getValue() == type).map(Map.Entry::getKey)
                .collect(Collectors.joining(", "));
        return names.isEmpty() ? "none" : names;
    }

    /** The driver that runs the instance (its runtime class, or its type's default for records older than runtime classes). */
    public Optional<Driver> driverFor(Instance instance) {
        return runtimeOf(instance).map(Opened::driver);
    }

    /** The driver, or FAILED_PRECONDITION naming the runtime and the node. */
    public Driver requireDriver(Instance instance) {
        return driverFor(instance).orElseThrow(() -> DomainException.failedPrecondition(missing(instance)));
    }

    /** Why the instance has no driver here, as its error message says it. */
    public String missing(Instance instance) {
        String name = runtimeName(instance);
        String reason = name == null ? null : unavailable.get(name);
        return "no runtime for INSTANCE_TYPE_" + instance.type() + " on node " + nodeId
                + (reason == null ? "" : ": " + name + " is unavailable (" + reason + ")");
    }

    /** The graceful stop timeout of the instance's runtime when its stop names none. */
    public Duration stopTimeout(Instance instance) {
        return runtimeOf(instance).map(r -> r.plugin().stopTimeout()).orElse(Duration.ofSeconds(10));
    }

    private Optional<Opened> runtimeOf(Instance instance) {
        String name = runtimeName(instance);
        return name == null ? Optional.empty() : Optional.ofNullable(opened.get(name));
    }

    private String runtimeName(Instance instance) {
        String name = instance.spec().runtimeClass();
        return name.isEmpty() ? defaults.get(instance.type()) : name;
    }

    /** Every opened driver, once each. */
    public Collection<Driver> drivers() {
        List<Driver> drivers = new ArrayList<>();
        opened.values().forEach(runtime -> drivers.add(runtime.driver()));
        return drivers;
    }
}
