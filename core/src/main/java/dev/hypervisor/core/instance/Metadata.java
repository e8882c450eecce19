package dev.hypervisor.core.instance;

import java.util.Map;

/** Labels (identifying, filterable) and annotations (free-form) of an instance. */
public record Metadata(Map<String, String> labels, Map<String, String> annotations) {

    public static final Metadata EMPTY = new Metadata(Map.of(), Map.of());

    public Metadata {
        labels = Map.copyOf(labels);
        annotations = Map.copyOf(annotations);
    }
}
