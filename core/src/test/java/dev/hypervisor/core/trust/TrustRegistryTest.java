package dev.hypervisor.core.trust;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.hypervisor.core.error.DomainException;
import dev.hypervisor.core.error.ErrorCode;
import dev.hypervisor.core.store.InMemoryStore;
import dev.hypervisor.core.testing.ManualClock;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class TrustRegistryTest {

    private static final String ALICE = "a".repeat(64);
    private static final String BOB = "b".repeat(64);

    private final InMemoryStore store = new InMemoryStore();
    private final ManualClock clock = ManualClock.atEpoch();
    private final TrustRegistry trust = new TrustRegistry(store, clock);

    @AfterEach
    void close() {
        trust.close();
        store.close();
    }

    @Test
    void addedClientsAreFoundListedAndRemoved() {
        trust.start();
        trust.add(BOB, "bob", Role.OPERATOR, "local", null);
        trust.add(ALICE, "alice", Role.VIEWER, "local", null);

        assertThat(trust.lookup(ALICE)).hasValueSatisfying(c -> assertThat(c.role()).isEqualTo(Role.VIEWER));
        assertThat(trust.list()).extracting(TrustedClient::name).containsExactly("alice", "bob");
        assertThat(code(() -> trust.add(ALICE, "again", Role.ADMIN, "local", null))).isEqualTo(ErrorCode.ALREADY_EXISTS);

        trust.remove(ALICE);
        assertThat(trust.lookup(ALICE)).isEmpty();
        assertThat(code(() -> trust.remove(ALICE))).isEqualTo(ErrorCode.NOT_FOUND);
    }

    @Test
    void badFingerprintsNamesAndRolesAreInvalidArguments() {
        trust.start();
        assertThatThrownBy(() -> trust.add("ABC", "x", Role.VIEWER, "local", null)).hasMessageStartingWith("fingerprint:");
        assertThatThrownBy(() -> trust.add(ALICE, " ", Role.VIEWER, "local", null)).hasMessageStartingWith("name:");
        assertThatThrownBy(() -> trust.add(ALICE, "a\nb", Role.VIEWER, "local", null)).hasMessageStartingWith("name:");
        assertThatThrownBy(() -> trust.add(ALICE, "alice", null, "local", null)).hasMessageStartingWith("role:");
        assertThatThrownBy(() -> trust.issueToken(Role.VIEWER, "", Duration.ofDays(8), "local"))
                .hasMessageStartingWith("ttl:");
        assertThat(trust.list()).isEmpty();
    }

    @Test
    void anotherNodeSeesChangesThroughTheStore() {
        trust.start();
        try (TrustRegistry other = new TrustRegistry(store, clock)) {
            trust.add(ALICE, "alice", Role.VIEWER, "local", null);
            other.start();
            assertThat(other.lookup(ALICE)).isPresent();

            trust.add(BOB, "bob", Role.ADMIN, "local", null);
            trust.remove(ALICE);
            await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> {
                assertThat(other.lookup(BOB)).isPresent();
                assertThat(other.lookup(ALICE)).isEmpty();
            });
        }
    }

    @Test
    void aTokenJoinsOneCertificateOnceWithItsRoleAndName() {
        trust.start();
        TrustRegistry.Issued token = trust.issueToken(Role.OPERATOR, "ci", null, "root");

        TrustedClient joined = trust.redeem(token.secret(), ALICE, "alice-laptop", null);

        assertThat(joined.name()).isEqualTo("ci");
        assertThat(joined.role()).isEqualTo(Role.OPERATOR);
        assertThat(joined.addedBy()).isEqualTo("root");
        assertThat(trust.lookup(ALICE)).contains(joined);
        assertThat(code(() -> trust.redeem(token.secret(), BOB, "bob", null))).isEqualTo(ErrorCode.UNAUTHENTICATED);
        assertThat(trust.lookup(BOB)).isEmpty();
    }

    @Test
    void theStoreHoldsOnlyAHashOfTheSecret() {
        trust.start();
        TrustRegistry.Issued token = trust.issueToken(Role.ADMIN, "", null, "root");
        byte[] everything = store.range("", "", 1000).kvs().stream().map(kv -> kv.key() + new String(kv.value(),
                StandardCharsets.UTF_8)).reduce("", String::concat).getBytes(StandardCharsets.UTF_8);
        assertThat(new String(everything, StandardCharsets.UTF_8)).doesNotContain(token.secret());
    }

    @Test
    void anExpiredTokenIsRefusedAndSweptLater() {
        trust.start();
        TrustRegistry.Issued token = trust.issueToken(Role.VIEWER, "", Duration.ofMinutes(5), "root");
        clock.advance(Duration.ofMinutes(5));

        assertThat(code(() -> trust.redeem(token.secret(), ALICE, "alice", null))).isEqualTo(ErrorCode.UNAUTHENTICATED);
        assertThat(trust.lookup(ALICE)).isEmpty();

        TrustRegistry.Issued stale = trust.issueToken(Role.VIEWER, "", Duration.ofMinutes(5), "root");
        clock.advance(Duration.ofMinutes(6));
        trust.issueToken(Role.VIEWER, "", Duration.ofMinutes(5), "root");
        assertThat(store.range(TrustRegistry.TOKENS, "", 10).kvs()).hasSize(1);
        assertThat(code(() -> trust.redeem(stale.secret(), ALICE, "alice", null))).isEqualTo(ErrorCode.UNAUTHENTICATED);
    }

    @Test
    void aTrustedCertificateKeepsTheTokenUnused() {
        trust.start();
        trust.add(ALICE, "alice", Role.VIEWER, "local", null);
        TrustRegistry.Issued token = trust.issueToken(Role.ADMIN, "", null, "root");

        assertThat(code(() -> trust.redeem(token.secret(), ALICE, "alice", null))).isEqualTo(ErrorCode.ALREADY_EXISTS);
        assertThat(trust.lookup(ALICE).orElseThrow().role()).isEqualTo(Role.VIEWER);
        assertThat(trust.redeem(token.secret(), BOB, "bob", null).role()).isEqualTo(Role.ADMIN);
    }

    @Test
    void racingRedeemsOfOneTokenJoinExactlyOne() {
        trust.start();
        TrustRegistry.Issued token = trust.issueToken(Role.OPERATOR, "", null, "root");
        List<CompletableFuture<ErrorCode>> racers = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            String fingerprint = String.format("%064x", i);
            racers.add(CompletableFuture.supplyAsync(() -> code(() -> trust.redeem(token.secret(), fingerprint,
                    "c" + fingerprint.substring(60), null))));
        }
        List<ErrorCode> outcomes = racers.stream().map(CompletableFuture::join).toList();
        assertThat(outcomes.stream().filter(c -> c == null).count()).isEqualTo(1);
        assertThat(outcomes).filteredOn(c -> c != null).containsOnly(ErrorCode.UNAUTHENTICATED);
        assertThat(trust.list()).hasSize(1);
    }

    private static ErrorCode code(Runnable call) {
        try {
            call.run();
            return null;
        } catch (DomainException e) {
            return e.code();
        }
    }
}
