package dev.hypervisor.core.store;

import java.nio.file.Path;

/** Runs the store contract against the in-memory test double. */
class InMemoryStoreTest extends StoreContract {

    @Override
    protected Store openStore(Path dir) {
        return new InMemoryStore();
    }

    @Override
    protected boolean durable() {
        return false;
    }
}
