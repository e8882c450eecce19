package dev.hypervisor.bench.containers;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.hypervisor.bench.images.HostProcesses;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * The baseline: one prepared OCI bundle run by plain {@code runc}, with a state root of its
 * own so that nothing else's containers are listed or touched. The root filesystem is the
 * benchmark's busybox image unpacked by umoci, and config.json is {@code runc spec}'s with
 * {@code terminal: false} and {@code sleep 100000}. runc's default spec gives the container
 * its own network namespace with loopback only, as network "none" does for ours.
 */
final class RuncBundle {

    private static final Duration TIMEOUT = Duration.ofSeconds(60);
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Path bundle;
    private final Path stateRoot;
    private final Path logs;

    private RuncBundle(Path bundle, Path stateRoot, Path logs) {
        this.bundle = bundle;
        this.stateRoot = stateRoot;
        this.logs = logs;
    }

    /** Unpacks {@code layout:tag} into {@code bundle} and writes the runc spec-style config.json. */
    static RuncBundle prepare(Path layout, String tag, Path bundle, Path stateRoot, Path logs) throws IOException {
        Files.createDirectories(logs);
        HostProcesses.run(List.of("umoci", "unpack", "--image", layout.toAbsolutePath() + ":" + tag, bundle.toString()),
                logs.resolve("umoci-unpack.log"), TIMEOUT);
        Files.delete(bundle.resolve("config.json")); // umoci's; runc spec refuses to overwrite it
        HostProcesses.run(List.of("runc", "spec", "--bundle", bundle.toString()), logs.resolve("runc-spec.log"), TIMEOUT);
        ObjectNode config = (ObjectNode) JSON.readTree(bundle.resolve("config.json").toFile());
        ObjectNode process = (ObjectNode) config.get("process");
        process.put("terminal", false);
        ArrayNode args = process.putArray("args");
        args.add("sleep").add("100000");
        JSON.writerWithDefaultPrettyPrinter().writeValue(bundle.resolve("config.json").toFile(), config);
        Files.createDirectories(stateRoot);
        return new RuncBundle(bundle, stateRoot, logs);
    }

    /** {@code runc create} then {@code runc start}: the wall time of both, fork to exit, in nanoseconds. */
    long createAndStart(String id) {
        Path log = logs.resolve(id + ".log");
        long create = HostProcesses.run(runc("create", "--bundle", bundle.toString(), id), log, TIMEOUT);
        long start = HostProcesses.run(runc("start", id), logs.resolve(id + "-start.log"), TIMEOUT);
        return create + start;
    }

    /** {@code runc run -d}: returns once the container runs; its wall time in nanoseconds. */
    long runDetached(String id) {
        return HostProcesses.run(runc("run", "-d", "--bundle", bundle.toString(), id), logs.resolve(id + ".log"), TIMEOUT);
    }

    /** How many of {@code ids} runc reports as running. */
    long running(List<String> ids) throws IOException {
        Path out = logs.resolve("list.json");
        HostProcesses.run(runc("list", "--format", "json"), out, TIMEOUT);
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
        HostProcesses.run(runc("delete", "-f", id), logs.resolve(id + "-delete.log"), TIMEOUT);
    }

    Path stateRoot() {
        return stateRoot;
    }

    private List<String> runc(String... args) {
        List<String> command = new ArrayList<>(List.of("runc", "--root", stateRoot.toString()));
        command.addAll(List.of(args));
        return command;
    }
}
