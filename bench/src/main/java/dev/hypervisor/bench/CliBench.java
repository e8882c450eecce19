package dev.hypervisor.bench;

import dev.hypervisor.api.v1.InstanceState;
import dev.hypervisor.testkit.DaemonProcess;
import dev.hypervisor.testkit.Instances;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code bench/run.sh cli}: bin/hvctl as a user runs it, one process per command, against
 * grpcurl making the same calls, the two alternating, on one daemon (a no-op driver). Wall time
 * from fork to exit, and peak RSS as GNU time reports it, for both alike. The floors: a JVM that
 * does nothing with hvctl's flags, and a bare grpc-java client making the same ListInstances call
 * with a class-data archive of its own, so that what the JVM and grpc-java cost is not taken for
 * hvctl's.
 */
public final class CliBench {

    @Command(name = "cli", sortOptions = false, usageHelpWidth = 110,
            description = "bin/hvctl's wall time and peak memory per command against grpcurl doing the same calls.")
    static final class Options extends CommonOptions {
        @Option(names = "--runs", paramLabel = "N", description = "runs of each command per side [${DEFAULT-VALUE}; quick 5]")
        int runs = 20;

        @Option(names = "--grpcurl", paramLabel = "PATH", description = "grpcurl for the baseline; without it hvctl's figures"
                + " are printed alone [../shared/tools/grpcurl]")
        Path grpcurl;
    }

    private static final double WALL_TARGET = 8;
    private static final double RSS_TARGET = 3;
    private static final long HELP_TARGET_NANOS = 150_000_000L;

    private final Options options;
    private final BenchRun run;
    private final Path root = Path.of("").toAbsolutePath();

    private CliBench(Options options, BenchRun run) {
        this.options = options;
        this.run = run;
    }

    public static void main(String[] args) {
        BenchRun.main(args, new Options(), List.of("java"), (options, run) -> new CliBench(options, run).run());
    }

    /** One process: its wall time, peak RSS and standard output. */
    private record Sample(long nanos, long rssBytes, String out) {}

    /** A side's samples of one command. */
    private static final class Side {
        final Percentiles wall = new Percentiles();
        final Percentiles rss = new Percentiles();

        void add(Sample s) {
            wall.add(s.nanos());
            rss.add(s.rssBytes());
        }
    }

