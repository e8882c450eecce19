package dev.hypervisor.network.testing;

import dev.hypervisor.core.instance.Instance;
import dev.hypervisor.core.instance.InstanceSpec;
import dev.hypervisor.core.instance.InstanceType;
import dev.hypervisor.core.instance.Metadata;
import dev.hypervisor.core.instance.NetworkSpec;
import dev.hypervisor.core.instance.Placement;
import dev.hypervisor.core.store.Store;
import dev.hypervisor.core.usecase.InstanceIds;
import dev.hypervisor.host.HostCommand;
import dev.hypervisor.network.BridgeNetwork;
import dev.hypervisor.network.NetworkOptions;
import dev.hypervisor.core.network.Subnet;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A real {@link BridgeNetwork} on a bridge and subnet of its own ({@code hvt<random>},
 * a free {@code 10.214.x.0/24}), so that test runs in several worktrees and the daemon's
 * {@code hv0} never meet. {@link #close} detaches every instance made through
 * {@link #instance}, deletes the bridge and its NAT rules, and puts IPv4 forwarding back
 * when it turned it on and no other test bridge is left. For the network adapter's tests
 * and for drivers' tests that need real networking.
 */
public final class TestNetwork implements AutoCloseable {

    private static final SecureRandom RANDOM = new SecureRandom();
    private static final Path IP_FORWARD = Path.of("/proc/sys/net/ipv4/ip_forward");
    private static final InstanceIds IDS = new InstanceIds();

    private final Store store;
    private final NetworkOptions options;
    private final BridgeNetwork network;
    private final boolean forwardingWasOff;
    private final List<Instance> instances = new CopyOnWriteArrayList<>();

    private TestNetwork(Store store, NetworkOptions options, boolean forwardingWasOff) {
        this.store = store;
        this.options = options;
        this.forwardingWasOff = forwardingWasOff;
        this.network = BridgeNetwork.open(store, options);
    }

    /** Opens a network on a fresh bridge and subnet, keeping its IPAM in {@code store}. */
    public static TestNetwork open(Store store) {
        HostRequirements.requireRootAndNetworkTools();
        StringBuilder bridge = new StringBuilder("hvt");
        for (int i = 0; i < 8; i++) {
            bridge.append(Character.forDigit(RANDOM.nextInt(36), 36));
        }
        NetworkOptions options = NetworkOptions.defaults().withBridgeName(bridge.toString()).withSubnet(freeSubnet());
        return new TestNetwork(store, options, readForwarding().equals("0"));
    }

    /** Another {@link BridgeNetwork} on the same bridge, subnet and store, as a restarted daemon opens it. */
    public BridgeNetwork reopen() {
        return BridgeNetwork.open(store, options);
    }

    public BridgeNetwork network() {
        return network;
    }

    public NetworkOptions options() {
        return options;
    }

    public Subnet subnet() {
        return options.subnet();
    }

    /** A new CONTAINER instance on {@code networkId} (asking for {@code ip}, may be empty), detached on close. */
    public Instance instance(String networkId, String ip) {
        Instance instance = Instance.newInstance(IDS.next(), "net-test-" + instances.size(), InstanceType.CONTAINER,
                new InstanceSpec("busybox", 1, 64L << 20, List.of(), new NetworkSpec(networkId, ip), "", List.of(), Map.of()),
                Metadata.EMPTY, Placement.ANY, "node-test", Instant.now());
        instances.add(instance);
        return instance;
    }

    public Instance instance() {
        return instance(NetworkSpec.DEFAULT, "");
    }

    @Override
    public void close() {
        RuntimeException first = null;
        for (Instance instance : instances) {
            try {
                network.detach(instance);
            } catch (RuntimeException e) {
                first = first == null ? e : first;
            }
        }
        network.removeFromHost();
        if (forwardingWasOff && !otherTestBridgesExist()) {
            writeForwarding("0");
        }
        if (first != null) {
            throw first;
        }
    }

    /** A 10.214.x.0/24 that no route of the host touches (10.214/16: clear of the default 10.213/16). */
    private static String freeSubnet() {
        List<String> destinations = ip("-4", "route", "show", "table", "all").lines()
                .map(line -> line.split("\\s+"))
                .map(words -> words[0].equals("local") || words[0].equals("broadcast") || words[0].equals("unicast")
                        ? words[1] : words[0])
                .filter(destination -> destination.equals("default") || Character.isDigit(destination.charAt(0)))
                .toList();
        for (int attempt = 0; attempt < 64; attempt++) {
            Subnet candidate = Subnet.parse("10.214." + RANDOM.nextInt(256) + ".0/24");
            if (destinations.stream().noneMatch(candidate::overlaps)) {
                return candidate.toString();
            }
        }
        throw new AssertionError("no free 10.214.x.0/24 for a test network; are old test bridges left? "
                + "(ip -br link | grep hvt)");
    }

    private static boolean otherTestBridgesExist() {
        return ip("-br", "link", "show", "type", "bridge").lines().anyMatch(line -> line.startsWith("hvt"));
    }

    private static String ip(String... args) {
        try {
            return HostCommand.output(null, java.util.stream.Stream.concat(java.util.stream.Stream.of("ip"),
                    java.util.Arrays.stream(args)).toList());
        } catch (IOException e) {
            throw new AssertionError(e.getMessage(), e);
        }
    }

    private static String readForwarding() {
        try {
            return Files.readString(IP_FORWARD).strip();
        } catch (IOException e) {
            throw new AssertionError("cannot read " + IP_FORWARD, e);
        }
    }

    private static void writeForwarding(String value) {
        try {
            Files.writeString(IP_FORWARD, value + "\n");
        } catch (IOException e) {
            throw new AssertionError("cannot write " + IP_FORWARD, e);
        }
    }
}
