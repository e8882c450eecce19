package dev.hypervisor.testkit.guest;

import com.sun.net.httpserver.HttpServer;
import dev.hypervisor.host.HostCommand;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * A small disk image for test guests: an ext4 filesystem (no partition table, so the guest
 * mounts {@code /dev/sda} itself) holding {@value #MARKER_FILE} with the given text, as a qcow2
 * file. Made with mke2fs's {@code -d} and qemu-img, no loop mounts.
 */
public final class GuestDisk {

    public static final String MARKER_FILE = "marker";

    /** A disk served over HTTP on loopback: the image URL of a VM; closing stops the server. */
    public record Served(HttpServer server, String url) implements AutoCloseable {
        @Override
        public void close() {
            server.stop(0);
        }
    }

    private GuestDisk() {}

    /** Writes the qcow2 disk to {@code target}. */
    public static Path write(Path target, String marker) throws IOException {
        Path content = Files.createDirectories(target.resolveSibling(target.getFileName() + ".d"));
        Files.writeString(content.resolve(MARKER_FILE), marker + "\n", StandardCharsets.UTF_8);
        Path raw = target.resolveSibling(target.getFileName() + ".raw");
        HostCommand.run(null, List.of("mkfs.ext4", "-q", "-F", "-d", content.toString(), raw.toString(), "16M"));
        HostCommand.run(null, List.of("qemu-img", "convert", "-q", "-O", "qcow2", raw.toString(), target.toString()));
        Files.delete(raw);
        Files.delete(content.resolve(MARKER_FILE));
        Files.delete(content);
        return target;
    }

    /** Serves {@code disk} at {@code http://127.0.0.1:<port>/<its file name>}. */
    public static Served serve(Path disk) throws IOException {
        HttpServer http = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        http.createContext("/" + disk.getFileName(), exchange -> {
            exchange.sendResponseHeaders(200, Files.size(disk));
            try (var body = exchange.getResponseBody()) {
                Files.copy(disk, body);
            }
        });
        http.start();
        return new Served(http, "http://127.0.0.1:" + http.getAddress().getPort() + "/" + disk.getFileName());
    }
}
