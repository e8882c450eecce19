package dev.hypervisor.core.image;

import dev.hypervisor.core.instance.InstanceSpec;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The main process of an instance booted from a container image (a container, or the
 * workload of a microVM), as podman and Docker derive it: the image's entrypoint
 * followed by {@code spec.command} (or, without one, the image's cmd); the image's
 * environment with {@code spec.env} over it; the image's working directory and user.
 */
public record ProcessSpec(List<String> args, List<String> env, String cwd, String user, String stopSignal) {

    public static final String DEFAULT_PATH = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

    public static ProcessSpec of(ContainerConfig image, InstanceSpec spec, String hostname) {
        List<String> args = new ArrayList<>(image.entrypoint());
        args.addAll(spec.command().isEmpty() ? image.cmd() : spec.command());
        if (args.isEmpty()) {
            throw new IllegalArgumentException("the image has no entrypoint or cmd and spec.command is empty");
        }
        Map<String, String> env = new LinkedHashMap<>();
        put(env, DEFAULT_PATH);
        image.env().forEach(entry -> put(env, entry));
        env.put("HOSTNAME", hostname);
        env.putIfAbsent("TERM", "xterm");
        env.putAll(new java.util.TreeMap<>(spec.env()));
        List<String> entries = new ArrayList<>();
        env.forEach((name, value) -> entries.add(name + "=" + value));
        String cwd = image.workingDir().isEmpty() ? "/" : image.workingDir();
        String signal = image.stopSignal().isEmpty() ? "SIGTERM" : image.stopSignal();
        return new ProcessSpec(args, entries, cwd, image.user(), signal);
    }

    private static void put(Map<String, String> env, String entry) {
        int eq = entry.indexOf('=');
        if (eq > 0) {
            env.put(entry.substring(0, eq), entry.substring(eq + 1));
        }
    }
}
