package dev.hypervisor.testkit.net;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A TCP proxy on a loopback port in front of one address, that can lose traffic the way a
 * network does: for a while it swallows what one side sends, then cuts every connection it
 * carries. A request whose answer is swallowed has reached the server and been applied, but
 * the client only sees its connection die; a swallowed request never arrived.
 */
public final class TcpProxy implements AutoCloseable {

    /** Which direction a fault swallows. */
    public enum Direction { REQUESTS, RESPONSES }

    private final InetSocketAddress target;
    private final ServerSocket server;
    private final Set<Socket> open = ConcurrentHashMap.newKeySet();
    private volatile Direction swallowing;

    private TcpProxy(InetSocketAddress target) throws IOException {
        this.target = target;
        this.server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        Thread accept = new Thread(this::accept, "tcp-proxy-" + server.getLocalPort());
        accept.setDaemon(true);
        accept.start();
    }

    /** A proxy to {@code host:port}. */
    public static TcpProxy to(String hostPort) {
        int colon = hostPort.lastIndexOf(':');
        try {
            return new TcpProxy(new InetSocketAddress(hostPort.substring(0, colon), Integer.parseInt(hostPort.substring(colon + 1))));
        } catch (IOException e) {
            throw new IllegalStateException("cannot open a proxy port: " + e, e);
        }
    }

    /** {@code 127.0.0.1:PORT}: where clients connect instead of the target. */
    public String address() {
        return "127.0.0.1:" + server.getLocalPort();
    }

    /**
     * Swallows everything sent in {@code direction} for {@code how long}, then cuts every
     * connection open now; connections made afterwards carry traffic again. Returns at once.
     */
    public void swallowThenCut(Direction direction, Duration howLong) {
        swallowing = direction;
        Thread cut = new Thread(() -> {
            try {
                Thread.sleep(howLong.toMillis());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            swallowing = null;
            for (Socket s : open) {
                closeQuietly(s);
            }
        }, "tcp-proxy-cut");
        cut.setDaemon(true);
        cut.start();
    }

    private void accept() {
        while (!server.isClosed()) {
            try {
                Socket client = server.accept();
                Socket upstream = new Socket();
                try {
                    upstream.connect(target, 2000);
                } catch (IOException e) {
                    closeQuietly(client);
                    continue;
                }
                open.add(client);
                open.add(upstream);
                pump(client, upstream, Direction.REQUESTS);
                pump(upstream, client, Direction.RESPONSES);
            } catch (IOException e) {
                return; // closed
            }
        }
    }

    private void pump(Socket from, Socket to, Direction direction) {
        Thread t = new Thread(() -> {
            byte[] buffer = new byte[16 * 1024];
            try (InputStream in = from.getInputStream(); OutputStream out = to.getOutputStream()) {
                int n;
                while ((n = in.read(buffer)) >= 0) {
                    if (swallowing != direction) {
                        out.write(buffer, 0, n);
                        out.flush();
                    }
                }
            } catch (IOException e) {
                // one side went away: the other goes too
            } finally {
                closeQuietly(from);
                closeQuietly(to);
                open.remove(from);
                open.remove(to);
            }
        }, "tcp-proxy-" + direction.name().toLowerCase(java.util.Locale.ROOT));
        t.setDaemon(true);
        t.start();
    }

    private static void closeQuietly(Socket s) {
        try {
            s.close();
        } catch (IOException e) {
            // already gone
        }
    }

    @Override
    public void close() {
        try {
            server.close();
        } catch (IOException e) {
            // already closed
        }
        open.forEach(TcpProxy::closeQuietly);
    }
}
