package dev.hypervisor.server;

import dev.hypervisor.tls.Certificates;
import dev.hypervisor.tls.SelfSigned;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code hypervisord certs ...}: the certificates of a cluster's nodes. */
@Command(name = "certs", mixinStandardHelpOptions = true, subcommands = CertsCommand.InitCluster.class,
        description = "Make the certificates the nodes of a cluster verify one another with.")
final class CertsCommand implements Runnable {

    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "expected a subcommand: init-cluster");
    }

    @Command(name = "init-cluster", mixinStandardHelpOptions = true,
            description = {"Makes a cluster CA (ca.crt, ca.key) in --dir, or uses the one there, and a certificate for"
                    + " each --node, for TLS between nodes: each node serves with its own and trusts its peers by"
                    + " --peer-ca, e.g.",
                "  hypervisord certs init-cluster --dir pki --node node-a=10.0.0.1 --node node-b=10.0.0.2",
                "  hypervisord --listen 10.0.0.1:50051 --tls-cert pki/node-a.crt --tls-key pki/node-a.key"
                        + " --peer-ca pki/ca.crt ...",
                "Keep ca.key off the nodes: it is only needed to add one."})
    static final class InitCluster implements Callable<Integer> {

        @Option(names = "--dir", required = true, paramLabel = "DIR", description = "Where the CA and certificates go.")
        Path dir;

        @Option(names = "--node", required = true, paramLabel = "ID[=ADDR,...]",
                description = "A node id (the certificate's common name and a DNS name) and the addresses (IPs or"
                        + " names) peers reach it by. Repeat per node.")
        List<String> nodes;

        @Option(names = "--days", defaultValue = "365", description = "Validity of the node certificates (default ${DEFAULT-VALUE}).")
        int days;

        @Spec
        CommandSpec spec;

        @Override
        public Integer call() throws Exception {
            if (days < 1) {
                throw new CommandLine.ParameterException(spec.commandLine(), "--days: at least 1, got " + days);
            }
            PrintWriter out = spec.commandLine().getOut();
            Path caCert = dir.resolve("ca.crt");
            Path caKey = dir.resolve("ca.key");
            List<Node> parsed = new ArrayList<>();
            for (String node : nodes) {
                Node n = Node.parse(node, spec.commandLine());
                if (Files.exists(dir.resolve(n.id() + ".crt")) || Files.exists(dir.resolve(n.id() + ".key"))) {
                    throw new CommandLine.ParameterException(spec.commandLine(), "--node " + n.id() + ": "
                            + dir.resolve(n.id() + ".crt") + " exists; remove it to make a new one");
                }
                parsed.add(n);
            }
            if (!Files.exists(caCert) || !Files.exists(caKey)) {
                SelfSigned.write(caCert, caKey, new SelfSigned.Subject("hypervisord cluster CA", null, List.of(), List.of()),
                        SelfSigned.Purpose.CA, Duration.ofDays(3650));
                out.println("made the cluster CA " + caCert + " (SHA-256 fingerprint "
                        + Certificates.fingerprint(Certificates.read(caCert)) + ")");
            } else {
                out.println("signing with the cluster CA " + caCert);
            }
            SelfSigned.Authority ca = SelfSigned.authority(caCert, caKey);
            for (Node n : parsed) {
                List<String> dns = new ArrayList<>(List.of(n.id()));
                List<String> ips = new ArrayList<>();
                for (String address : n.addresses()) {
                    (address.matches("[0-9.]+") || address.contains(":") ? ips : dns).add(address);
                }
                SelfSigned.Pair pair = SelfSigned.write(dir.resolve(n.id() + ".crt"), dir.resolve(n.id() + ".key"),
                        new SelfSigned.Subject(n.id(), null, dns, ips), SelfSigned.Purpose.PEER, Duration.ofDays(days), ca);
                out.println(n.id() + ": --tls-cert " + pair.cert() + " --tls-key " + pair.key() + " --peer-ca " + caCert);
            }
            return 0;
        }

        /** One --node: its id and the addresses it is reached by. */
        record Node(String id, List<String> addresses) {
            static Node parse(String text, CommandLine cli) {
                int eq = text.indexOf('=');
                String id = eq < 0 ? text : text.substring(0, eq);
                if (!id.matches("[A-Za-z0-9][A-Za-z0-9.-]*")) {
                    throw new CommandLine.ParameterException(cli, "--node: the id is letters, digits, '.' and '-', got '"
                            + id + "'");
                }
                List<String> addresses = eq < 0 ? List.of() : List.of(text.substring(eq + 1).split(","));
                if (addresses.stream().anyMatch(String::isBlank)) {
                    throw new CommandLine.ParameterException(cli, "--node " + id + ": an empty address in '" + text + "'");
                }
                return new Node(id, addresses);
            }
        }
    }
}
