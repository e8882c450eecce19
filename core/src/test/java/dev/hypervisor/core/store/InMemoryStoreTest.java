package dev.hypervisor.core.store;

import java.nio.file.Path;

/** Runs the store contract (all but durability, which it does not have) against the in-memory test double. */
class InMemoryStoreTest extends StoreContract {

    @Override
    protected Store openStore(Path dir) {
        return new InMemoryStore();
    }
}
