package dev.hypervisor.cli;

import dev.hypervisor.api.v1.ComputeServiceGrpc;
import dev.hypervisor.api.v1.ComputeServiceGrpc.ComputeServiceBlockingStub;
import dev.hypervisor.api.v1.ComputeServiceGrpc.ComputeServiceStub;
import dev.hypervisor.api.v1.ImageKind;
import dev.hypervisor.api.v1.InstanceState;
import dev.hypervisor.api.v1.InstanceType;
import dev.hypervisor.api.v1.TrustServiceGrpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.TlsChannelCredentials;
import java.io.PrintWriter;
import java.time.Clock;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ScopeType;
import picocli.CommandLine.Spec;

/**
 * hvctl, the command-line client of hypervisord: global options, the subcommands, and the one
 * gRPC channel they share: to {@code --addr} as given, or to a remote of the configuration
 * over TLS with this client's certificate and the server's pinned, or to the local daemon.
 *
 * <p>Every failure prints one line on stderr, {@code hvctl: <CODE>: <description>}, and exits
 * with a code derived from the gRPC status:
 *
 * <table>
 *   <caption>Exit codes</caption>
 *   <tr><th>status</th><th>exit</th></tr>
 *   <tr><td>OK</td><td>0</td></tr>
 *   <tr><td>INVALID_ARGUMENT, and command-line usage errors</td><td>2</td></tr>
 *   <tr><td>NOT_FOUND</td><td>3</td></tr>
 *   <tr><td>ALREADY_EXISTS</td><td>4</td></tr>
 *   <tr><td>FAILED_PRECONDITION</td><td>5</td></tr>
 *   <tr><td>UNAVAILABLE (also: hypervisord not reachable)</td><td>6</td></tr>
 *   <tr><td>DEADLINE_EXCEEDED</td><td>7</td></tr>
 *   <tr><td>PERMISSION_DENIED, UNAUTHENTICATED</td><td>8</td></tr>
 *   <tr><td>RESOURCE_EXHAUSTED</td><td>9</td></tr>
 *   <tr><td>ABORTED</td><td>10</td></tr>
 *   <tr><td>OUT_OF_RANGE</td><td>11</td></tr>
 *   <tr><td>anything else, and a failed wait (instance went to ERROR)</td><td>1</td></tr>
 * </table>
 */
@Command(
    name = "hvctl",
    mixinStandardHelpOptions = true,
    scope = ScopeType.INHERIT,
    version = "hvctl 0.1.0",
    description = "Manage the instances and images of a hypervisord.")
public final class Hvctl implements Callable<Integer> {

  /**
   * The subcommands, in the order help lists them. Only the one a command line names is built
   * (picocli reads every option of every command it is given, a fifth of a second for all of
   * them); help, and a name none of them has, get them all.
   */
  static final java.util.List<Class<?>> SUBCOMMANDS = java.util.List.of(
      CreateCommand.class, GetCommand.class, ListCommand.class, StartCommand.class,
      StopCommand.class, RestartCommand.class, RemoveCommand.class, StatsCommand.class,
      WatchCommand.class, ConsoleCommand.class, ImageCommand.class, RemoteCommand.class,
      TrustCommand.class);

  @Option(names = "--addr", paramLabel = "HOST:PORT", scope = ScopeType.INHERIT,
      defaultValue = "${env:HV_ADDR:-}",
      description = "hypervisord address: HOST:PORT or unix:///PATH (env HV_ADDR; default the local daemon's socket "
          + LOCAL_SOCKET + " when it is there, else localhost:50051).")
  String address;

  @Option(names = "--remote", paramLabel = "NAME", scope = ScopeType.INHERIT,
      description = "Talk to this remote of `hvctl remote ls` instead of the current one.")
  String remoteName;

  @Option(names = "--config-dir", paramLabel = "DIR", scope = ScopeType.INHERIT, hidden = true,
      defaultValue = "${env:HVCTL_CONFIG_DIR:-}",
      description = "hvctl's configuration directory (env HVCTL_CONFIG_DIR; default ~/.config/hvctl).")
  String configDir;

  /** The socket a daemon run as root serves; hvctl's default remote when it exists. */
  static final String LOCAL_SOCKET = "/run/hypervisord/hypervisord.sock";

  @Option(names = {"-o", "--output"}, paramLabel = "table|json", scope = ScopeType.INHERIT,
      defaultValue = "table", description = "Output format: table or json (default ${DEFAULT-VALUE}).")
  Output.Format format;

  @Option(names = "--timeout", paramLabel = "SECONDS", defaultValue = "30",
      description = "Deadline of each unary call, in seconds (default ${DEFAULT-VALUE}).")
  double timeoutSeconds;

