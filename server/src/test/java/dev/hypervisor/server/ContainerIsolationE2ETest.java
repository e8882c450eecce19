package dev.hypervisor.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hypervisor.api.v1.CreateInstanceRequest;
import dev.hypervisor.api.v1.InstanceSpec;
import dev.hypervisor.api.v1.InstanceState;
import dev.hypervisor.api.v1.InstanceType;
import dev.hypervisor.core.store.InMemoryStore;
import dev.hypervisor.host.HostCommand;
import dev.hypervisor.network.testing.TestNetwork;
import dev.hypervisor.testkit.DaemonProcess;
import dev.hypervisor.testkit.Instances;
import dev.hypervisor.testkit.images.Compression;
import dev.hypervisor.testkit.images.LayerTree;
import dev.hypervisor.testkit.images.OciImageBuilder;
import dev.hypervisor.testkit.images.RegistryServer;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.CleanupMode;
import org.junit.jupiter.api.io.TempDir;

/**
 * What a container under today's defaults (Docker's capabilities, seccomp profile, masked
 * paths, no-new-privileges, namespaces of its own) cannot do to its host, proven from inside one
 * run by a real daemon with a TCP port and a unix socket: reach the daemon, mount, load a
 * module, see the host's processes. The same script runs on the host too, where each check
 * comes out the other way, so none of them passes for a reason of its own (a missing
 * applet, a missing mount point, a port nobody can reach).
 */
class ContainerIsolationE2ETest {

    /** One line per check: {@code check NAME rc=CODE OUTPUT}, then a marker the shell computes. */
    static final String SCRIPT = """
            check() {
                name=$1; shift
                out=$("$@" 2>&1 </dev/null)
                rc=$?
                echo "check $name rc=$rc" $out
            }
            check grpc-loopback timeout 3 nc 127.0.0.1 "$HV_PORT"
            check grpc-gateway timeout 3 nc "$HV_GATEWAY" "$HV_PORT"
            check metrics-loopback timeout 3 nc 127.0.0.1 "$HV_METRICS_PORT"
            check open-gateway timeout 3 nc "$HV_GATEWAY" "$HV_OPEN_PORT"
            check socket test -e "$HV_SOCKET"
            check socket-dir ls "$(dirname "$HV_SOCKET")"
            mkdir -p /mnt
            check mount mount -t tmpfs none /mnt
            check cap-eff grep CapEff /proc/self/status
            check insmod insmod "$0"
            check pid1 cat /proc/1/comm
            check comms sh -c 'for p in /proc/[0-9]*; do cat $p/comm; done'
            echo isolation-done-$((6*7))
            """;
    static final String[] APPLETS = {"nc", "timeout", "mount", "grep", "insmod", "dirname"};
    static final long CAP_SYS_MODULE = 1L << 16;
    static final long CAP_SYS_ADMIN = 1L << 21;

    @TempDir(cleanup = CleanupMode.ON_SUCCESS) // a failure leaves the daemon's log behind
    static Path tmp;
    static RegistryServer registry;
    static String image;
    static TestNetwork network;
    static DaemonProcess daemon;
    static Path socket;
    static final Instances INSTANCES = new Instances(() -> daemon.channel(), Duration.ofSeconds(60));

    @BeforeAll
    static void start() throws Exception {
        registry = RegistryServer.start(Files.createDirectories(tmp.resolve("registry")));
        OciImageBuilder.busyboxImage()
                .layer(LayerTree.create().file("isolation.sh", SCRIPT).applets(APPLETS), Compression.GZIP)
                .writeTo(tmp.resolve("layout"), "busybox")
                .push(registry.host() + "/library/busybox:isolation");
        image = registry.host() + "/library/busybox:isolation";
        network = TestNetwork.open(new InMemoryStore());
        socket = tmp.resolve("run/hv.sock");
        daemon = E2eDaemons.start(tmp.resolve("data"), false, "--socket", socket.toString(),
                "--bridge", network.options().bridgeName(), "--subnet", network.subnet().toString());
    }

    @AfterAll
    static void stop() {
        try {
            if (daemon != null) {
                try {
                    INSTANCES.deleteAll(Duration.ofSeconds(60));
                } finally {
                    daemon.close();
                }
            }
        } finally {
            if (registry != null) {
                registry.close();
            }
            if (network != null) {
                network.close();
            }
        }
    }