    private String run() throws Exception {
        Path grpcurl = options.grpcurl != null ? options.grpcurl : root.resolve("../shared/tools/grpcurl").normalize();
        boolean baseline = Files.isExecutable(grpcurl);
        Path hvctl = root.resolve("bin/hvctl");
        Path time = Path.of("/usr/bin/time");
        if (!Files.isExecutable(time)) {
            throw new IllegalStateException("GNU time is not installed (bench/run.sh cli installs it)");
        }
        run.header(baseline ? ", baseline " + grpcurl : ", no grpcurl at " + grpcurl + ": hvctl's figures alone");
        Path work = run.work();
        try (DaemonProcess daemon = BenchDaemon.start("cli", BenchDaemon.class.getName(), List.of("--data-dir",
                work.resolve("data").toString(), "--node-id", Populate.NODE_ID, "--socket", "off"),
                work.resolve("daemon.log"), Duration.ofSeconds(120))) {
            String addr = "127.0.0.1:" + daemon.port();
            Instances instances = new Instances(daemon::channel, Duration.ofSeconds(30));
            String id = instances.create(CreateThroughputBench.request("cli-target"));
            instances.awaitState(id, InstanceState.INSTANCE_STATE_RUNNING);
            // The archive hvctl makes when its jars are newer than it: made now, not in the first measured run.
            measured(time, List.of(hvctl.toString(), "--help"));

            Map<String, Side> ours = new LinkedHashMap<>();
            Map<String, Side> theirs = new LinkedHashMap<>();
            for (String c : List.of("ls", "get", "create --wait", "--help")) {
                ours.put(c, new Side());
                theirs.put(c, new Side());
            }
            Side jvmFloor = new Side();
            Side grpcFloor = new Side();
            Path floorArchive = work.resolve("bare-client.jsa");
            // hvctl's own jars (grpc-java, protobuf, the API) and the bench's for the client class alone.
            String classpath = Path.of(BareClient.class.getProtectionDomain().getCodeSource().getLocation().toURI())
                    + jars(root.resolve("cli/target/lib"));
            List<String> bareJava = new ArrayList<>(List.of(javaBin(), "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
                    "-Dio.grpc.netty.shaded.io.netty.jfr.enabled=false", "-Xshare:auto", "-Xlog:cds=off",
                    "-Xlog:cds+dynamic=off"));
            List<String> bareClient = new ArrayList<>(bareJava);
            bareClient.addAll(List.of("-XX:ArchiveClassesAtExit=" + floorArchive, "-cp", classpath,
                    BareClient.class.getName(), addr));
            measured(time, bareClient);
            bareClient.set(bareJava.size(), "-XX:SharedArchiveFile=" + floorArchive);
            List<String> picocliClient = new ArrayList<>(bareClient);
            picocliClient.add("picocli");
            Side picocliFloor = new Side();

            int total = options.runs;
            for (int i = 0; i < total; i++) {
                String name = "cli-" + i;
                ours.get("ls").add(measured(time, List.of(hvctl.toString(), "--addr", addr, "ls")));
                ours.get("get").add(measured(time, List.of(hvctl.toString(), "--addr", addr, "get", id)));
                ours.get("create --wait").add(measured(time, List.of(hvctl.toString(), "--addr", addr, "create",
                        "--type", "container", "--image", "busybox", "--wait", name)));
                ours.get("--help").add(measured(time, List.of(hvctl.toString(), "--help")));
                if (baseline) {
                    theirs.get("ls").add(measured(time, grpcurl(grpcurl, addr, "ListInstances", "{}")));
                    theirs.get("get").add(measured(time, grpcurl(grpcurl, addr, "GetInstance",
                            "{\"instance_id\":\"" + id + "\"}")));
                    theirs.get("create --wait").add(createAndPoll(time, grpcurl, addr, "grpcurl-" + i));
                    theirs.get("--help").add(measured(time, List.of(grpcurl.toString(), "-help")));
                }
                jvmFloor.add(measured(time, List.of(bareJava.get(0), "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
                        "-Xshare:auto", "-version")));
                grpcFloor.add(measured(time, bareClient));
                picocliFloor.add(measured(time, picocliClient));
            }

            Report report = run.report();
            int figure = 1;
            for (String c : List.of("ls", "get", "create --wait")) {
                String wall = figure + " hvctl " + c + " p50 wall, vs grpcurl's same calls";
                String rss = figure + " hvctl " + c + " peak RSS, vs grpcurl's";
                if (baseline) {
                    report.latency(wall, ours.get(c).wall, theirs.get(c).wall, 50, WALL_TARGET);
                    long o = ours.get(c).rss.p50();
                    long t = theirs.get(c).rss.p50();
                    report.add(new Report.Row(rss, Report.mebibytes(o), Report.mebibytes(t), (double) o / t,
                            "<= " + Report.times(RSS_TARGET), (double) o / t <= RSS_TARGET));
                } else {
                    report.add(new Report.Row(wall, Report.millis(ours.get(c).wall.p50()), "n/a", Double.NaN,
                            "<= " + Report.times(WALL_TARGET), true));
                    report.add(new Report.Row(rss, Report.mebibytes(ours.get(c).rss.p50()), "n/a", Double.NaN,
                            "<= " + Report.times(RSS_TARGET), true));
                }
                figure++;
            }
            long help = ours.get("--help").wall.p50();
            report.latency(figure + " hvctl --help p50 wall (target 150 ms), vs a JVM doing nothing", help,
                    jvmFloor.wall.p50(), "<= 150 ms", help <= HELP_TARGET_NANOS);
            if (baseline) {
                report.printed(figure + " floor: JVM with hvctl's flags doing nothing (java -version), vs grpcurl ls",
                        jvmFloor.wall.p50(), theirs.get("ls").wall.p50());
                report.printed(figure + " floor: bare grpc-java ListInstances, own CDS archive, vs grpcurl ls",
                        grpcFloor.wall.p50(), theirs.get("ls").wall.p50());
                report.printed(figure + " floor: the same after a one-option picocli command line, vs grpcurl ls",
                        picocliFloor.wall.p50(), theirs.get("ls").wall.p50());
                report.add(new Report.Row(figure + " floor: bare grpc-java peak RSS, vs grpcurl ls",
                        Report.mebibytes(grpcFloor.rss.p50()), Report.mebibytes(theirs.get("ls").rss.p50()),
                        (double) grpcFloor.rss.p50() / theirs.get("ls").rss.p50(), Report.PRINTED, true));
            }
            report.note("%d runs of each command per side, alternating; p50 of wall time from fork to exit, p50 of peak RSS"
                    + " (GNU time's maximum resident set size).", total);
            report.note("hvctl ls p99 %s, grpcurl ls p99 %s; bare grpc-java client p50 %s, JVM doing nothing p50 %s.",
                    Report.millis(ours.get("ls").wall.p99()),
                    baseline ? Report.millis(theirs.get("ls").wall.p99()) : "n/a",
                    Report.millis(grpcFloor.wall.p50()), Report.millis(jvmFloor.wall.p50()));
            report.note("grpcurl's create --wait is CreateInstance, then GetInstance once per process until RUNNING"
                    + " (hvctl's waits on WatchInstance in the same process).");
            return "";
        }
    }

