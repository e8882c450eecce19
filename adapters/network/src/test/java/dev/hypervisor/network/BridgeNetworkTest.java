package dev.hypervisor.network;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.hypervisor.core.error.DomainException;
import dev.hypervisor.core.error.ErrorCode;
import dev.hypervisor.core.instance.Instance;
import dev.hypervisor.core.instance.NetworkSpec;
import dev.hypervisor.core.network.NetworkAttachment;
import dev.hypervisor.core.network.NetworkCounters;
import dev.hypervisor.core.network.TapAttachment;
import dev.hypervisor.core.store.Store;
import dev.hypervisor.host.HostCommand;
import dev.hypervisor.network.testing.TestNetwork;
import dev.hypervisor.store.sqlite.SqliteStore;
import dev.hypervisor.store.sqlite.SqliteStoreOptions;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The adapter against the real kernel: a bridge, namespaces, veths and iptables of its own. */
class BridgeNetworkTest {

    @TempDir
    Path dir;

    private Store store;
    private TestNetwork test;
    private BridgeNetwork network;

    @BeforeEach
    void openNetwork() {
        store = SqliteStore.open(dir.resolve("state.db"), SqliteStoreOptions.defaults());
        test = TestNetwork.open(store);
        network = test.network();
    }

    @AfterEach
    void cleanUp() {
        try {
            test.close();
            assertThat(Path.of("/sys/class/net", test.options().bridgeName())).doesNotExist();
            assertThat(iptablesRulesOfTheTestBridge()).isEmpty();
        } finally {
            store.close();
        }
    }

    @Test
    void instancesOnTheBridgeReachEachOtherAndTheGateway() {
        NetworkAttachment a = network.attachNamespace(test.instance());
        NetworkAttachment b = network.attachNamespace(test.instance());

        assertThat(a.ipAddress()).isNotEqualTo(b.ipAddress());
        assertThat(List.of(a.ipAddress(), b.ipAddress())).allMatch(test.subnet()::isAssignable);
        assertThat(a.gateway()).isEqualTo(test.subnet().gateway());
        assertThat(a.prefixLength()).isEqualTo(24);
        assertThat(Path.of(a.namespacePath())).exists();
        ping(a, b.ipAddress());
        ping(b, a.ipAddress());
        ping(a, a.gateway());
        assertThat(inside(a, "ip", "route", "show", "default")).contains("via " + a.gateway());
    }

    @Test
    void aStaticAddressIsGivenToEth0() {
        String wanted = test.subnet().toString().replace(".0/24", ".77");

        NetworkAttachment attached = network.attachNamespace(test.instance(NetworkSpec.DEFAULT, wanted));

        assertThat(attached.ipAddress()).isEqualTo(wanted);
        assertThat(inside(attached, "ip", "-4", "-o", "addr", "show", "dev", "eth0")).contains(wanted + "/24");
    }

    @Test
    void attachingAgainReturnsTheSameAttachmentAndRepairsAMissingVeth() {
        Instance instance = test.instance();
        NetworkAttachment first = network.attachNamespace(instance);
        String hostVeth = InterfaceNames.of(instance.id()).hostVeth();

        assertThat(network.attachNamespace(instance)).isEqualTo(first);

        run("ip", "link", "del", hostVeth); // a crash between namespace and veth leaves this state
        assertThat(inside(first, "ip", "-br", "link")).doesNotContain("eth0");
        assertThat(network.attachNamespace(instance)).isEqualTo(first);
        ping(first, first.gateway());
    }

    @Test
    void aRestartedDaemonKeepsAddressesAndNamespaces() {
        Instance instance = test.instance();
        NetworkAttachment before = network.attachNamespace(instance);

        BridgeNetwork reopened = test.reopen();

        assertThat(Path.of(before.namespacePath())).exists();
        assertThat(reopened.attachNamespace(instance)).isEqualTo(before);
        assertThat(reopened.attachNamespace(test.instance()).ipAddress()).isNotEqualTo(before.ipAddress());
        ping(before, before.gateway());
    }