    @Test
    void aContainerCannotReachTheDaemonMountLoadModulesOrSeeHostProcessesWhileTheHostCan() throws Exception {
        // A port on every address of the host: the bridge's gateway leads to the host, so a refusal below is the daemon's.
        try (ServerSocket open = new ServerSocket()) {
            open.bind(new InetSocketAddress("0.0.0.0", 0));
            Map<String, String> env = Map.of("HV_PORT", Integer.toString(daemon.port()),
                    "HV_METRICS_PORT", Integer.toString(daemon.metricsPort()),
                    "HV_GATEWAY", network.subnet().gateway(), "HV_OPEN_PORT", Integer.toString(open.getLocalPort()),
                    "HV_SOCKET", socket.toString());

            String id = daemon.blocking().createInstance(CreateInstanceRequest.newBuilder().setName("isolated")
                    .setType(InstanceType.INSTANCE_TYPE_CONTAINER)
                    .setSpec(InstanceSpec.newBuilder().setImage(image).setCpuCores(1).setMemoryBytes(256L << 20)
                            .addAllCommand(List.of("sh", "-c", "sh /isolation.sh; exec sleep 100000")).putAllEnv(env))
                    .build()).getId();
            Map<String, String> inside = results(id);
            Map<String, String> onHost = onHost(env); // while the container runs
            INSTANCES.delete(id);

            assertThat(inside.get("grpc-loopback")).as("the daemon's port, at its listen address").contains("Connection refused");
            assertThat(onHost.get("grpc-loopback")).doesNotContain("can't connect");
            assertThat(inside.get("grpc-gateway")).as("the daemon's port, at the host's bridge address").contains("Connection refused");
            assertThat(inside.get("metrics-loopback")).contains("Connection refused");
            assertThat(onHost.get("metrics-loopback")).doesNotContain("can't connect");
            assertThat(inside.get("open-gateway")).as("the control: the host is reachable there").doesNotContain("can't connect");

            assertThat(inside.get("socket")).startsWith("rc=1");
            assertThat(inside.get("socket-dir")).startsWith("rc=1").contains("No such file or directory");
            assertThat(onHost.get("socket")).isEqualTo("rc=0");

            assertThat(inside.get("mount")).startsWith("rc=1").containsIgnoringCase("permission denied");
            assertThat(onHost.get("mount")).isEqualTo("rc=0");

            long capEff = capEff(inside.get("cap-eff"));
            assertThat(capEff & CAP_SYS_MODULE).as("CAP_SYS_MODULE in %x", capEff).isZero();
            assertThat(capEff & CAP_SYS_ADMIN).as("CAP_SYS_ADMIN in %x", capEff).isZero();
            assertThat(capEff(onHost.get("cap-eff")) & (CAP_SYS_MODULE | CAP_SYS_ADMIN))
                    .isEqualTo(CAP_SYS_MODULE | CAP_SYS_ADMIN);
            // The kernel here may have no module support at all (ENOSYS on the host): the container is refused first.
            assertThat(inside.get("insmod")).startsWith("rc=1").contains("Operation not permitted");
            assertThat(onHost.get("insmod")).doesNotContain("Operation not permitted");

            assertThat(inside.get("pid1")).isEqualTo("rc=0 sh");
            assertThat(onHost.get("pid1")).isNotEqualTo("rc=0 sh");
            List<String> words = List.of(inside.get("comms").split(" "));
            List<String> comms = words.subList(1, words.size()); // after rc=0
            assertThat(comms).as("processes the container sees").isNotEmpty().hasSizeLessThanOrEqualTo(5)
                    .allSatisfy(comm -> assertThat(comm).isIn("sh", "cat"));
            assertThat(onHost.get("comms")).contains("java", "conmon");
        }
    }

    /** The checks' results in the container, from its console: check name to {@code rc=CODE OUTPUT}. */
    private static Map<String, String> results(String id) {
        INSTANCES.awaitState(id, InstanceState.INSTANCE_STATE_RUNNING);
        ConsoleViewer viewer = new ConsoleViewer();
        viewer.attach(daemon, id);
        viewer.awaitText("isolation-done-42", Duration.ofSeconds(60));
        return parse(viewer.text());
    }

    /**
     * The same script on the host, with the same busybox and a mount namespace of its own (its
     * tmpfs goes with it); the container's conmon is still running, so the host sees it.
     */
    private static Map<String, String> onHost(Map<String, String> env) throws IOException {
        Path bin = Files.createDirectories(tmp.resolve("host-bin"));
        for (String applet : List.of("nc", "timeout", "mount", "grep", "insmod", "dirname", "cat", "ls", "mkdir")) {
            Path link = bin.resolve(applet);
            if (!Files.exists(link)) {
                Files.createSymbolicLink(link, Path.of("/bin/busybox"));
            }
        }
        Path script = Files.writeString(tmp.resolve("isolation.sh"), SCRIPT);
        HostCommand command = HostCommand.of("unshare", "--mount", "--propagation", "private", "sh", script.toString())
                .env("PATH", bin + ":/usr/sbin:/usr/bin:/sbin:/bin").timeout(Duration.ofSeconds(60));
        env.forEach(command::env);
        return parse(command.output());
    }

    private static Map<String, String> parse(String console) {
        Map<String, String> results = new LinkedHashMap<>();
        for (String line : console.split("\n")) {
            String stripped = line.strip();
            if (stripped.startsWith("check ")) {
                String rest = stripped.substring("check ".length());
                int space = rest.indexOf(' ');
                results.put(rest.substring(0, space), rest.substring(space + 1));
            }
        }
        assertThat(results).as("the script's results in %s", console).hasSize(11);
        return results;
    }

    private static long capEff(String result) {
        return Long.parseUnsignedLong(result.substring(result.lastIndexOf(' ') + 1), 16);
    }
}