    private static List<String> grpcurl(Path grpcurl, String addr, String method, String body) {
        return List.of(grpcurl.toString(), "-plaintext", "-d", body, addr, "hypervisor.v1.ComputeService/" + method);
    }

    /**
     * grpcurl's create --wait: the create, then one GetInstance process at a time until the
     * instance runs; the wall time of them all, the peak RSS of the largest.
     */
    private Sample createAndPoll(Path time, Path grpcurl, String addr, String name) throws Exception {
        long start = System.nanoTime();
        Sample created = measured(time, grpcurl(grpcurl, addr, "CreateInstance", "{\"name\":\"" + name
                + "\",\"type\":\"INSTANCE_TYPE_CONTAINER\",\"spec\":{\"image\":\"busybox\"}}"));
        String id = created.out().replaceAll("(?s).*\"id\": \"([^\"]+)\".*", "$1");
        long rss = created.rssBytes();
        while (true) {
            Sample got = measured(time, grpcurl(grpcurl, addr, "GetInstance", "{\"instance_id\":\"" + id + "\"}"));
            rss = Math.max(rss, got.rssBytes());
            if (got.out().contains("INSTANCE_STATE_RUNNING")) {
                return new Sample(System.nanoTime() - start, rss, "");
            }
            if (System.nanoTime() - start > TimeUnit.SECONDS.toNanos(30)) {
                throw new IllegalStateException("instance " + name + " did not run within 30 s: " + got.out());
            }
        }
    }

    /** Runs {@code command} under GNU time: wall time as this JVM sees it, peak RSS as time reports it. */
    private Sample measured(Path time, List<String> command) throws IOException, InterruptedException {
        Path report = run.work().resolve("time.out");
        List<String> timed = new ArrayList<>(List.of(time.toString(), "-f", "%M", "-o", report.toString()));
        timed.addAll(command);
        long start = System.nanoTime();
        Process p = new ProcessBuilder(timed).redirectError(ProcessBuilder.Redirect.DISCARD).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        int code = p.waitFor();
        long nanos = System.nanoTime() - start;
        String reported = Files.readString(report).strip();
        if (code != 0 && !command.contains("-version")) {
            throw new IllegalStateException(String.join(" ", command) + " exited with " + code + ": " + out + reported);
        }
        return new Sample(nanos, Long.parseLong(reported.lines().reduce((x, y) -> y).orElseThrow()) * 1024, out);
    }

    private static String jars(Path dir) throws IOException {
        try (var files = Files.list(dir)) {
            return files.map(Path::toString).filter(f -> f.endsWith(".jar")).sorted().map(f -> ":" + f)
                    .reduce("", String::concat);
        }
    }

    private static String javaBin() {
        return Path.of(System.getProperty("java.home"), "bin", "java").toString();
    }

    /**
     * The floor's client: ListInstances over grpc-java's Netty transport, nothing else, then
     * exits; with a second argument {@code picocli}, after parsing a command line of one option and
     * one subcommand with picocli (whose Java 5 class files no class-data archive can hold).
     */
    public static final class BareClient {

        @Command(name = "bare", subcommands = BareLs.class)
        static final class Bare {
            @Option(names = "--addr")
            String addr;
        }

        @Command(name = "ls")
        static final class BareLs {}

        public static void main(String[] args) throws Exception {
            if (args.length > 1 && args[1].equals("picocli")) {
                new picocli.CommandLine(new Bare()).parseArgs("--addr", args[0], "ls");
            }
            // Its own I/O thread, stopped before exit as hvctl's is: HotSpot waits up to 300 ms at exit
            // for threads blocked in native code, as gRPC's shared event loop's are.
            var loop = new io.grpc.netty.shaded.io.netty.channel.epoll.EpollEventLoopGroup(1,
                    new io.grpc.netty.shaded.io.netty.util.concurrent.DefaultThreadFactory("bare-io", true));
            io.grpc.ManagedChannel channel = io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder.forTarget(args[0],
                    io.grpc.InsecureChannelCredentials.create()).eventLoopGroup(loop)
                    .channelType(io.grpc.netty.shaded.io.netty.channel.epoll.EpollSocketChannel.class).build();
            int n = dev.hypervisor.api.v1.ComputeServiceGrpc.newBlockingStub(channel).withDeadlineAfter(30, TimeUnit.SECONDS)
                    .listInstances(dev.hypervisor.api.v1.ListInstancesRequest.getDefaultInstance()).getInstancesCount();
            System.out.println(n);
            channel.shutdownNow().awaitTermination(2, TimeUnit.SECONDS);
            loop.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly(2, TimeUnit.SECONDS);
            System.exit(0); // as hvctl: Netty's global executor thread is no daemon and lingers a second
        }
    }
}