  @Option(names = "--tls-ca", paramLabel = "PEM", scope = ScopeType.INHERIT,
      description = "Speak TLS to hypervisord, trusting this CA for its certificate.")
  java.nio.file.Path tlsCa;

  @Option(names = "--tls-cert", paramLabel = "PEM", scope = ScopeType.INHERIT,
      description = "With --tls-ca: this client's certificate (its O= is the role the daemon grants), with --tls-key.")
  java.nio.file.Path tlsCert;

  @Option(names = "--tls-key", paramLabel = "PEM", scope = ScopeType.INHERIT,
      description = "The PKCS#8 PEM key of --tls-cert.")
  java.nio.file.Path tlsKey;

  @Spec
  CommandSpec spec;

  private final Function<String, ManagedChannel> channels;
  private final Io io;
  private final Clock clock;
  private ManagedChannel channel;
  private CliConfig config;
  private final java.util.List<ManagedChannel> extraChannels = new java.util.ArrayList<>();

  /** Where calls go: an address, and for a configured remote its name and pinned fingerprint. */
  record Endpoint(String remote, String address, String fingerprint) {}

  /**
   * Creates the command with its dependencies injected.
   *
   * @param channels opens a channel to a HOST:PORT address
   * @param io the streams to talk through
   * @param clock the clock ages are measured against
   */
  public Hvctl(Function<String, ManagedChannel> channels, Io io, Clock clock) {
    this.channels = channels;
    this.io = io;
    this.clock = clock;
  }

  public static void main(String[] args) {
    int exit = new Hvctl(Hvctl::plaintext, Io.system(), Clock.systemUTC()).execute(args);
    ClientTransport.stop();
    System.exit(exit);
  }

  /** Opens a plaintext channel to {@code address}. */
  public static ManagedChannel plaintext(String address) {
    return ClientTransport.open(address, InsecureChannelCredentials.create());
  }

  /** Runs one command line and returns its exit code; the channel is closed afterwards. */
  public int execute(String... args) {
    CommandLine cli = new CommandLine(this);
    // Before the settings below: picocli applies them to the subcommands it has at the time.
    java.util.List<Class<?>> named = named(args);
    (named.isEmpty() ? SUBCOMMANDS : named).forEach(cli::addSubcommand);
    cli.setCaseInsensitiveEnumValuesAllowed(true)
        .setOut(new PrintWriter(io.out(), true))
        .setErr(new PrintWriter(io.err(), true))
        .registerConverter(InstanceType.class, EnumNames.converter(InstanceType.class))
        .registerConverter(InstanceState.class, EnumNames.converter(InstanceState.class))
        .registerConverter(ImageKind.class, EnumNames.converter(ImageKind.class))
        .registerConverter(dev.hypervisor.api.v1.Role.class, EnumNames.converter(dev.hypervisor.api.v1.Role.class));
    FailureHandler failures = new FailureHandler(io.err(), () -> target());
    cli.setExecutionExceptionHandler(failures).setParameterExceptionHandler(failures);
    try {
      return cli.execute(args);
    } finally {
      close();
    }
  }

  /** The subcommand the first word that is no global option (nor its value) names; none for help and typos. */
  static java.util.List<Class<?>> named(String... args) {
    java.util.Set<String> taking = new java.util.HashSet<>();
    for (java.lang.reflect.Field f : Hvctl.class.getDeclaredFields()) {
      Option option = f.getAnnotation(Option.class);
      if (option != null && f.getType() != boolean.class) {
        taking.addAll(java.util.List.of(option.names()));
      }
    }
    for (int i = 0; i < args.length; i++) {
      String arg = args[i];
      if (arg.equals("--")) {
        break;
      }
      if (arg.startsWith("-")) {
        if (taking.contains(arg)) {
          i++; // its value
        }
        continue;
      }
      for (Class<?> c : SUBCOMMANDS) {
        Command command = c.getAnnotation(Command.class);
        if (command.name().equals(arg) || java.util.List.of(command.aliases()).contains(arg)) {
          return java.util.List.of(c);
        }
      }
      break;
    }
    return java.util.List.of();
  }

  @Override
  public Integer call() {
    spec.commandLine().usage(io.err());
    return ExitCode.USAGE;
  }

  /** A blocking stub whose next call has the {@code --timeout} deadline. */
  ComputeServiceBlockingStub unary() {
    long millis = (long) (timeoutSeconds * 1000);
    return ComputeServiceGrpc.newBlockingStub(channel()).withDeadlineAfter(millis, TimeUnit.MILLISECONDS);
  }

