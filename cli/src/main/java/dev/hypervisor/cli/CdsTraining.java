package dev.hypervisor.cli;

import java.io.ByteArrayInputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;

/**
 * The run whose loaded classes become hvctl's class-data archive (bin/hvctl starts it with
 * {@code -XX:ArchiveClassesAtExit} when the archive is missing or stale): the commands people
 * run most, against addresses nobody answers on, so that parsing the command line, the
 * configuration, building TCP and unix-socket channels, making a call and reporting its
 * failure are all loaded from the archive afterwards. Its output is thrown away.
 */
public final class CdsTraining {

    private CdsTraining() {}

    public static void main(String[] args) throws Exception {
        Path config = Files.createTempDirectory("hvctl-cds");
        PrintStream none = new PrintStream(OutputStream.nullOutputStream());
        Io io = new Io(new ByteArrayInputStream(new byte[0]), none, none, false);
        String[][] runs = {
            {"--help"},
            {"create", "--help"},
            {"--addr", "127.0.0.1:1", "--timeout", "2", "ls"},
            {"--addr", "127.0.0.1:1", "--timeout", "2", "-o", "json", "get", "training"},
            {"--addr", "unix://" + config.resolve("none.sock"), "--timeout", "2", "ls"},
            {"--addr", "127.0.0.1:1", "--timeout", "2", "create", "--type", "container", "--image", "busybox", "training"},
            {"--config-dir", config.toString(), "remote", "ls"},
        };
        for (String[] run : runs) {
            new Hvctl(Hvctl::plaintext, io, Clock.systemUTC()).execute(run);
        }
        ClientTransport.stop();
        try (var files = Files.walk(config)) {
            files.sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
        }
    }
}
