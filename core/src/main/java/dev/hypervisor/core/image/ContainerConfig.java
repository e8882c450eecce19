package dev.hypervisor.core.image;

import java.util.List;

/**
 * The run defaults of a container image (the OCI image config's {@code config} object).
 *
 * @param entrypoint the executable and its leading arguments; may be empty
 * @param cmd the default arguments (or command, without an entrypoint); may be empty
 * @param env {@code NAME=value} entries
 * @param workingDir the working directory; empty means {@code /}
 * @param user {@code user}, {@code uid}, {@code user:group} or {@code uid:gid}; empty means root
 * @param stopSignal the signal that asks the main process to stop, e.g. {@code SIGQUIT}; empty means SIGTERM
 */
public record ContainerConfig(
        List<String> entrypoint, List<String> cmd, List<String> env, String workingDir, String user,
        String stopSignal) {

    public ContainerConfig {
        entrypoint = List.copyOf(entrypoint);
        cmd = List.copyOf(cmd);
        env = List.copyOf(env);
        workingDir = workingDir == null ? "" : workingDir;
        user = user == null ? "" : user;
        stopSignal = stopSignal == null ? "" : stopSignal;
    }

    public static final ContainerConfig EMPTY = new ContainerConfig(List.of(), List.of(), List.of(), "", "", "");
}
