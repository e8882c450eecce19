package dev.hypervisor.store.etcd;

import dev.hypervisor.core.store.DurableStoreContract;
import dev.hypervisor.core.store.Store;
import dev.hypervisor.testkit.etcd.EtcdCluster;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterEach;

/**
 * The store contract against a real etcd: a fresh single-member etcd per test (revisions count
 * from a fresh cluster), reopened stores are new clients on the same member.
 */
class EtcdStoreTest extends DurableStoreContract {

    private EtcdCluster etcd;

    @Override
    protected Store openStore(Path dir) {
        if (etcd == null) {
            etcd = EtcdCluster.start(dir, 1);
        }
        return EtcdStore.open(EtcdStoreOptions.of(etcd.members().stream().map(EtcdCluster.Member::clientAddress).toList()));
    }

    @AfterEach
    void stopEtcd() {
        if (store != null) {
            store.close();
        }
        if (etcd != null) {
            etcd.close();
        }
    }
}
