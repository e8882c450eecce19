package dev.hypervisor.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.google.protobuf.ByteString;
import dev.hypervisor.api.v1.ConsoleInput;
import dev.hypervisor.api.v1.CreateInstanceRequest;
import dev.hypervisor.api.v1.GetInstanceStatsRequest;
import dev.hypervisor.api.v1.Instance;
import dev.hypervisor.api.v1.InstanceSpec;
import dev.hypervisor.api.v1.InstanceState;
import dev.hypervisor.api.v1.InstanceStats;
import dev.hypervisor.api.v1.InstanceType;
import dev.hypervisor.api.v1.NetworkSpec;
import dev.hypervisor.api.v1.StopInstanceRequest;
import dev.hypervisor.api.v1.TerminalSize;
import dev.hypervisor.core.store.InMemoryStore;
import dev.hypervisor.network.testing.TestNetwork;
import dev.hypervisor.testkit.DaemonProcess;
import dev.hypervisor.testkit.Instances;
import dev.hypervisor.testkit.images.Compression;
import dev.hypervisor.testkit.images.LayerTree;
import dev.hypervisor.testkit.images.OciImageBuilder;
import dev.hypervisor.testkit.images.RegistryServer;
import io.grpc.stub.StreamObserver;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.CleanupMode;
import org.junit.jupiter.api.io.TempDir;

/**
 * Containers through the API of a real hypervisord process: real runc and conmon, a real
 * bridge with NAT, images from a real registry on loopback. The daemon runs on a bridge and
 * subnet of the test's own, removed afterwards.
 */
class ContainersE2ETest {

    static final String[] APPLETS = {"httpd", "wget", "stty", "dd", "hostname", "grep", "tail", "kill", "yes"};

    @TempDir(cleanup = CleanupMode.ON_SUCCESS) // a failure leaves the daemon's log behind
    static Path tmp;
    static RegistryServer registry;
    static String image;
    static TestNetwork network;
    static DaemonProcess daemon;
    static final Instances INSTANCES = new Instances(() -> daemon.channel(), Duration.ofSeconds(60));

    @BeforeAll
    static void start() throws Exception {
        registry = RegistryServer.start(Files.createDirectories(tmp.resolve("registry")));
        OciImageBuilder.busyboxImage()
                .layer(LayerTree.create().dir("www").file("www/index.html", "hello from busybox httpd\n")
                        .applets(APPLETS), Compression.GZIP)
                .writeTo(tmp.resolve("layout"), "busybox")
                .push(registry.host() + "/library/busybox:e2e");
        image = registry.host() + "/library/busybox:e2e";
        network = TestNetwork.open(new InMemoryStore());
        daemon = startDaemon();
    }

    static DaemonProcess startDaemon() {
        return E2eDaemons.start(tmp.resolve("data"), false, "--bridge", network.options().bridgeName(),
                "--subnet", network.subnet().toString());
    }

