package dev.hypervisor.core.usecase;

import dev.hypervisor.core.instance.Instance;
import dev.hypervisor.core.store.Txn;

/** An attempt that writes {@code txn} and answers with {@code result} at the commit's revision. */
record Planned(Txn txn, Instance result) implements RequestLog.Attempt {

    /** Nothing to write: answer with the instance as read. */
    static Planned unchanged(Instance current) {
        return new Planned(Txn.create(), current);
    }

    @Override
    public Instance response(long revision) {
        if (result == null) {
            return null;
        }
        return txn.ops().isEmpty() || revision == 0 ? result : result.withRevision(revision);
    }
}
