package dev.hypervisor.images.testing;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/** The little HTTP/1.1 {@link RegistryProxy} speaks by hand: one request head in, one response out, then close. */
final class ProxyHttp {

    private static final int MAX_HEAD = 64 * 1024;
    // RFC 9110 section 7.6.1: hop-by-hop fields are not forwarded; the proxy frames its own responses.
    private static final Set<String> HOP_BY_HOP = Set.of("connection", "keep-alive", "transfer-encoding", "te", "trailer",
            "upgrade", "proxy-authenticate", "proxy-authorization");

    /** A request head; header names are lower case, and {@link #header} answers "" for a missing one. */
    record Request(String method, String path, String query, Map<String, String> headers) {
        String header(String name) {
            return headers.getOrDefault(name, "");
        }
    }

    private ProxyHttp() {}

    /** Reads one request head, or null when the client closed without sending one. Request bodies are not supported. */
    static Request readRequest(InputStream in) throws IOException {
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        int matched = 0;
        int b;
        while (matched < 4 && (b = in.read()) >= 0) {
            head.write(b);
            matched = (b == "\r\n\r\n".charAt(matched)) ? matched + 1 : (b == '\r' ? 1 : 0);
            if (head.size() > MAX_HEAD) {
                throw new IOException("request head too large");
            }
        }
        if (matched < 4) {
            return null;
        }
        String[] lines = head.toString(StandardCharsets.ISO_8859_1).split("\r\n");
        String[] requestLine = lines[0].split(" ");
        if (requestLine.length != 3) {
            throw new IOException("bad request line: " + lines[0]);
        }
        Map<String, String> headers = new LinkedHashMap<>();
        for (int i = 1; i < lines.length; i++) {
            int colon = lines[i].indexOf(':');
            if (colon > 0) {
                headers.put(lines[i].substring(0, colon).strip().toLowerCase(Locale.ROOT), lines[i].substring(colon + 1).strip());
            }
        }
        String target = requestLine[1];
        int q = target.indexOf('?');
        return new Request(requestLine[0], q < 0 ? target : target.substring(0, q), q < 0 ? "" : target.substring(q + 1), headers);
    }

    /** Writes a complete small response; returns its status. */
    static int writeSimple(OutputStream out, int status, Map<String, String> headers, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        StringBuilder head = new StringBuilder("HTTP/1.1 ").append(status).append(' ').append(reason(status)).append("\r\n");
        headers.forEach((k, v) -> head.append(k).append(": ").append(v).append("\r\n"));
        if (!headers.containsKey("Content-Type")) {
            head.append("Content-Type: ").append(body.startsWith("{") ? "application/json" : "text/plain").append("\r\n");
        }
        head.append("Content-Length: ").append(bytes.length).append("\r\nConnection: close\r\n\r\n");
        out.write(head.toString().getBytes(StandardCharsets.ISO_8859_1));
        out.write(bytes);
        out.flush();
        return status;
    }

    /** Writes the status line and the upstream's end-to-end headers, Location rewritten to point at the proxy. */
    static void writeHead(OutputStream out, int status, Map<String, List<String>> upstreamHeaders, String upstreamHost,
            String proxyHost) throws IOException {
        StringBuilder head = new StringBuilder("HTTP/1.1 ").append(status).append(' ').append(reason(status)).append("\r\n");
        upstreamHeaders.forEach((name, values) -> {
            String lower = name.toLowerCase(Locale.ROOT);
            if (lower.startsWith(":") || HOP_BY_HOP.contains(lower)) {
                return;
            }
            for (String value : values) {
                String v = lower.equals("location") ? value.replace("//" + upstreamHost, "//" + proxyHost) : value;
                head.append(name).append(": ").append(v).append("\r\n");
            }
        });
        head.append("Connection: close\r\n\r\n");
        out.write(head.toString().getBytes(StandardCharsets.ISO_8859_1));
    }

    /** Copies at most {@code limit} bytes, flipping the first one when asked; returns how many were copied. */
    static long copy(InputStream in, OutputStream out, long limit, boolean flipFirst) throws IOException {
        byte[] buffer = new byte[64 * 1024];
        long copied = 0;
        int n;
        while (copied < limit && (n = in.read(buffer, 0, (int) Math.min(buffer.length, limit - copied))) >= 0) {
            if (flipFirst && copied == 0 && n > 0) {
                buffer[0] ^= (byte) 0xff;
            }
            out.write(buffer, 0, n);
            copied += n;
        }
        out.flush();
        return copied;
    }

    private static String reason(int status) {
        return switch (status) {
            case 200 -> "OK";
            case 206 -> "Partial Content";
            case 307 -> "Temporary Redirect";
            case 401 -> "Unauthorized";
            case 403 -> "Forbidden";
            case 404 -> "Not Found";
            case 405 -> "Method Not Allowed";
            case 416 -> "Range Not Satisfiable";
            case 502 -> "Bad Gateway";
            default -> "Status";
        };
    }
}