    @AfterAll
    static void stop() {
        try {
            if (daemon != null) {
                try {
                    INSTANCES.deleteAll(Duration.ofSeconds(120)); // a failed test must not leave containers running on the host
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

    private static CreateInstanceRequest.Builder container(String name, String... command) {
        return CreateInstanceRequest.newBuilder().setName(name).setType(InstanceType.INSTANCE_TYPE_CONTAINER)
                .setSpec(InstanceSpec.newBuilder().setImage(image).setCpuCores(1).setMemoryBytes(512L << 20)
                        .addAllCommand(List.of(command)));
    }

    @Test
    void theSpecsContainerExampleServesHttpToAnotherContainerOverTheBridge() {
        // The spec's example with busybox httpd in place of nginx.
        Instance web = daemon.blocking().createInstance(
                container("web-server", "httpd", "-f", "-p", "80", "-h", "/www").build());
        assertThat(web.getState()).isEqualTo(InstanceState.INSTANCE_STATE_CREATING);
        Instance running = INSTANCES.awaitState(web.getId(), InstanceState.INSTANCE_STATE_RUNNING);
        String subnet = network.subnet().toString();
        assertThat(running.getIpAddress()).startsWith(subnet.substring(0, subnet.lastIndexOf('.')));

        Instance client = daemon.blocking().createInstance(container("web-client", "sh", "-c",
                "wget -q -O - http://" + running.getIpAddress() + "/index.html | grep -q 'hello from busybox httpd'")
                .build());
        Instance done = INSTANCES.awaitState(client.getId(), InstanceState.INSTANCE_STATE_STOPPED);
        assertThat(done.getIpAddress()).isNotEqualTo(running.getIpAddress()).isNotEmpty();
        InstanceStats served = daemon.blocking().getInstanceStats(
                GetInstanceStatsRequest.newBuilder().setInstanceId(web.getId()).build());
        assertThat(served.getNetworkRxBytes()).as("request bytes in").isPositive();
        assertThat(served.getNetworkTxBytes()).as("page bytes out").isGreaterThan(200);

        INSTANCES.delete(web.getId());
        INSTANCES.delete(client.getId());
    }

    @Test
    void theMetricsSayHowLongEachPhaseOfAContainersCreateTook() throws Exception {
        Instance one = daemon.blocking().createInstance(container("timed", "true").build());
        INSTANCES.awaitState(one.getId(), InstanceState.INSTANCE_STATE_STOPPED);
        String metrics = java.net.http.HttpClient.newHttpClient().send(java.net.http.HttpRequest.newBuilder(
                java.net.URI.create("http://127.0.0.1:" + daemon.metricsPort() + "/metrics")).build(),
                java.net.http.HttpResponse.BodyHandlers.ofString()).body();
        for (String phase : List.of("image", "rootfs", "network", "bundle", "leftovers", "conmon-create", "runtime-start")) {
            java.util.regex.Matcher count = java.util.regex.Pattern.compile(
                    "hypervisord_runtime_phase_duration_seconds_count\\{phase=\"" + phase
                    + "\",runtime=\"container\"\\} (\\d+)").matcher(metrics);
            assertThat(count.find()).as(phase + " in\n" + metrics.lines()
                    .filter(l -> l.contains("phase_duration")).toList()).isTrue();
            assertThat(Long.parseLong(count.group(1))).as(phase).isPositive();
        }
        INSTANCES.delete(one.getId());
    }

    @Test
    void aFailingMainProcessEndsInErrorWithItsExitCode() {
        Instance failing = daemon.blocking().createInstance(container("exits-4", "sh", "-c", "exit 4").build());
        Instance failed = INSTANCES.awaitState(failing.getId(), InstanceState.INSTANCE_STATE_ERROR);
        assertThat(failed.getErrorMessage()).isEqualTo("exited with code 4");
        INSTANCES.delete(failing.getId());
    }

    @Test
    void anUnknownNetworkIsNotFoundAndNoneIsLoopbackOnly() {
        assertThatThrownBy(() -> daemon.blocking().createInstance(container("lost", "true")
                .setSpec(InstanceSpec.newBuilder().setImage(image).setNetwork(NetworkSpec.newBuilder().setNetworkId("blue")))
                .build())).hasMessageContaining("NOT_FOUND");

        Instance alone = daemon.blocking().createInstance(container("alone", "sh", "-c",
                "test \"$(ls /sys/class/net)\" = lo").setSpec(InstanceSpec.newBuilder().setImage(image)
                .setNetwork(NetworkSpec.newBuilder().setNetworkId("none"))
                .addAllCommand(List.of("sh", "-c", "test \"$(ls /sys/class/net)\" = lo"
                        + " && test \"$(cat /sys/class/net/lo/flags)\" = 0x9"))).build()); // lo, and up
        Instance done = INSTANCES.awaitState(alone.getId(), InstanceState.INSTANCE_STATE_STOPPED);
        assertThat(done.getIpAddress()).isEmpty();
        INSTANCES.delete(alone.getId());
    }

    @Test
    void consoleAndStatsThroughTheApi() throws Exception {
        Instance shell = daemon.blocking().createInstance(container("shell", "sh").build());
        INSTANCES.awaitState(shell.getId(), InstanceState.INSTANCE_STATE_RUNNING);

        ConsoleViewer viewer = new ConsoleViewer();
        StreamObserver<ConsoleInput> input = daemon.async().attachConsole(viewer);
        input.onNext(ConsoleInput.newBuilder().setInstanceId(shell.getId())
                .setResize(TerminalSize.newBuilder().setRows(33).setCols(101)).build());
        input.onNext(ConsoleInput.newBuilder().setData(ByteString.copyFromUtf8("stty size; echo $((7*6))x\n")).build());
        await().atMost(Duration.ofSeconds(10))
                .until(() -> viewer.text().contains("33 101") && viewer.text().contains("42x"));
        input.onCompleted();
        assertThat(viewer.error()).isNull();

        InstanceStats stats = daemon.blocking().getInstanceStats(
                GetInstanceStatsRequest.newBuilder().setInstanceId(shell.getId()).build());
        assertThat(stats.getMemoryUsageBytes()).isPositive();
        assertThat(INSTANCES.get(shell.getId()).getState()).isEqualTo(InstanceState.INSTANCE_STATE_RUNNING);
        INSTANCES.delete(shell.getId());
    }

    @Test
    void containersSurviveADaemonKilledWithSigkillAndExitsMeanwhileAreRecorded() {
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            ids.add(daemon.blocking().createInstance(container("survivor-" + i, "sleep", "100000").build()).getId());
        }
        String shortLived = daemon.blocking().createInstance(container("short-lived", "sh", "-c",
                "while [ ! -f /tmp/go ]; do sleep 0.1; done; exit 9").build()).getId();
        ids.forEach(id -> INSTANCES.awaitState(id, InstanceState.INSTANCE_STATE_RUNNING));
        INSTANCES.awaitState(shortLived, InstanceState.INSTANCE_STATE_RUNNING);

        daemon.kill9();
        // While the daemon is down, tell the short-lived container to exit (its rootfs is on the host).
        Path rootfs = tmp.resolve("data/images/snapshots/active").resolve(shortLived).resolve("merged");
        try {
            Files.writeString(rootfs.resolve("tmp/go"), "");
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        await().atMost(Duration.ofSeconds(10)).until(() ->
                Files.exists(tmp.resolve("data/containers/exits").resolve(shortLived)));
        daemon = startDaemon();

        for (String id : ids) {
            assertThat(INSTANCES.get(id).getState()).as(id).isEqualTo(InstanceState.INSTANCE_STATE_RUNNING);
        }
        Instance exited = INSTANCES.awaitState(shortLived, InstanceState.INSTANCE_STATE_ERROR);
        assertThat(exited.getErrorMessage()).isEqualTo("exited with code 9");

        for (String id : List.of(ids.get(0), ids.get(10), ids.get(19))) {
            assertThat(echo(id, "still-attachable-" + id)).as(id + " is attachable after the restart").isTrue();
        }

        for (String id : ids) {
            daemon.blocking().stopInstance(StopInstanceRequest.newBuilder().setInstanceId(id).setForce(true).build());
        }
        ids.forEach(id -> INSTANCES.awaitState(id, InstanceState.INSTANCE_STATE_STOPPED));
        ids.forEach(INSTANCES::delete);
        INSTANCES.delete(shortLived);
    }

    @Test
    void aContainerOfRuntimeClassRunscRunsOnGvisorsKernelAndTheDefaultIsRunc() throws Exception {
        CreateInstanceRequest.Builder request = container("sandboxed", "sh", "-c", "echo kernel=$(uname -r); exec sh");
        request.getSpecBuilder().setRuntimeClass("runsc").setNetwork(NetworkSpec.newBuilder().setNetworkId("none"));
        Instance sandboxed = daemon.blocking().createInstance(request.build());
        assertThat(sandboxed.getSpec().getRuntimeClass()).isEqualTo("runsc");
        INSTANCES.awaitState(sandboxed.getId(), InstanceState.INSTANCE_STATE_RUNNING);
        String host = Files.readString(Path.of("/proc/sys/kernel/osrelease")).strip();
        assertThat(echo(sandboxed.getId(), "in-the-sandbox")).isTrue();
        ConsoleViewer viewer = new ConsoleViewer();
        StreamObserver<ConsoleInput> input = daemon.async().attachConsole(viewer);
        input.onNext(ConsoleInput.newBuilder().setInstanceId(sandboxed.getId()).build());
        await().atMost(Duration.ofSeconds(10)).until(() -> viewer.text().contains("kernel="));
        input.onCompleted();
        assertThat(viewer.text()).doesNotContain("kernel=" + host);
        assertThat(daemon.blocking().getInstanceStats(GetInstanceStatsRequest.newBuilder()
                .setInstanceId(sandboxed.getId()).build()).getMemoryUsageBytes()).isPositive();

        Instance plain = daemon.blocking().createInstance(container("plain", "true").build());
        assertThat(plain.getSpec().getRuntimeClass()).isEqualTo("runc");

        CreateInstanceRequest.Builder networked = container("networked", "true");
        networked.getSpecBuilder().setRuntimeClass("runsc");
        assertThatThrownBy(() -> daemon.blocking().createInstance(networked.build()))
                .hasMessageStartingWith("FAILED_PRECONDITION: spec.network.network_id: runtime class runsc has no network");
        CreateInstanceRequest.Builder unknown = container("unknown", "true");
        unknown.getSpecBuilder().setRuntimeClass("kata");
        assertThatThrownBy(() -> daemon.blocking().createInstance(unknown.build()))
                .hasMessageStartingWith("INVALID_ARGUMENT: spec.runtime_class: node e2e-node has no runtime class \"kata\"");
        INSTANCES.delete(sandboxed.getId());
        INSTANCES.delete(plain.getId());
    }

    @Test
    void aSecondDaemonOnTheSameBridgeSubnetOrDataDirectoryIsRefused() {
        String bridge = network.options().bridgeName();
        String subnet = network.subnet().toString();
        assertThatThrownBy(() -> E2eDaemons.start(tmp.resolve("second"), false, "--bridge", bridge, "--subnet", subnet))
                .hasMessageContaining("hypervisord exited with 1")
                .hasMessageContaining("bridge " + bridge + " belongs to another hypervisord (pid ");
        assertThatThrownBy(() -> E2eDaemons.start(tmp.resolve("third"), false, "--bridge", "hvt2nd" + bridge.substring(6),
                "--subnet", subnet))
                .hasMessageContaining("hypervisord exited with 1")
                .hasMessageContaining("subnet " + subnet + " overlaps " + network.subnet().gateway());
        assertThatThrownBy(() -> E2eDaemons.start(tmp.resolve("data"), true))
                .hasMessageContaining("the data directory " + tmp.resolve("data") + " belongs to another hypervisord");
        String mine = daemon.blocking().createInstance(container("still-mine", "true").build()).getId();
        INSTANCES.awaitState(mine, InstanceState.INSTANCE_STATE_STOPPED); // the first daemon carries on
        INSTANCES.delete(mine);
    }

    @Test
    void whatWouldFailOnlyLaterIsInvalidArgumentNamingTheFieldAtCreate() {
        String subnet = network.subnet().toString();
        String prefix = subnet.substring(0, subnet.lastIndexOf('.'));
        InstanceSpec base = container("x", "true").getSpec();
        java.util.Map<String, InstanceSpec> cases = new java.util.LinkedHashMap<>();
        cases.put("spec.network.ip_address", base.toBuilder().setNetwork(NetworkSpec.newBuilder().setIpAddress("192.0.2.7")).build());
        cases.put("spec.network.ip_address ", base.toBuilder().setNetwork(NetworkSpec.newBuilder()
                .setIpAddress(network.subnet().gateway())).build());
        cases.put("spec.network.ip_address  ", base.toBuilder().setNetwork(NetworkSpec.newBuilder()
                .setIpAddress(prefix + ".0")).build());
        cases.put("spec.disks[0].size_bytes", base.toBuilder().addDisks(dev.hypervisor.api.v1.DiskSpec.newBuilder()
                .setName("data").setSizeBytes(1)).build());
        cases.put("spec.env", base.toBuilder().putEnv("GREETING", "a\0b").build());
        cases.put("spec.command[0]", base.toBuilder().clearCommand().addCommand("").build());
        cases.put("spec.image", base.toBuilder().setImage(image + "\0").build());
        cases.put("spec.image ", base.toBuilder().setImage("file:///etc/shadow").build());
        cases.put("spec.image  ", base.toBuilder().setImage(registry.host() + "/library/../busybox:e2e").build());
        for (var entry : cases.entrySet()) {
            String field = entry.getKey().strip();
            assertThatThrownBy(() -> daemon.blocking().createInstance(container("refused", "true")
                    .setSpec(entry.getValue()).build()))
                    .as(entry.getKey() + " " + entry.getValue())
                    .hasMessageStartingWith("INVALID_ARGUMENT: " + field + ":");
        }
        assertThat(daemon.blocking().listInstances(dev.hypervisor.api.v1.ListInstancesRequest.getDefaultInstance())
                .getInstancesList()).extracting(Instance::getName).doesNotContain("refused");
    }

    @Test
    void aMebibytePastedIntoAnEchoingTtyFreezesNeitherTheConsoleNorTheContainer() throws Exception {
        // tr prints every line again in capitals, so its copy can be told from the tty's echo byte by byte. The
        // copy is flow-controlled and must arrive whole; the echo is not: under output pressure the kernel's line
        // discipline discards the oldest echo and sends what is left only with the next input or output (n_tty.c,
        // __process_echoes), so nothing here counts on all of it.
        Instance tr = daemon.blocking().createInstance(container("paste-target", "tr", "a-z", "A-Z").build());
        INSTANCES.awaitState(tr.getId(), InstanceState.INSTANCE_STATE_RUNNING);
        ConsoleViewer viewer = new ConsoleViewer();
        StreamObserver<ConsoleInput> input = daemon.async().attachConsole(viewer);
        input.onNext(ConsoleInput.newBuilder().setInstanceId(tr.getId()).build());
        StringBuilder paste = new StringBuilder();
        for (int line = 0; paste.length() < (1 << 20); line++) {
            paste.append("pasted line ").append(lettersOf(line)).append(' ').append("x".repeat(40)).append('\n');
        }
        paste.append("end of paste\n");
        // The tty echoes every byte and tr prints each line again: 2 MiB come back while 1 MiB goes in.
        for (int at = 0; at < paste.length(); at += 64 * 1024) {
            input.onNext(ConsoleInput.newBuilder().setData(ByteString.copyFromUtf8(
                    paste.substring(at, Math.min(paste.length(), at + 64 * 1024)))).build());
        }
        String copy = capitalsOf(paste.toString().toUpperCase(java.util.Locale.ROOT));
        try {
            await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(200))
                    .until(() -> capitalsOf(viewer.text()).length() >= copy.length());
        } catch (org.awaitility.core.ConditionTimeoutException e) {
            String seen = viewer.text();
            String capitals = capitalsOf(seen);
            int same = 0;
            while (same < capitals.length() && capitals.charAt(same) == copy.charAt(same)) {
                same++;
            }
            Thread.sleep(5000);
            throw new AssertionError("tr's copy of the paste did not come back within 60 s: the viewer got " + seen.length()
                    + " chars, " + capitals.length() + " of " + copy.length() + " capitals, the first " + same
                    + " as sent, " + (capitalsOf(viewer.text()).length() - capitals.length()) + " more 5 s later, "
                    + (seen.split("bytes of output dropped", -1).length - 1) + " drop markers, ending with: "
                    + seen.substring(Math.max(0, seen.length() - 600)), e);
        }
        assertThat(capitalsOf(viewer.text())).as("tr's copy, in order, nothing lost").isEqualTo(copy);
        assertThat(viewer.text()).as("the echo, at least where it began").contains("pasted line aaaa " + "x".repeat(40));
        input.onNext(ConsoleInput.newBuilder().setData(ByteString.copyFromUtf8("still alive\n")).build());
        await().atMost(Duration.ofSeconds(10)).until(() -> viewer.text().contains("STILL ALIVE"));
        assertThat(echo(tr.getId(), "a-second-viewer")).as("the console serves another viewer").isTrue();
        input.onCompleted();
        INSTANCES.delete(tr.getId());
    }

    /** {@code n} in four lower-case letters, so that a line's number is upper-cased with the rest of it. */
    private static String lettersOf(int n) {
        char[] letters = new char[4];
        for (int i = 3; i >= 0; i--, n /= 26) {
            letters[i] = (char) ('a' + n % 26);
        }
        return new String(letters);
    }

    private static String capitalsOf(String text) {
        return text.chars().filter(c -> c >= 'A' && c <= 'Z')
                .collect(StringBuilder::new, StringBuilder::appendCodePoint, StringBuilder::append).toString();
    }

    @Test
    void aViewerThatNeverReadsLosesItsOldestOutputWhileTheDaemonAndOtherViewersCarryOn() throws Exception {
        Instance yes = daemon.blocking().createInstance(container("flood", "yes").build());
        INSTANCES.awaitState(yes.getId(), InstanceState.INSTANCE_STATE_RUNNING);
        long rssBefore = daemon.rssBytes();
        StalledViewer stalled = new StalledViewer();
        StreamObserver<ConsoleInput> stalledInput = daemon.async().attachConsole(stalled);
        stalledInput.onNext(ConsoleInput.newBuilder().setInstanceId(yes.getId()).build());

        long slowest = 0;
        long until = System.nanoTime() + Duration.ofSeconds(15).toNanos();
        while (System.nanoTime() < until) {
            long start = System.nanoTime();
            assertThat(INSTANCES.get(yes.getId()).getState()).isEqualTo(InstanceState.INSTANCE_STATE_RUNNING);
            slowest = Math.max(slowest, System.nanoTime() - start);
            Thread.sleep(50);
        }
        ConsoleViewer live = new ConsoleViewer(); // more than the 64 KiB replay: live output flows to it
        StreamObserver<ConsoleInput> liveInput = daemon.async().attachConsole(live);
        liveInput.onNext(ConsoleInput.newBuilder().setInstanceId(yes.getId()).build());
        await().atMost(Duration.ofSeconds(10)).until(() -> live.length() > (256 << 10));
        liveInput.onCompleted();
        long growth = daemon.rssBytes() - rssBefore;
        assertThat(growth).as("daemon RSS growth with a stalled viewer on `yes`").isLessThan(100L << 20);
        assertThat(Duration.ofNanos(slowest)).as("slowest GetInstance meanwhile").isLessThan(Duration.ofSeconds(1));

        stalled.read();
        await().atMost(Duration.ofSeconds(20)).until(() -> stalled.text().contains("bytes of output dropped"));
        int marker = stalled.text().indexOf("[hypervisord: ");
        // Before the marker: what was already in flight (the transport's windows) and the backlog.
        assertThat(marker).as("bytes before the drop marker").isLessThan(8 << 20);
        stalledInput.onCompleted();
        INSTANCES.delete(yes.getId());
    }

    @Test
    void aViewerThatPausesForLessThanThePatienceHoldsTheOutputBackAndLosesNone() throws Exception {
        // cat writes 64 KiB at a time (yes, a line per write, would not fill anything in half a second).
        Instance zeros = daemon.blocking().createInstance(container("pausing-reader", "cat", "/dev/zero").build());
        INSTANCES.awaitState(zeros.getId(), InstanceState.INSTANCE_STATE_RUNNING);
        PausingViewer pausing = new PausingViewer();
        StreamObserver<ConsoleInput> input = daemon.async().attachConsole(pausing);
        input.onNext(ConsoleInput.newBuilder().setInstanceId(zeros.getId()).build());
        // cat fills the backlog and the transport's windows during every pause, and waits.
        try {
            await().atMost(Duration.ofSeconds(60)).until(() -> pausing.bytes() > (12 << 20));
        } catch (org.awaitility.core.ConditionTimeoutException e) {
            long then = pausing.bytes();
            Thread.sleep(2000);
            throw new AssertionError("the pausing viewer got " + then + " bytes in " + pausing.messages() + " messages in 60 s, "
                    + (pausing.bytes() - then) + " more in the next 2 s", e);
        }
        assertThat(pausing.droppedMarkers()).as("drop markers sent to a viewer that kept reading").isZero();
        assertThat(pausing.error()).isNull();
        input.onCompleted();
        INSTANCES.delete(zeros.getId());
    }

    /** Takes one message at a time and stops for half a second after every 2 MiB, as a busy client would. */
    private static final class PausingViewer implements io.grpc.stub.ClientResponseObserver<ConsoleInput,
            dev.hypervisor.api.v1.ConsoleOutput> {
        private final java.util.concurrent.atomic.AtomicLong bytes = new java.util.concurrent.atomic.AtomicLong();
        private final java.util.concurrent.atomic.AtomicInteger markers = new java.util.concurrent.atomic.AtomicInteger();
        private final java.util.concurrent.atomic.AtomicInteger messages = new java.util.concurrent.atomic.AtomicInteger();
        private final java.util.concurrent.atomic.AtomicReference<Throwable> error =
                new java.util.concurrent.atomic.AtomicReference<>();
        private volatile io.grpc.stub.ClientCallStreamObserver<ConsoleInput> call;

        @Override
        public void beforeStart(io.grpc.stub.ClientCallStreamObserver<ConsoleInput> requestStream) {
            call = requestStream;
            requestStream.disableAutoRequestWithInitial(1);
        }

        @Override
        public void onNext(dev.hypervisor.api.v1.ConsoleOutput value) {
            bytes.addAndGet(value.getData().size());
            messages.incrementAndGet();
            if (value.getData().toStringUtf8().contains("bytes of output dropped")) {
                markers.incrementAndGet();
            }
            long before = bytes.get() - value.getData().size();
            if (before >> 21 != bytes.get() >> 21) {
                try {
                    Thread.sleep(500);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            call.request(1);
        }

        long bytes() {
            return bytes.get();
        }

        int messages() {
            return messages.get();
        }

        int droppedMarkers() {
            return markers.get();
        }

        Throwable error() {
            return error.get();
        }

        @Override
        public void onError(Throwable t) {
            error.set(t);
        }

        @Override
        public void onCompleted() { }
    }

    /** A viewer that asks for no output until {@link #read} (manual flow control, as a stuck client). */
    private static final class StalledViewer implements io.grpc.stub.ClientResponseObserver<ConsoleInput,
            dev.hypervisor.api.v1.ConsoleOutput> {
        private final StringBuilder seen = new StringBuilder();
        private volatile io.grpc.stub.ClientCallStreamObserver<ConsoleInput> call;

        @Override
        public void beforeStart(io.grpc.stub.ClientCallStreamObserver<ConsoleInput> requestStream) {
            call = requestStream;
            requestStream.disableAutoRequestWithInitial(0);
        }

        void read() {
            call.request(Integer.MAX_VALUE);
        }

        @Override
        public synchronized void onNext(dev.hypervisor.api.v1.ConsoleOutput value) {
            if (seen.length() < (16 << 20)) {
                seen.append(value.getData().toString(java.nio.charset.StandardCharsets.ISO_8859_1));
            }
        }

        synchronized String text() {
            return seen.toString();
        }

        @Override
        public void onError(Throwable t) { }

        @Override
        public void onCompleted() { }
    }

    /** Types a token into the container's pty and waits for the terminal to echo it. */
    private static boolean echo(String id, String token) {
        ConsoleViewer viewer = new ConsoleViewer();
        StreamObserver<ConsoleInput> input = daemon.async().attachConsole(viewer);
        input.onNext(ConsoleInput.newBuilder().setInstanceId(id).setData(ByteString.copyFromUtf8(token)).build());
        try {
            await().atMost(Duration.ofSeconds(10)).until(() -> viewer.text().contains(token));
            return true;
        } catch (org.awaitility.core.ConditionTimeoutException e) {
            return false;
        } finally {
            input.onCompleted();
        }
    }
}
