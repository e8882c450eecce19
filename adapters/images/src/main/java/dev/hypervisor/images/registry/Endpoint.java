package dev.hypervisor.images.registry;

import java.net.URI;
import java.util.ArrayList;
import java.util.List;

/** One server to pull a registry's content from: a mirror, or the registry's own API host. */
record Endpoint(String registry, String host, boolean mirror, URI base) {

    /** The mirrors of {@code registry} in order, then its own server. */
    static List<Endpoint> of(RegistryConfig config, String registry) {
        List<Endpoint> result = new ArrayList<>();
        for (String mirror : config.mirrorsFor(registry)) {
            result.add(new Endpoint(registry, mirror, true, config.baseUrl(mirror)));
        }
        String server = config.serverFor(registry);
        result.add(new Endpoint(registry, server, false, config.baseUrl(server)));
        return result;
    }

    /** How messages name this endpoint, e.g. {@code registry docker.io (registry-1.docker.io)}. */
    String describe() {
        if (mirror) {
            return "registry mirror " + host + " (for " + registry + ")";
        }
        return host.equals(registry) ? "registry " + registry : "registry " + registry + " (" + host + ")";
    }
}
