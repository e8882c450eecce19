package dev.hypervisor.network;

import dev.hypervisor.core.network.Subnet;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.hypervisor.core.error.DomainException;
import dev.hypervisor.core.error.ErrorCode;
import dev.hypervisor.core.store.Store;
import dev.hypervisor.store.sqlite.SqliteStore;
import dev.hypervisor.store.sqlite.SqliteStoreOptions;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The IPAM against a real SQLite store file. */
class IpamTest {

    private static final Subnet LARGE = Subnet.parse("10.213.0.0/16");
    private static final Subnet TINY = Subnet.parse("10.213.9.8/29"); // .9 gateway, .10-.14 assignable

    @TempDir
    Path dir;

    private Store store;

    @BeforeEach
    void openStore() {
        store = open();
    }

    @AfterEach
    void closeStore() {
        store.close();
    }

    private Store open() {
        return SqliteStore.open(dir.resolve("state.db"), SqliteStoreOptions.defaults());
    }

    @Test
    void concurrentAllocationsNeverShareAnAddress() throws Exception {
        Ipam ipam = new Ipam(store, "default", LARGE);
        int threads = 16;
        int perThread = 20;
        CyclicBarrier start = new CyclicBarrier(threads);
        Set<String> instancesByAddress = ConcurrentHashMap.newKeySet();
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            List<Future<List<String>>> results = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                int thread = t;
                results.add(pool.submit(() -> {
                    start.await();
                    List<String> got = new ArrayList<>();
                    for (int i = 0; i < perThread; i++) {
                        got.add(ipam.allocate("inst-" + thread + "-" + i, ""));
                    }
                    return got;
                }));
            }
            List<String> all = new ArrayList<>();
            for (Future<List<String>> result : results) {
                all.addAll(result.get());
            }
            assertThat(all).hasSize(threads * perThread).doesNotHaveDuplicates().allMatch(LARGE::isAssignable);
            instancesByAddress.addAll(all);
        } finally {
            pool.shutdownNow();
        }
        for (int t = 0; t < threads; t++) {
            for (int i = 0; i < perThread; i++) {
                assertThat(instancesByAddress).contains(ipam.addressOf("inst-" + t + "-" + i).orElseThrow());
            }
        }
    }

    @Test
    void concurrentRequestsForOneStaticAddressHaveOneWinner() throws Exception {
        Ipam ipam = new Ipam(store, "default", LARGE);
        int threads = 8;
        CyclicBarrier start = new CyclicBarrier(threads);
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            List<Future<String>> results = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                String id = "inst-" + t;
                results.add(pool.submit(() -> {
                    start.await();
                    try {
                        return ipam.allocate(id, "10.213.3.3");
                    } catch (DomainException e) {
                        return e.code().name();
                    }
                }));
            }
            List<String> outcomes = new ArrayList<>();
            for (Future<String> result : results) {
                outcomes.add(result.get());
            }
            assertThat(outcomes).containsOnlyOnce("10.213.3.3")
                    .filteredOn(o -> !o.equals("10.213.3.3")).containsOnly("FAILED_PRECONDITION").hasSize(threads - 1);
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void aFreeStaticAddressIsHonouredAndDynamicAllocationsAvoidIt() {
        Ipam ipam = new Ipam(store, "default", TINY);

        assertThat(ipam.allocate("inst-a", "10.213.9.10")).isEqualTo("10.213.9.10");
        assertThat(ipam.allocate("inst-b", "")).isEqualTo("10.213.9.11");
    }

    @Test
    void aStaticAddressHeldByAnotherInstanceIsFailedPrecondition() {
        Ipam ipam = new Ipam(store, "default", TINY);
        ipam.allocate("inst-a", "10.213.9.12");

        assertThatThrownBy(() -> ipam.allocate("inst-b", "10.213.9.12"))
                .isInstanceOfSatisfying(DomainException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.FAILED_PRECONDITION))
                .hasMessageContaining("inst-a");
        assertThat(ipam.addressOf("inst-b")).isEmpty();
    }

    @Test
    void networkGatewayBroadcastAndOutsideAddressesAreNeverGiven() {
        Ipam ipam = new Ipam(store, "default", TINY);

        for (String reserved : List.of("10.213.9.8", "10.213.9.9", "10.213.9.15", "10.213.10.10")) {
            assertThatThrownBy(() -> ipam.allocate("inst-a", reserved)).as(reserved)
                    .isInstanceOfSatisfying(DomainException.class,
                            e -> assertThat(e.code()).isEqualTo(ErrorCode.FAILED_PRECONDITION));
        }
        assertThatThrownBy(() -> ipam.allocate("inst-a", "10.213.9"))
                .isInstanceOfSatisfying(DomainException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.INVALID_ARGUMENT));
        assertThat(ipam.addressOf("inst-a")).isEmpty();
    }

    @Test
    void aFullSubnetIsResourceExhausted() {
        Ipam ipam = new Ipam(store, "default", TINY);
        Set<String> given = new HashSet<>();
        for (int i = 0; i < 5; i++) {
            given.add(ipam.allocate("inst-" + i, ""));
        }

        assertThat(given).containsExactlyInAnyOrder("10.213.9.10", "10.213.9.11", "10.213.9.12", "10.213.9.13", "10.213.9.14");
        assertThatThrownBy(() -> ipam.allocate("inst-5", ""))
                .isInstanceOfSatisfying(DomainException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.RESOURCE_EXHAUSTED));
    }

    @Test
    void allocatingAgainReturnsTheAddressAlreadyHeld() {
        Ipam ipam = new Ipam(store, "default", TINY);
        String first = ipam.allocate("inst-a", "");

        assertThat(ipam.allocate("inst-a", "")).isEqualTo(first);
        assertThat(ipam.allocate("inst-b", "")).isNotEqualTo(first);
    }

    @Test
    void aReleasedAddressIsReusedAndReleaseIsIdempotent() {
        Ipam ipam = new Ipam(store, "default", TINY);
        for (int i = 0; i < 5; i++) {
            ipam.allocate("inst-" + i, "");
        }
        String freed = ipam.addressOf("inst-2").orElseThrow();

        ipam.release("inst-2");
        ipam.release("inst-2");
        ipam.release("inst-never-allocated");

        assertThat(ipam.addressOf("inst-2")).isEmpty();
        assertThat(ipam.allocate("inst-new", "")).isEqualTo(freed);
        assertThat(store.range("/ipam/default/", "", 100).kvs()).hasSize(10);
    }

    @Test
    void allocationsSurviveReopeningTheStoreAndNewOnesContinueAfterThem() {
        Ipam before = new Ipam(store, "default", LARGE);
        String a = before.allocate("inst-a", "");
        String b = before.allocate("inst-b", "10.213.0.50");
        store.close();

        store = open();
        Ipam after = new Ipam(store, "default", LARGE);

        assertThat(after.addressOf("inst-a")).contains(a);
        assertThat(after.allocate("inst-b", "")).isEqualTo(b);
        assertThat(after.allocate("inst-c", "")).isEqualTo("10.213.0.51");
    }

    @Test
    void anAddressFromAnotherSubnetIsReplacedOnTheNextAllocation() {
        new Ipam(store, "default", LARGE).allocate("inst-a", "10.213.200.7");
        Ipam moved = new Ipam(store, "default", TINY);

        assertThat(moved.allocate("inst-a", "")).isEqualTo("10.213.9.10");
        assertThat(store.get("/ipam/default/addr/10.213.200.7")).isEmpty();
    }
}
