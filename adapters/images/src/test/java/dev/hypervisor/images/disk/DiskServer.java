package dev.hypervisor.images.disk;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A minimal HTTP/1.1 file server on loopback with Range support that can drop the
 * connection after a number of body bytes, as a flaky mirror would. Raw sockets, so that
 * the drop is a real one.
 */
final class DiskServer implements AutoCloseable {

    private final ServerSocket socket;
    private final Path root;
    final List<String> ranges = new CopyOnWriteArrayList<>();
    volatile long cutAfter = -1;
    volatile boolean ignoreRanges;
    volatile URI redirectTo; // answer every request with a 302 to it

    DiskServer(Path root) {
        this(root, InetAddress.getLoopbackAddress());
    }

    DiskServer(Path root, InetAddress address) {
        this.root = root;
        try {
            socket = new ServerSocket(0, 50, address);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        Thread acceptor = new Thread(this::serve, "disk-server");
        acceptor.setDaemon(true);
        acceptor.start();
    }

    private void serve() {
        while (!socket.isClosed()) {
            try (Socket client = socket.accept()) {
                handle(client);
            } catch (IOException e) {
                // a dropped or closed connection; serve the next one
            }
        }
    }

    private void handle(Socket client) throws IOException {
        BufferedReader in = new BufferedReader(new InputStreamReader(client.getInputStream(), StandardCharsets.ISO_8859_1));
        String requestLine = in.readLine();
        if (requestLine == null) {
            return;
        }
        String range = null;
        for (String line; (line = in.readLine()) != null && !line.isEmpty();) {
            if (line.toLowerCase().startsWith("range:")) {
                range = line.substring(6).trim();
            }
        }
        String path = requestLine.split(" ")[1];
        Path file = root.resolve(path.substring(1));
        OutputStream out = client.getOutputStream();
        URI redirect = redirectTo;
        if (redirect != null) {
            out.write(("HTTP/1.1 302 Found\r\nLocation: " + redirect + "\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
                    .getBytes(StandardCharsets.ISO_8859_1));
            return;
        }
        if (!Files.isRegularFile(file)) {
            out.write("HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
            return;
        }
        byte[] body = Files.readAllBytes(file);
        int start = 0;
        if (range != null) {
            ranges.add(range);
            if (!ignoreRanges) {
                start = Integer.parseInt(range.substring("bytes=".length(), range.indexOf('-')));
            }
        }
        int length = body.length - start;
        String status = start > 0 ? "206 Partial Content" : "200 OK";
        String headers = "HTTP/1.1 " + status + "\r\nContent-Length: " + length + "\r\nConnection: close\r\n"
                + (start > 0 ? "Content-Range: bytes " + start + "-" + (body.length - 1) + "/" + body.length + "\r\n" : "")
                + "\r\n";
        out.write(headers.getBytes(StandardCharsets.ISO_8859_1));
        long cut = cutAfter;
        if (cut >= 0) {
            cutAfter = -1;
            out.write(body, start, (int) Math.min(cut, length));
            out.flush();
            client.setSoLinger(true, 0); // reset, not a clean close: the body is short
            return;
        }
        out.write(body, start, length);
        out.flush();
    }

    URI url(String name) {
        return URI.create("http://" + socket.getInetAddress().getHostAddress() + ":" + socket.getLocalPort() + "/" + name);
    }

    Path root() {
        return root;
    }

    @Override
    public void close() {
        try {
            socket.close();
        } catch (IOException e) {
            // already closed
        }
    }
}
