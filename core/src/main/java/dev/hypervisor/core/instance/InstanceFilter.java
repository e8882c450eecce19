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
                && labelsMatch(instance.metadata().labels());
    }

    // A loop, not a stream: a watch runs this for every watcher on every change.
    private boolean labelsMatch(Map<String, String> instanceLabels) {
        for (Map.Entry<String, String> wanted : labels.entrySet()) {
            if (!Objects.equals(instanceLabels.get(wanted.getKey()), wanted.getValue())) {
                return false;
            }
        }
        return true;
    }

    /** A stable description, so a page token can be tied to the filters it was made for. */
    public String fingerprint() {
        return type + "|" + state + "|" + nodeId + "|" + labels;
    }
}