    @Test
    void noneGivesANamespaceWithLoopbackOnly() {
        Instance instance = test.instance(NetworkSpec.NONE, "");

        NetworkAttachment attached = network.attachNamespace(instance);

        assertThat(attached.hasAddress()).isFalse();
        assertThat(attached.nameservers()).isEmpty();
        assertThat(inside(attached, "ip", "-br", "link").lines().map(l -> l.split("\\s+")[0])).containsExactly("lo");
        assertThat(inside(attached, "ip", "-br", "link")).contains("UP", "UNKNOWN");
        assertThat(network.counters(instance)).isEqualTo(NetworkCounters.ZERO);
    }

    @Test
    void anUnknownNetworkIsNotFoundAndChangesNothing() {
        Instance instance = test.instance("elsewhere", "");

        assertThatThrownBy(() -> network.attachNamespace(instance))
                .isInstanceOfSatisfying(DomainException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.NOT_FOUND));
        assertThat(InterfaceNames.of(instance.id()).namespacePath()).doesNotExist();
    }

    @Test
    void detachRemovesTheNamespaceAndHostVethAndFreesTheAddress() {
        Instance instance = test.instance();
        NetworkAttachment attached = network.attachNamespace(instance);
        String hostVeth = InterfaceNames.of(instance.id()).hostVeth();
        assertThat(Path.of("/sys/class/net", hostVeth)).exists();

        network.detach(instance);
        network.detach(instance);

        assertThat(Path.of(attached.namespacePath())).doesNotExist();
        assertThat(Path.of("/sys/class/net", hostVeth)).doesNotExist();
        assertThat(store.range("/ipam/default/", "", 10).kvs()).isEmpty();
        assertThat(network.counters(instance)).isEqualTo(NetworkCounters.ZERO);
        NetworkAttachment again = network.attachNamespace(test.instance(NetworkSpec.DEFAULT, attached.ipAddress()));
        assertThat(again.ipAddress()).isEqualTo(attached.ipAddress());
    }

    @Test
    void aVmGetsATapOnTheBridgeAndAnAddressFromTheSameIpam() throws IOException {
        Instance container = test.instance();
        Instance vm = test.instance();
        NetworkAttachment other = network.attachNamespace(container);

        TapAttachment attached = network.attachTap(vm);

        assertThat(attached.tapName()).isEqualTo(InterfaceNames.of(vm.id()).tap()).hasSizeLessThanOrEqualTo(15);
        assertThat(bridgeOf(attached.tapName())).isEqualTo(test.options().bridgeName());
        assertThat(run("ip", "-o", "link", "show", attached.tapName())).contains("UP");
        assertThat(attached.network().ipAddress()).isNotEqualTo(other.ipAddress()).matches(test.subnet()::isAssignable);
        assertThat(attached.network().gateway()).isEqualTo(test.subnet().gateway());
        assertThat(attached.network().prefixLength()).isEqualTo(24);
        assertThat(attached.network().namespacePath()).isEmpty();
        assertThat(InterfaceNames.of(vm.id()).namespacePath()).doesNotExist();
    }

    @Test
    void attachingATapAgainReturnsTheSameAttachmentAndRemakesAMissingTap() throws IOException {
        Instance vm = test.instance();
        TapAttachment first = network.attachTap(vm);

        assertThat(network.attachTap(vm)).isEqualTo(first);
        run("ip", "link", "del", first.tapName());
        assertThat(test.reopen().attachTap(vm)).isEqualTo(first);
        assertThat(bridgeOf(first.tapName())).isEqualTo(test.options().bridgeName());
    }

    @Test
    void detachRemovesTheTapAndFreesItsAddress() {
        Instance vm = test.instance();
        TapAttachment attached = network.attachTap(vm);

        network.detach(vm);
        network.detach(vm);

        assertThat(Path.of("/sys/class/net", attached.tapName())).doesNotExist();
        assertThat(store.range("/ipam/default/", "", 10).kvs()).isEmpty();
        assertThat(network.counters(vm)).isEqualTo(NetworkCounters.ZERO);
    }

    @Test
    void aVmOnNoneGetsNoTapAndNoAddress() {
        Instance vm = test.instance(NetworkSpec.NONE, "");

        TapAttachment attached = network.attachTap(vm);

        assertThat(attached.hasTap()).isFalse();
        assertThat(attached.network().hasAddress()).isFalse();
        assertThat(Path.of("/sys/class/net", InterfaceNames.of(vm.id()).tap())).doesNotExist();
    }

    @Test
    void countersGrowWithTrafficInBothDirections() {
        Instance instance = test.instance();
        NetworkAttachment attached = network.attachNamespace(instance);
        NetworkCounters before = network.counters(instance);

        ping(attached, attached.gateway());

        NetworkCounters after = network.counters(instance);
        // An echo request and its reply are 98 bytes each on the wire.
        assertThat(after.txBytes()).isGreaterThanOrEqualTo(before.txBytes() + 98);
        assertThat(after.rxBytes()).isGreaterThanOrEqualTo(before.rxBytes() + 98);
    }

    @Test
    void openingAgainAddsNoSecondCopyOfTheNatRules() {
        test.reopen();
        test.reopen();

        if (hostHasDefaultRoute()) {
            assertThat(iptablesRulesOfTheTestBridge()).hasSize(3)
                    .anyMatch(rule -> rule.contains("-s " + test.subnet()) && rule.contains("MASQUERADE"));
        } else {
            assertThat(iptablesRulesOfTheTestBridge()).isEmpty();
        }
    }

    @Test
    void theBridgeAndItsRulesCanBeRemovedByOptionsAloneAsACleanUpAfterADeadDaemonDoes() {
        BridgeNetwork.removeFromHost(test.options());

        assertThat(Path.of("/sys/class/net", test.options().bridgeName())).doesNotExist();
        assertThat(iptablesRulesOfTheTestBridge()).isEmpty();
        BridgeNetwork.removeFromHost(test.options()); // nothing left to remove is no error
    }

    @Test
    void aBridgeWithAnotherAddressKeepsItAndGetsTheGateway() {
        String bridge = test.options().bridgeName();
        run("ip", "addr", "add", "192.0.2.254/32", "dev", bridge);
        run("ip", "addr", "del", test.subnet().gateway() + "/24", "dev", bridge);

        test.reopen();

        assertThat(run("ip", "-4", "-o", "addr", "show", "dev", bridge))
                .contains("192.0.2.254/32", test.subnet().gateway() + "/24");
    }

    @Test
    void instancesGetTheHostsNonLoopbackResolvers() throws IOException {
        Path resolvConf = dir.resolve("resolv.conf");
        Files.writeString(resolvConf, "nameserver 127.0.0.53\nnameserver 192.0.2.53\nsearch example.test\n");
        BridgeNetwork withDns = BridgeNetwork.open(store, test.options().withHostResolvConf(resolvConf));

        NetworkAttachment attached = withDns.attachNamespace(test.instance());

        assertThat(attached.nameservers()).containsExactly("192.0.2.53");
        assertThat(attached.searchDomains()).containsExactly("example.test");
    }

    private List<String> iptablesRulesOfTheTestBridge() {
        String comment = "hypervisord " + test.options().bridgeName();
        return (run("iptables", "-w", "-t", "nat", "-S") + "\n" + run("iptables", "-w", "-S")).lines()
                .filter(line -> line.contains(comment)).toList();
    }

    private static String bridgeOf(String device) throws IOException {
        return Files.readSymbolicLink(Path.of("/sys/class/net", device, "master")).getFileName().toString();
    }

    private static boolean hostHasDefaultRoute() {
        return !run("ip", "-4", "route", "show", "default").isBlank();
    }

    private static void ping(NetworkAttachment from, String address) {
        inside(from, "ping", "-c1", "-W2", address);
    }

    private static String inside(NetworkAttachment attachment, String... command) {
        String namespace = Path.of(attachment.namespacePath()).getFileName().toString();
        List<String> full = new java.util.ArrayList<>(List.of("ip", "netns", "exec", namespace));
        full.addAll(List.of(command));
        return run(full.toArray(String[]::new));
    }

    private static String run(String... command) {
        try {
            return HostCommand.output(null, List.of(command));
        } catch (IOException e) {
            throw new AssertionError(e.getMessage(), e);
        }
    }
}
