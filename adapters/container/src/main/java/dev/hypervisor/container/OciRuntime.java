package dev.hypervisor.container;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.hypervisor.host.HostCommand;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The OCI runtime's command line (runc, or crun, which takes the same commands), with its own
 * state directory. conmon runs {@code create}; everything after that happens here.
 */
record OciRuntime(Path binary, Path stateRoot, List<String> flags) {

    /** What the runtime knows of a container: created, running, paused or stopped, and its init pid. */
    record State(String status, long pid) {
        boolean running() {
            return status.equals("running") || status.equals("paused");
        }

        boolean created() {
            return status.equals("created");
        }
    }

    private static final ObjectMapper JSON = new ObjectMapper();

    OciRuntime {
        flags = List.copyOf(flags);
    }

    /** The arguments conmon passes before the runtime's command. */
    List<String> globalArgs() {
        List<String> args = new ArrayList<>(List.of("--root=" + stateRoot));
        args.addAll(flags);
        return args;
    }

    /**
     * Whether the runtime may have the container: runc and crun keep a directory per container
     * under their root. Saves a process when there is surely none (a first start).
     */
    boolean knows(String id) {
        if (java.nio.file.Files.exists(stateRoot.resolve(id))) {
            return true; // runc's and crun's directory per container
        }
        // runsc keeps files named after the container: <id>_sandbox:<id>.state and its lock.
        try (var entries = java.nio.file.Files.newDirectoryStream(stateRoot, id + "_*")) {
            return entries.iterator().hasNext();
        } catch (IOException e) {
            return true; // cannot tell: ask the runtime
        }
    }

    /** The container's state, or empty when the runtime has no such container. */
    Optional<State> state(String id) throws IOException {
        HostCommand.Result result = HostCommand.call(null, command("state", id));
        if (result.exitCode() != 0) {
            if (gone(result.output())) {
                return Optional.empty();
            }
            throw new IOException(binary.getFileName() + " state " + id + " failed: " + result.output());
        }
        JsonNode state = JSON.readTree(jsonPart(result.output()));
        return Optional.of(new State(state.path("status").asText(), state.path("pid").asLong()));
    }

    /** Starts the user process of a created container. */
    void start(String id) throws IOException {
        HostCommand.run(null, command("start", id));
    }

    /** Sends a signal to the container's init process, or to all its processes. Quiet if it is gone. */
    void kill(String id, String signal, boolean all) throws IOException {
        List<String> args = new ArrayList<>(List.of("kill"));
        if (all) {
            args.add("--all");
        }
        args.add(id);
        args.add(signal);
        HostCommand.Result result = HostCommand.call(null, command(args.toArray(String[]::new)));
        if (result.exitCode() != 0 && !gone(result.output())) {
            throw new IOException(binary.getFileName() + " kill " + id + " " + signal + " failed: " + result.output());
        }
    }

    /** Deletes the container (killing what runs with {@code --force}); quiet if it is gone. */
    void delete(String id) throws IOException {
        HostCommand.Result result = HostCommand.call(null, command("delete", "--force", id));
        if (result.exitCode() != 0 && !gone(result.output())) {
            throw new IOException(binary.getFileName() + " delete " + id + " failed: " + result.output());
        }
    }

    /** runc says a container "does not exist"; runsc, deleted under it, that its state file is gone. */
    private static boolean gone(String output) {
        return output.contains("does not exist") || output.contains("not found") || output.contains("not running")
                || output.contains("process already finished")
                || (output.contains("loading container") && output.contains("no such file or directory"));
    }

    private List<String> command(String... args) {
        List<String> command = new ArrayList<>();
        command.add(binary.toString());
        command.addAll(globalArgs());
        command.addAll(List.of(args));
        return command;
    }

    /** runc may print warnings before the JSON document. */
    private static String jsonPart(String output) {
        int brace = output.indexOf('{');
        return brace < 0 ? output : output.substring(brace);
    }
}
