package dev.hypervisor.server;

import dev.hypervisor.core.trust.Role;
import io.grpc.Context;
import java.security.cert.X509Certificate;

/**
 * Who calls: a name (from the trust store or a client certificate's common name, the user on
 * the unix socket, or {@code local} on a plaintext TCP listener), the SHA-256 fingerprint of
 * its certificate when it showed one, and its role: null for a certificate nobody trusts yet,
 * which may only join with a token.
 */
record Identity(String name, String fingerprint, Role role, X509Certificate certificate) {

    static final Context.Key<Identity> CURRENT = Context.key("hypervisord-identity");

    static Identity local() {
        return new Identity("local", "", Role.ADMIN, null);
    }

    static Identity unknown() {
        return new Identity("", "", null, null);
    }
}