  /** A trust-store stub whose next call has the {@code --timeout} deadline. */
  TrustServiceGrpc.TrustServiceBlockingStub trust() {
    return trust(channel());
  }

  TrustServiceGrpc.TrustServiceBlockingStub trust(ManagedChannel to) {
    long millis = (long) (timeoutSeconds * 1000);
    return TrustServiceGrpc.newBlockingStub(to).withDeadlineAfter(millis, TimeUnit.MILLISECONDS);
  }

  java.time.Duration timeout() {
    return java.time.Duration.ofMillis((long) (timeoutSeconds * 1000));
  }

  /** The configuration, read once per run. */
  synchronized CliConfig config() {
    if (config == null) {
      config = CliConfig.load(CliConfig.directory(configDir));
    }
    return config;
  }

  /** A blocking stub without deadline, for server streams that last until cancelled. */
  ComputeServiceBlockingStub streaming() {
    return ComputeServiceGrpc.newBlockingStub(channel());
  }

  /** An asynchronous stub, for the bidirectional console. */
  ComputeServiceStub async() {
    return ComputeServiceGrpc.newStub(channel());
  }

  Output output() {
    return new Output(format, io.out());
  }

  Io io() {
    return io;
  }

  Clock clock() {
    return clock;
  }

  private synchronized ManagedChannel channel() {
    if (channel == null) {
      Endpoint to = endpoint();
      if (to.fingerprint() != null) {
        channel = pinned(to);
      } else {
        channel = tlsCa == null ? channels.apply(to.address()) : tls(to.address());
      }
    }
    return channel;
  }

  /**
   * Where calls go: --addr or HV_ADDR as given; else --remote or the current remote of the
   * configuration; else (remote {@code local}) the local socket when present, else localhost:50051.
   */
  Endpoint endpoint() {
    if (address != null && !address.isBlank()) {
      if (remoteName != null) {
        throw new CommandLine.ParameterException(spec.commandLine(), "--addr and --remote: give one or the other");
      }
      return new Endpoint(null, address, null);
    }
    String name = remoteName != null ? remoteName : config().current();
    if (name.equals(CliConfig.LOCAL)) {
      return new Endpoint(null, defaultTarget(null, java.nio.file.Path.of(LOCAL_SOCKET)), null);
    }
    CliConfig.Remote remote = config().remote(name).orElseThrow(() -> new CommandFailure(ExitCode.USAGE,
        "no remote " + name + ": `hvctl remote ls` lists them, `hvctl remote add` adds one"));
    return new Endpoint(name, remote.address(), remote.fingerprint());
  }

  /** The address to dial, for messages. */
  String target() {
    try {
      return endpoint().address();
    } catch (RuntimeException e) {
      return address != null && !address.isBlank() ? address : "(no address: " + e.getMessage() + ")";
    }
  }

  /**
   * A TLS channel to a remote that trusts exactly the certificate pinned for it and shows this
   * client's own, made on first use; closed with the run.
   */
  synchronized ManagedChannel pinned(Endpoint to) {
    dev.hypervisor.tls.SelfSigned.Pair me = ClientCertificate.ensure(config().dir());
    try {
      ManagedChannel opened = ClientTransport.open(to.address(), TlsChannelCredentials.newBuilder()
          .keyManager(me.cert().toFile(), me.key().toFile())
          .trustManager(new PinnedCertificate(to.remote(), to.fingerprint())).build());
      extraChannels.add(opened);
      return opened;
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  static String defaultTarget(String given, java.nio.file.Path socket) {
    if (given != null && !given.isBlank()) {
      return given;
    }
    return java.nio.file.Files.exists(socket) ? "unix://" + socket : "localhost:50051";
  }

  private ManagedChannel tls(String target) {
    try {
      TlsChannelCredentials.Builder credentials = TlsChannelCredentials.newBuilder()
          .trustManager(tlsCa.toFile());
      if (tlsCert != null) {
        credentials.keyManager(tlsCert.toFile(), tlsKey == null ? null : tlsKey.toFile());
      }
      return ClientTransport.open(target, credentials.build());
    } catch (java.io.IOException | RuntimeException e) {
      throw new CommandLine.ParameterException(spec.commandLine(),
          "cannot use --tls-ca/--tls-cert/--tls-key: " + e.getMessage());
    }
  }

  private synchronized void close() {
    if (channel != null && !extraChannels.contains(channel)) {
      extraChannels.add(channel);
    }
    for (ManagedChannel c : extraChannels) {
      c.shutdownNow();
      try {
        c.awaitTermination(2, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    extraChannels.clear();
    channel = null;
    config = null;
  }
}
