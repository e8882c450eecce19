package dev.hypervisor.server;

import io.grpc.Context;
import io.grpc.Contexts;
import io.grpc.Grpc;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.cert.Certificate;
import java.security.cert.CertificateEncodingException;
import java.security.cert.X509Certificate;
import java.util.HexFormat;
import javax.naming.InvalidNameException;
import javax.naming.ldap.LdapName;
import javax.naming.ldap.Rdn;
import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.SSLSession;

/**
 * Finds out who calls and lets the call through only when the caller's role allows it:
 * UNAUTHENTICATED without an identity, PERMISSION_DENIED naming the role the method needs.
 *
 * <p>On a TLS listener the identity is the client certificate, which the TLS layer has already
 * checked against {@code --client-ca}: its common name is the caller's name and its
 * organization (O=viewer, O=operator, O=admin) the role. A plaintext listener (loopback, or an
 * explicit {@code --insecure-listen}) has no way to tell callers apart: each is {@code local},
 * an admin, as on a Docker or Incus socket.
 */
final class Authorization implements ServerInterceptor {

    @Override
    public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
        Identity identity;
        try {
            identity = identify(call.getAttributes().get(Grpc.TRANSPORT_ATTR_SSL_SESSION));
        } catch (Refused e) {
            call.close(Status.UNAUTHENTICATED.withDescription(e.getMessage()), new Metadata());
            return new ServerCall.Listener<>() {};
        }
        String method = call.getMethodDescriptor().getFullMethodName();
        Role needed = Role.required(method);
        if (!identity.role().allows(needed)) {
            call.close(Status.PERMISSION_DENIED.withDescription(method.substring(method.lastIndexOf('/') + 1)
                    + " needs the " + needed.label() + " role; " + identity.name() + " is " + identity.role().label()),
                    new Metadata());
            return new ServerCall.Listener<>() {};
        }
        return Contexts.interceptCall(Context.current().withValue(Identity.CURRENT, identity), call, headers, next);
    }

    static final class Refused extends Exception {
        Refused(String message) {
            super(message);
        }
    }

    /** Where a TLS session keeps the identity found for it: worked out once per connection, not per call. */
    private static final String SESSION_IDENTITY = "hypervisord.identity";

    static Identity identify(SSLSession tls) throws Refused {
        if (tls == null) {
            return Identity.local();
        }
        if (tls.getValue(SESSION_IDENTITY) instanceof Identity known) {
            return known;
        }
        Identity found = fromCertificate(tls);
        tls.putValue(SESSION_IDENTITY, found);
        return found;
    }

    private static Identity fromCertificate(SSLSession tls) throws Refused {
        Certificate[] chain;
        try {
            chain = tls.getPeerCertificates();
        } catch (SSLPeerUnverifiedException e) {
            throw new Refused("this daemon needs a client certificate signed by its --client-ca");
        }
        if (chain.length == 0 || !(chain[0] instanceof X509Certificate cert)) {
            throw new Refused("this daemon needs a client certificate signed by its --client-ca");
        }
        String name = attribute(cert, "CN");
        String organization = attribute(cert, "O");
        Role role = Role.named(organization);
        if (name == null || role == null) {
            throw new Refused("the client certificate " + cert.getSubjectX500Principal().getName()
                    + " names no role: its organization must be viewer, operator or admin (O=operator)");
        }
        return new Identity(name, fingerprint(cert), role);
    }

    private static String attribute(X509Certificate cert, String type) {
        try {
            for (Rdn rdn : new LdapName(cert.getSubjectX500Principal().getName()).getRdns()) {
                if (rdn.getType().equalsIgnoreCase(type)) {
                    return rdn.getValue().toString();
                }
            }
            return null;
        } catch (InvalidNameException e) {
            return null;
        }
    }

    static String fingerprint(X509Certificate cert) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(cert.getEncoded()));
        } catch (NoSuchAlgorithmException | CertificateEncodingException e) {
            throw new IllegalStateException("cannot fingerprint a certificate", e);
        }
    }
}
