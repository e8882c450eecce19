package dev.hypervisor.server;

import com.google.protobuf.Empty;
import dev.hypervisor.api.v1.AddTrustRequest;
import dev.hypervisor.api.v1.CreateJoinTokenRequest;
import dev.hypervisor.api.v1.CreateJoinTokenResponse;
import dev.hypervisor.api.v1.JoinToken;
import dev.hypervisor.api.v1.JoinWithTokenRequest;
import dev.hypervisor.api.v1.ListTrustRequest;
import dev.hypervisor.api.v1.ListTrustResponse;
import dev.hypervisor.api.v1.RemoveTrustRequest;
import dev.hypervisor.api.v1.TrustServiceGrpc;
import dev.hypervisor.api.v1.TrustedClient;
import dev.hypervisor.core.error.DomainException;
import dev.hypervisor.core.error.ErrorCode;
import dev.hypervisor.core.trust.Role;
import dev.hypervisor.core.trust.TrustRegistry;
import dev.hypervisor.tls.Certificates;
import io.grpc.stub.StreamObserver;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.function.Supplier;

/**
 * The gRPC face of the trust store. A join token carries the daemon's certificate fingerprint
 * and addresses besides its secret, so that {@code hvctl remote add --token} reaches the daemon
 * and pins its certificate without asking anyone anything.
 */
final class TrustApi extends TrustServiceGrpc.TrustServiceImplBase {

    private final TrustRegistry trust;
    private final TlsMaterial tls;
    private final Supplier<List<String>> addresses;

    /** {@code tls} null: the daemon serves no TLS listener, where nobody could join. */
    TrustApi(TrustRegistry trust, TlsMaterial tls, Supplier<List<String>> addresses) {
        this.trust = trust;
        this.tls = tls;
        this.addresses = addresses;
    }

    @Override
    public void listTrust(ListTrustRequest request, StreamObserver<ListTrustResponse> response) {
        Unary.answer(response, () -> ListTrustResponse.newBuilder()
                .addAllClients(trust.list().stream().map(TrustApi::toProto).toList()).build());
    }

    @Override
    public void addTrust(AddTrustRequest request, StreamObserver<TrustedClient> response) {
        Unary.answer(response, () -> {
            if (request.getCertificate().isBlank()) {
                throw DomainException.invalidArgument("certificate", "must be a PEM client certificate");
            }
            X509Certificate cert;
            try {
                cert = Certificates.parse(request.getCertificate());
            } catch (IllegalArgumentException e) {
                throw DomainException.invalidArgument("certificate", e.getMessage());
            }
            String name = request.getName().isEmpty() ? nullToEmpty(Certificates.subject(cert, "CN")) : request.getName();
            return toProto(trust.add(Certificates.fingerprint(cert), name, role(request.getRole()), caller().name(),
                    cert.getNotAfter().toInstant()));
        });
    }

    @Override
    public void removeTrust(RemoveTrustRequest request, StreamObserver<Empty> response) {
        Unary.answer(response, () -> {
            trust.remove(request.getFingerprint());
            return Empty.getDefaultInstance();
        });
    }

    @Override
    public void createJoinToken(CreateJoinTokenRequest request, StreamObserver<CreateJoinTokenResponse> response) {
        Unary.answer(response, () -> {
            Role role = role(request.getRole());
            if (tls == null) {
                throw DomainException.failedPrecondition("this daemon serves no TLS listener, where a client could"
                        + " join: start it with --tls (and --listen on an address clients reach)");
            }
            Duration ttl = request.hasTtl()
                    ? Duration.ofSeconds(request.getTtl().getSeconds(), request.getTtl().getNanos()) : null;
            TrustRegistry.Issued issued = trust.issueToken(role, request.getName(), ttl, caller().name());
            JoinToken token = JoinToken.newBuilder().setSecret(issued.secret()).setServerFingerprint(tls.fingerprint())
                    .addAllAddresses(addresses.get()).setExpiresAt(ApiMapper.timestamp(issued.expiresAt())).build();
            return CreateJoinTokenResponse.newBuilder()
                    .setToken(Base64.getUrlEncoder().withoutPadding().encodeToString(token.toByteArray()))
                    .setExpiresAt(ApiMapper.timestamp(issued.expiresAt())).build();
        });
    }

    @Override
    public void joinWithToken(JoinWithTokenRequest request, StreamObserver<TrustedClient> response) {
        Unary.answer(response, () -> {
            Identity caller = caller();
            if (caller.certificate() == null) {
                throw DomainException.failedPrecondition("joining trusts the certificate the call is made with: call"
                        + " over TLS with a client certificate (this call came without one)");
            }
            String secret = secret(request.getToken());
            return toProto(trust.redeem(secret, caller.fingerprint(), Certificates.subject(caller.certificate(), "CN"),
                    caller.certificate().getNotAfter().toInstant()));
        });
    }

    /** The secret of a token as CreateJoinToken wrote it; UNAUTHENTICATED when it is none. */
    private static String secret(String token) {
        try {
            return JoinToken.parseFrom(Base64.getUrlDecoder().decode(token.strip())).getSecret();
        } catch (IllegalArgumentException | com.google.protobuf.InvalidProtocolBufferException e) {
            throw new DomainException(ErrorCode.UNAUTHENTICATED, "token: not a join token (it is the text"
                    + " `hypervisord trust token` printed)");
        }
    }

    private static Identity caller() {
        Identity identity = Identity.CURRENT.get();
        return identity == null ? Identity.local() : identity;
    }

    private static Role role(dev.hypervisor.api.v1.Role wire) {
        return switch (wire) {
            case ROLE_VIEWER -> Role.VIEWER;
            case ROLE_OPERATOR -> Role.OPERATOR;
            case ROLE_ADMIN -> Role.ADMIN;
            default -> throw DomainException.invalidArgument("role", "must be ROLE_VIEWER, ROLE_OPERATOR or ROLE_ADMIN");
        };
    }

    static dev.hypervisor.api.v1.Role toProto(Role role) {
        return switch (role) {
            case VIEWER -> dev.hypervisor.api.v1.Role.ROLE_VIEWER;
            case OPERATOR -> dev.hypervisor.api.v1.Role.ROLE_OPERATOR;
            case ADMIN -> dev.hypervisor.api.v1.Role.ROLE_ADMIN;
        };
    }

    private static TrustedClient toProto(dev.hypervisor.core.trust.TrustedClient c) {
        TrustedClient.Builder wire = TrustedClient.newBuilder().setFingerprint(c.fingerprint()).setName(c.name())
                .setRole(toProto(c.role())).setAddedAt(ApiMapper.timestamp(c.addedAt()))
                .setAddedBy(nullToEmpty(c.addedBy()));
        if (c.notAfter() != null) {
            wire.setNotAfter(ApiMapper.timestamp(c.notAfter()));
        }
        return wire.build();
    }

    private static String nullToEmpty(String s) {
        return s == null ? "" : s;
    }
}
