package dev.hypervisor.bench.containers;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.hypervisor.bench.HostTools;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.stream.Stream;

/**
 * The baseline: one bundle of the benchmark's busybox (unpacked by umoci, {@code runc spec}'s config with {@code sleep
 * 100000}) run by plain {@code runc} with a state root of its own, so that nothing else's containers are touched.
 */
record RuncBundle(Path bundle, Path ttyBundle, Path stateRoot, Path logs) {

    private static final Duration TIMEOUT = Duration.ofSeconds(60);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Path CONMON = dev.hypervisor.host.Executables.findOr("conmon", Path.of("/usr/bin/conmon"));
    private static final Path RUNC = dev.hypervisor.host.Executables.findOr("runc", Path.of("/usr/sbin/runc"));

    /** Unpacks {@code layout:tag} into {@code bundle} and writes the runc spec-style config.json. */
    static RuncBundle prepare(Path layout, String tag, Path bundle, Path stateRoot, Path logs) throws IOException {
        Files.createDirectories(logs);
        HostTools.run(List.of("umoci", "unpack", "--image", layout.toAbsolutePath() + ":" + tag, bundle.toString()),
                logs.resolve("umoci-unpack.log"), TIMEOUT);
        Files.delete(bundle.resolve("config.json")); // umoci's; runc spec refuses to overwrite it
        HostTools.run(List.of("runc", "spec", "--bundle", bundle.toString()), logs.resolve("runc-spec.log"), TIMEOUT);
        ObjectNode config = (ObjectNode) JSON.readTree(bundle.resolve("config.json").toFile());
        ObjectNode process = (ObjectNode) config.get("process");
        process.put("terminal", false);
        ArrayNode args = process.putArray("args");
        args.add("sleep").add("100000");
        JSON.writerWithDefaultPrettyPrinter().writeValue(bundle.resolve("config.json").toFile(), config);
        // The conmon floor's bundle: the same config and root filesystem with a terminal, as the driver runs them.
        Path ttyBundle = Files.createDirectories(bundle.resolveSibling(bundle.getFileName() + "-tty"));
        process.put("terminal", true);
        ((ObjectNode) config.get("root")).put("path", bundle.resolve("rootfs").toAbsolutePath().toString());
        JSON.writerWithDefaultPrettyPrinter().writeValue(ttyBundle.resolve("config.json").toFile(), config);
        Files.createDirectories(stateRoot);
        return new RuncBundle(bundle, ttyBundle, stateRoot, logs);
    }

    /** {@code runc create} then {@code runc start}: the wall time of both, fork to exit, in nanoseconds. */
    long createAndStart(String id) {
        Path log = logs.resolve(id + ".log");
        long create = HostTools.run(runc("create", "--bundle", bundle.toString(), id), log, TIMEOUT);
        long start = HostTools.run(runc("start", id), logs.resolve(id + "-start.log"), TIMEOUT);
        return create + start;
    }

    /**
     * The floor under our create: conmon started as the container driver starts it (terminal, attach socket, exit
     * file, its report read by the same shell) running {@code runc create}, then {@code runc start}; no daemon,
     * store, overlay or network. Its wall time, fork to the end of {@code runc start}.
     */
    long conmonCreateAndStart(String id) {
        try {
            Path dir = Files.createDirectories(logs.resolve("conmon").resolve(id));
            Path exits = Files.createDirectories(logs.resolve("conmon-exits"));
            // A bundle directory per container, as the driver has: conmon makes its ctl and winsz FIFOs there.
            long start = System.nanoTime();
            Path own = Files.createDirectories(dir.resolve("bundle"));
            Files.copy(ttyBundle.resolve("config.json"), own.resolve("config.json"));
            List<String> command = List.of("/bin/sh", "-c",
                    "exec 2>>\"$0\"; \"$@\" 3>&1 1>/dev/null | { IFS= read -r report; printf '%s\\n' \"$report\"; }",
                    dir.resolve("conmon.err").toString(),
                    CONMON.toString(),
                    "--api-version", "1", "--cid", id, "--cuuid", id, "--name", id,
                    "--runtime", RUNC.toString(),
                    "--runtime-arg", "--root=" + stateRoot,
                    "--bundle", own.toString(),
                    "--container-pidfile", dir.resolve("pidfile").toString(),
                    "--conmon-pidfile", dir.resolve("conmon.pid").toString(),
                    "--log-path", "k8s-file:" + dir.resolve("console.log"),
                    "--exit-dir", exits.toString(), "--persist-dir", dir.toString(),
                    "--socket-dir-path", dir.toString(), "--full-attach", "--no-sync-log",
                    "--terminal", "--stdin", "--leave-stdin-open", "--log-level", "warn");
            ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
            builder.environment().put("_OCI_SYNCPIPE", "3");
            Process conmon = builder.start();
            conmon.getOutputStream().close();
            String report = new String(conmon.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
            if (!conmon.waitFor(TIMEOUT.toSeconds(), java.util.concurrent.TimeUnit.SECONDS)
                    || JSON.readTree(report.strip()).path("data").asLong(-1) <= 0) {
                conmon.destroyForcibly();
                throw new IllegalStateException("conmon did not create " + id + ": " + report.strip() + " "
                        + Files.readString(dir.resolve("conmon.err")).strip());
            }
            HostTools.run(runc("start", id), logs.resolve(id + "-start.log"), TIMEOUT);
            return System.nanoTime() - start;
        } catch (IOException e) {
            throw new IllegalStateException("conmon floor for " + id + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }

    /** {@code runc run -d}: returns once the container runs; its wall time in nanoseconds. */
    long runDetached(String id) {
        return HostTools.run(runc("run", "-d", "--bundle", bundle.toString(), id), logs.resolve(id + ".log"), TIMEOUT);
    }

    long running(List<String> ids) throws IOException {
        Path out = logs.resolve("list.json");
        Files.deleteIfExists(out); // the tools' output is appended to their logs
        HostTools.run(runc("list", "--format", "json"), out, TIMEOUT);
        var list = JSON.readTree(out.toFile());
        long count = 0;
        for (var container : list) {
            if (ids.contains(container.path("id").asText()) && container.path("status").asText().equals("running")) {
                count++;
            }
        }
        return count;
    }

    void delete(String id) {
        HostTools.run(runc("delete", "-f", id), logs.resolve(id + "-delete.log"), TIMEOUT);
    }

    private List<String> runc(String... args) {
        return Stream.concat(Stream.of("runc", "--root", stateRoot.toString()), Stream.of(args)).toList();
    }
}
