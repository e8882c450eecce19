package dev.hypervisor.server;

import dev.hypervisor.core.trust.Role;
import dev.hypervisor.core.trust.TrustRegistry;
import dev.hypervisor.core.trust.TrustedClient;
import dev.hypervisor.tls.Certificates;
import io.grpc.Attributes;
import io.grpc.Context;
import io.grpc.Contexts;
import io.grpc.Grpc;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Instant;
import java.util.Arrays;
import java.util.Optional;
import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.SSLSession;

/**
 * Finds out who calls and lets the call through only when the caller's role allows it:
 * UNAUTHENTICATED without an identity, PERMISSION_DENIED naming the role the method needs.
 *
 * <p>On a TLS listener the identity is the client certificate: one signed by
 * {@code --client-ca} has its common name as name and its organization (O=viewer,
 * O=operator, O=admin) as role; any other is looked up by fingerprint in the trust store, on
 * every call, so that removing it takes effect on open connections too. A certificate nobody
 * trusts may only join with a token. On the unix socket the caller is the user the kernel
 * names (see {@link UnixPeer}): root and the socket's group are admin, as on a Docker or Incus
 * socket, anyone else is refused. A plaintext TCP listener (loopback, or an explicit
 * {@code --insecure-listen}) cannot tell callers apart: each is {@code local}, an admin.
 */
final class Authorization implements ServerInterceptor {

    /** Where a TLS session keeps what its certificate was found to be: worked out once per connection. */
    private static final String SESSION_PRESENTED = "hypervisord.presented";

    /** A session's certificate and the client CA's verdict on it, made with the CA of {@code caVersion}. */
    private record Presented(X509Certificate certificate, String fingerprint, Object caVersion, ClientCa.Verdict verdict) {}

    private final TrustRegistry trust;
    private final ClientCa clientCa;
    private final Clock clock;

    Authorization(TrustRegistry trust, ClientCa clientCa, Clock clock) {
        this.trust = trust;
        this.clientCa = clientCa;
        this.clock = clock;
    }

    @Override
    public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
        String method = call.getMethodDescriptor().getFullMethodName();
        Identity identity;
        try {
            identity = identify(call.getAttributes());
            if (identity.role() == null && !method.equals(MethodRoles.JOIN)) {
                throw new Refused(untrusted(identity));
            }
        } catch (Refused e) {
            call.close(Status.UNAUTHENTICATED.withDescription(e.getMessage()), new Metadata());
            return new ServerCall.Listener<>() {};
        }
        Role needed = MethodRoles.required(method);
        if (identity.role() != null && !identity.role().allows(needed)) {
            call.close(Status.PERMISSION_DENIED.withDescription(method.substring(method.lastIndexOf('/') + 1)
                    + " needs the " + needed.label() + " role; " + identity.name() + " is " + identity.role().label()),
                    new Metadata());
            return new ServerCall.Listener<>() {};
        }
        return Contexts.interceptCall(Context.current().withValue(Identity.CURRENT, identity), call, headers, next);
    }

    /** Who calls on this call, or {@link Identity#unknown()} when nobody can tell: for the audit log, which never refuses. */
    Identity whoCalls(ServerCall<?, ?> call) {
        try {
            return identify(call.getAttributes());
        } catch (Refused e) {
            return Identity.unknown();
        }
    }

    static final class Refused extends Exception {
        Refused(String message) {
            super(message);
        }
    }

    Identity identify(Attributes transport) throws Refused {
        UnixPeer peer = transport.get(UnixPeer.KEY);
        if (peer != null) {
            if (!peer.admin()) {
                throw new Refused(peer.refusal());
            }
            return new Identity(peer.name(), "", Role.ADMIN, null);
        }
        return identify(transport.get(Grpc.TRANSPORT_ATTR_SSL_SESSION));
    }

    Identity identify(SSLSession tls) throws Refused {
        if (tls == null) {
            return Identity.local();
        }
        Presented presented = presented(tls);
        X509Certificate cert = presented.certificate();
        Instant now = clock.instant();
        if (now.isAfter(cert.getNotAfter().toInstant())) {
            throw new Refused("the client certificate " + describe(presented) + " expired at "
                    + cert.getNotAfter().toInstant() + ": make a new one (hvctl does on remote add)");
        }
        if (now.isBefore(cert.getNotBefore().toInstant())) {
            throw new Refused("the client certificate " + describe(presented) + " is not valid before "
                    + cert.getNotBefore().toInstant() + ": check the clocks");
        }
        if (presented.verdict() != null && presented.verdict().identity() != null) {
            return presented.verdict().identity();
        }
        Optional<TrustedClient> trusted = trust.lookup(presented.fingerprint());
        if (trusted.isPresent()) {
            return new Identity(trusted.get().name(), presented.fingerprint(), trusted.get().role(), cert);
        }
        if (presented.verdict() != null && presented.verdict().problem() != null) {
            throw new Refused(presented.verdict().problem());
        }
        String name = Certificates.subject(cert, "CN");
        return new Identity(name == null ? "" : name, presented.fingerprint(), null, cert);
    }

    private Presented presented(SSLSession tls) throws Refused {
        Object caVersion = clientCa == null ? null : clientCa.version();
        if (tls.getValue(SESSION_PRESENTED) instanceof Presented known && known.caVersion() == caVersion) {
            return known;
        }
        Certificate[] chain;
        try {
            chain = tls.getPeerCertificates();
        } catch (SSLPeerUnverifiedException e) {
            throw new Refused("this daemon needs a client certificate: hvctl makes one on `hvctl remote add`"
                    + (clientCa == null ? "" : ", or use one signed by its --client-ca"));
        }
        if (chain.length == 0 || !(chain[0] instanceof X509Certificate cert)) {
            throw new Refused("this daemon needs an X.509 client certificate");
        }
        X509Certificate[] x509 = Arrays.stream(chain).filter(X509Certificate.class::isInstance)
                .map(X509Certificate.class::cast).toArray(X509Certificate[]::new);
        Presented found = new Presented(cert, Certificates.fingerprint(cert), caVersion,
                clientCa == null ? null : clientCa.verify(x509));
        tls.putValue(SESSION_PRESENTED, found);
        return found;
    }

    private String untrusted(Identity identity) {
        return "the client certificate " + (identity.name().isEmpty() ? "" : "CN=" + identity.name() + " ")
                + "(SHA-256 " + identity.fingerprint() + ") is not trusted here: join with a token"
                + " (an admin runs `hypervisord trust token --role ROLE`, you `hvctl remote add NAME ADDRESS --token TOKEN`)"
                + (clientCa == null ? "" : " or use a certificate signed by the daemon's --client-ca");
    }

    private static String describe(Presented presented) {
        String name = Certificates.subject(presented.certificate(), "CN");
        return (name == null ? "" : "CN=" + name + " ") + "(SHA-256 " + presented.fingerprint() + ")";
    }
}
