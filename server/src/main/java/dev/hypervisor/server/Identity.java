package dev.hypervisor.server;

import io.grpc.Context;

/**
 * Who calls: a name (a client certificate's common name, or {@code local} on a plaintext
 * listener, which only loopback or {@code --insecure-listen} has), the SHA-256 fingerprint of
 * its certificate when it showed one, and its role.
 */
record Identity(String name, String fingerprint, Role role) {

    static final Context.Key<Identity> CURRENT = Context.key("hypervisord-identity");

    static Identity local() {
        return new Identity("local", "", Role.ADMIN);
    }
}
