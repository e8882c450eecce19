package dev.hypervisor.core.instance;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hypervisor.core.store.InMemoryStore;
import dev.hypervisor.core.store.Txn;
import dev.hypervisor.core.store.WatchEvent;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class InstanceRepositoryTest {

    private final InMemoryStore store = new InMemoryStore();
    private final InstanceRepository repository = new InstanceRepository(store);
    private final Instant now = Instant.parse("2026-01-01T00:00:00Z");

    @AfterEach
    void close() {
        store.close();
    }

    @Test
    void findReusesTheDecodeOfTheWatchedRevisionButNeverServesAnOlderOne() {
        Instance created = Instance.newInstance("inst-a", "a", InstanceType.CONTAINER,
                new InstanceSpec("img", 1, 1 << 28, List.of(), null, "", List.of(), Map.of()),
                new Metadata(Map.of(), Map.of()), Placement.ANY, "node-1", now);
        Txn create = Txn.create();
        repository.create(create, created);
        long rev = store.commitAndWait(create).revision();
        byte[] stored = store.get(InstanceRepository.key("inst-a")).orElseThrow().value();
        Instance watched = repository.decode(new WatchEvent(WatchEvent.Type.PUT, InstanceRepository.key("inst-a"),
                stored, rev));

        assertThat(repository.find("inst-a")).containsSame(watched);

        Instance before = created.withRevision(rev);
        Instance starting = Lifecycle.transition(before, InstanceState.STARTING, "provisioned", now);
        Txn update = Txn.create();
        repository.update(update, before, starting);
        long next = store.commitAndWait(update).revision();

        Instance found = repository.find("inst-a").orElseThrow();
        assertThat(found.state()).isEqualTo(InstanceState.STARTING);
        assertThat(found.revision()).isEqualTo(next);
    }
}
