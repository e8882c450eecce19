package dev.hypervisor.core.store;

import java.util.List;

/** One page of a range read, taken at {@code revision}. */
public record RangeResult(List<KeyValue> kvs, boolean more, long revision) {}
