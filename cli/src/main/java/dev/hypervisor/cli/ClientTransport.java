package dev.hypervisor.cli;

import io.grpc.ChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.shaded.io.netty.channel.EventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.epoll.Epoll;
import io.grpc.netty.shaded.io.netty.channel.epoll.EpollDomainSocketChannel;
import io.grpc.netty.shaded.io.netty.channel.epoll.EpollEventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.epoll.EpollSocketChannel;
import io.grpc.netty.shaded.io.netty.channel.nio.NioEventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.socket.nio.NioSocketChannel;
import io.grpc.netty.shaded.io.netty.util.concurrent.DefaultThreadFactory;
import java.util.concurrent.TimeUnit;

/**
 * hvctl's channels, on one I/O thread that hvctl owns and stops before it exits. With gRPC's
 * shared event loop (released a second after its last channel) the I/O threads are still
 * blocked in epoll_wait, in native code, when the JVM exits, and HotSpot waits up to 300 ms for
 * threads in native before it lets a process go: a third of every command's wall time.
 */
final class ClientTransport {

    private static EventLoopGroup loop;

    private ClientTransport() {}

    /** A channel to {@code target} (HOST:PORT, or unix:///PATH) on hvctl's I/O thread. */
    static synchronized ManagedChannel open(String target, ChannelCredentials credentials) {
        boolean unix = target.startsWith("unix:");
        if (loop == null) {
            DefaultThreadFactory threads = new DefaultThreadFactory("hvctl-io", true);
            loop = unix || Epoll.isAvailable() ? new EpollEventLoopGroup(1, threads) : new NioEventLoopGroup(1, threads);
        }
        NettyChannelBuilder builder = NettyChannelBuilder.forTarget(target, credentials).eventLoopGroup(loop);
        if (unix) {
            builder.channelType(EpollDomainSocketChannel.class);
        } else {
            builder.channelType(loop instanceof EpollEventLoopGroup ? EpollSocketChannel.class : NioSocketChannel.class);
        }
        return builder.build();
    }

    /** Stops the I/O thread, once every channel on it is shut down; the next channel starts another. */
    static synchronized void stop() {
        if (loop != null) {
            loop.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly(2, TimeUnit.SECONDS);
            loop = null;
        }
    }
}
