package dev.hypervisor.core.store;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.hypervisor.core.error.DomainException;
import dev.hypervisor.core.error.ErrorCode;
import org.junit.jupiter.api.Test;

class StoreCopyTest {

    @Test
    void copiesEveryKeyPageByPageIntoAnEmptyStore() {
        InMemoryStore from = new InMemoryStore();
        for (int i = 0; i < 250; i++) {
            from.commitAndWait(Txn.create().put(String.format("/k/%03d", i), ("v" + i).getBytes(UTF_8)));
        }
        from.commitAndWait(Txn.create().delete("/k/007"));
        InMemoryStore to = new InMemoryStore();

        StoreCopy.Copied copied = StoreCopy.copy(from, to);

        assertThat(copied.keys()).isEqualTo(249);
        assertThat(copied.transactions()).isEqualTo(3);
        assertThat(to.get("/k/007")).isEmpty();
        assertThat(new String(to.get("/k/249").orElseThrow().value(), UTF_8)).isEqualTo("v249");
        assertThat(to.range("", "", 1000).kvs()).hasSize(249);
    }

    @Test
    void refusesATargetThatHoldsAnything() {
        InMemoryStore from = new InMemoryStore();
        from.commitAndWait(Txn.create().put("/a", new byte[] {1}));
        InMemoryStore to = new InMemoryStore();
        to.commitAndWait(Txn.create().put("/b", new byte[] {2}));

        assertThatThrownBy(() -> StoreCopy.copy(from, to))
                .isInstanceOfSatisfying(DomainException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.FAILED_PRECONDITION))
                .hasMessageContaining("not empty").hasMessageContaining("/b");
        assertThat(to.get("/a")).isEmpty();
    }
}
