package dev.hypervisor.server;

import io.grpc.Server;
import io.grpc.ServerServiceDefinition;
import io.grpc.netty.shaded.io.grpc.netty.InternalNettyServerCredentials;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.netty.shaded.io.netty.channel.EventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.epoll.EpollEventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.epoll.EpollServerDomainSocketChannel;
import io.grpc.netty.shaded.io.netty.channel.unix.DomainSocketAddress;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.GroupPrincipal;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The daemon's unix socket, as Docker's and Incus's: plaintext, guarded by its file mode 0660
 * (root and the socket's group may connect), and knowing each caller by its peer credentials:
 * root and members of the socket's group are admin, anyone else (a socket made 0666 by hand)
 * is refused. hvctl and grpcurl reach it as {@code unix:///run/hypervisord/hypervisord.sock}.
 */
record UnixSocket(Server server, EventLoopGroup loop, Path path) implements AutoCloseable {

    static final String ROOT_DEFAULT = "/run/hypervisord/hypervisord.sock";
    static final String DEFAULT_CHOICE = "default";

    /** The socket {@code --socket} names: off, a path, or by default the root default when root. */
    static Path path(String option, boolean root) {
        if (option == null || option.equals("off") || option.isEmpty()) {
            return null;
        }
        if (option.equals(DEFAULT_CHOICE)) {
            return root ? Path.of(ROOT_DEFAULT) : null;
        }
        return Path.of(option);
    }

    /** Serves {@code services} on a socket at {@code path}, refusing one another daemon serves. */
    static UnixSocket serve(Path path, String group, int maxMessageBytes, List<ServerServiceDefinition> services)
            throws IOException {
        Files.createDirectories(path.toAbsolutePath().getParent());
        if (Files.exists(path)) {
            if (answers(path)) {
                throw new IllegalArgumentException("--socket " + path + " is served by another hypervisord");
            }
            Files.delete(path); // left by a daemon that died
        }
        // The file's group is set right after bind; until then it is the daemon's own.
        int gid = group == null ? UnixPeer.ownGroupId() : UnixPeer.groupId(group)
                .orElseThrow(() -> new IllegalArgumentException("--socket-group " + group + ": no such group"));
        String groupName = group == null ? UnixPeer.groupName(gid) : group;
        EventLoopGroup loop = new EpollEventLoopGroup(1);
        NettyServerBuilder builder = NettyServerBuilder.forAddress(new DomainSocketAddress(path.toString()),
                        InternalNettyServerCredentials.create(new UnixPeerNegotiator(gid, groupName)))
                .channelType(EpollServerDomainSocketChannel.class).bossEventLoopGroup(loop).workerEventLoopGroup(loop)
                .maxInboundMessageSize(maxMessageBytes);
        services.forEach(builder::addService);
        Server server;
        try {
            server = builder.build().start();
            Files.setPosixFilePermissions(path, PosixFilePermissions.fromString("rw-rw----"));
            if (group != null) {
                GroupPrincipal owner = path.getFileSystem().getUserPrincipalLookupService().lookupPrincipalByGroupName(group);
                Files.getFileAttributeView(path, PosixFileAttributeView.class).setGroup(owner);
            }
        } catch (IOException | RuntimeException e) {
            loop.shutdownGracefully(0, 0, TimeUnit.SECONDS);
            throw e;
        }
        return new UnixSocket(server, loop, path);
    }

    private static boolean answers(Path path) {
        try (SocketChannel probe = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            probe.connect(UnixDomainSocketAddress.of(path));
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    @Override
    public void close() {
        server.shutdownNow(); // its calls were given their grace with the TCP listener's
        loop.shutdownGracefully(0, 0, TimeUnit.SECONDS);
        try {
            Files.deleteIfExists(path);
        } catch (IOException e) {
            // gone with the directory
        }
    }
}
