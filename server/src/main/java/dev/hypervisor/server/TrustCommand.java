package dev.hypervisor.server;

import com.google.protobuf.util.Durations;
import dev.hypervisor.api.v1.CreateJoinTokenRequest;
import dev.hypervisor.api.v1.CreateJoinTokenResponse;
import dev.hypervisor.api.v1.ListTrustRequest;
import dev.hypervisor.api.v1.TrustServiceGrpc;
import dev.hypervisor.api.v1.TrustedClient;
import dev.hypervisor.core.trust.Role;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import java.io.PrintWriter;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code hypervisord trust ...}: the trust store of a running daemon, reached on its unix
 * socket (where root is admin), so that the first client of a new host joins without copying
 * a certificate: {@code hypervisord trust token --role admin} prints a token, the client runs
 * {@code hvctl remote add NAME --token TOKEN}.
 */
@Command(name = "trust", mixinStandardHelpOptions = true, subcommands = {TrustCommand.Token.class, TrustCommand.Ls.class},
        description = "Who may call a running daemon: join tokens and trusted client certificates.")
final class TrustCommand implements Runnable {

    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "expected a subcommand: token or ls");
    }

    /** Where the running daemon is: its unix socket by default. */
    static final class Target {
        @Option(names = "--socket", paramLabel = "PATH", defaultValue = UnixSocket.ROOT_DEFAULT,
                description = "The daemon's unix socket. Default: ${DEFAULT-VALUE}")
        String socket;

        @Option(names = "--addr", paramLabel = "HOST:PORT",
                description = "A plaintext loopback listener instead of the socket (127.0.0.1:50051).")
        String address;

        ManagedChannel open() {
            String target = address != null ? address : "unix://" + socket;
            return Grpc.newChannelBuilder(target, InsecureChannelCredentials.create()).build();
        }

        String shown() {
            return address != null ? address : socket;
        }
    }

    @Command(name = "token", mixinStandardHelpOptions = true,
            description = {"Prints a one-time join token for a role. A client with it joins, and pins this daemon's"
                    + " certificate, with", "  hvctl remote add NAME --token TOKEN"})
    static final class Token implements Callable<Integer> {

        @Option(names = "--role", required = true, paramLabel = "ROLE", description = "viewer, operator or admin")
        String role;

        @Option(names = "--name", defaultValue = "", description = "The name the client is trusted under."
                + " Default: its certificate's common name.")
        String name;

        @Option(names = "--ttl", defaultValue = "1h", converter = DurationConverter.class,
                description = "How long the token stays valid (90s, 30m, 1h, 7d at most). Default: ${DEFAULT-VALUE}")
        Duration ttl;

        @CommandLine.Mixin
        Target target = new Target();

        @Spec
        CommandSpec spec;

        @Override
        public Integer call() {
            Role wanted = Role.named(role);
            if (wanted == null) {
                throw new CommandLine.ParameterException(spec.commandLine(), "--role: viewer, operator or admin, got " + role);
            }
            return TrustCommand.call(spec, target, channel -> {
                CreateJoinTokenResponse made = TrustServiceGrpc.newBlockingStub(channel)
                        .withDeadlineAfter(30, TimeUnit.SECONDS)
                        .createJoinToken(CreateJoinTokenRequest.newBuilder().setRole(TrustApi.toProto(wanted))
                                .setName(name).setTtl(Durations.fromMillis(ttl.toMillis())).build());
                PrintWriter out = spec.commandLine().getOut();
                out.println(made.getToken());
                spec.commandLine().getErr().println("valid until " + Instant.ofEpochSecond(
                        made.getExpiresAt().getSeconds()) + ", once, for the " + wanted.label() + " role");
            });
        }
    }

    @Command(name = "ls", mixinStandardHelpOptions = true, description = "Lists the trusted client certificates.")
    static final class Ls implements Callable<Integer> {

        @CommandLine.Mixin
        Target target = new Target();

        @Spec
        CommandSpec spec;

        @Override
        public Integer call() {
            return TrustCommand.call(spec, target, channel -> {
                PrintWriter out = spec.commandLine().getOut();
                out.printf("%-20s %-9s %-16s %s%n", "NAME", "ROLE", "FINGERPRINT", "ADDED BY");
                for (TrustedClient c : TrustServiceGrpc.newBlockingStub(channel).withDeadlineAfter(30, TimeUnit.SECONDS)
                        .listTrust(ListTrustRequest.getDefaultInstance()).getClientsList()) {
                    out.printf("%-20s %-9s %-16s %s%n", c.getName(), c.getRole().name().substring(5).toLowerCase(
                            java.util.Locale.ROOT), c.getFingerprint().substring(0, 16), c.getAddedBy());
                }
            });
        }
    }

    private interface Call {
        void run(ManagedChannel channel);
    }

    private static int call(CommandSpec spec, Target target, Call call) {
        ManagedChannel channel = target.open();
        try {
            call.run(channel);
            return 0;
        } catch (StatusRuntimeException e) {
            spec.commandLine().getErr().println("hypervisord trust: " + e.getStatus().getCode() + ": "
                    + (e.getStatus().getDescription() == null ? "cannot reach the daemon on " + target.shown()
                    : e.getStatus().getDescription()));
            return 1;
        } finally {
            channel.shutdownNow();
        }
    }
}
