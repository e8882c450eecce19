package dev.hypervisor.core.instance;

import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/** List and watch filters; a null or empty field matches everything. */
public record InstanceFilter(InstanceType type, InstanceState state, String nodeId, Map<String, String> labels) {

    public static final InstanceFilter ALL = new InstanceFilter(null, null, "", Map.of());

    public InstanceFilter {
        nodeId = nodeId == null ? "" : nodeId;
        labels = new TreeMap<>(labels);
    }

    public boolean matches(Instance instance) {
        return (type == null || instance.type() == type)
                && (state == null || instance.state() == state)
                && (nodeId.isEmpty() || nodeId.equals(instance.nodeId()))
                && labels.entrySet().stream().allMatch(
                        e -> Objects.equals(instance.metadata().labels().get(e.getKey()), e.getValue()));
    }

    /** A stable description, so a page token can be tied to the filters it was made for. */
    public String fingerprint() {
        return type + "|" + state + "|" + nodeId + "|" + labels;
    }
}
