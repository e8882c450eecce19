package dev.hypervisor.server;

import io.grpc.Attributes;
import io.grpc.netty.shaded.io.grpc.netty.GrpcHttp2ConnectionHandler;
import io.grpc.netty.shaded.io.grpc.netty.InternalProtocolNegotiationEvent;
import io.grpc.netty.shaded.io.grpc.netty.InternalProtocolNegotiator;
import io.grpc.netty.shaded.io.grpc.netty.InternalProtocolNegotiators;
import io.grpc.netty.shaded.io.grpc.netty.ProtocolNegotiationEvent;
import io.grpc.netty.shaded.io.netty.channel.ChannelHandler;
import io.grpc.netty.shaded.io.netty.channel.ChannelHandlerContext;
import io.grpc.netty.shaded.io.netty.channel.ChannelInboundHandlerAdapter;
import io.grpc.netty.shaded.io.netty.channel.epoll.EpollDomainSocketChannel;
import io.grpc.netty.shaded.io.netty.channel.unix.PeerCredentials;
import io.grpc.netty.shaded.io.netty.util.AsciiString;
import java.io.IOException;

/**
 * Plaintext, as the unix socket is, plus the peer's credentials: read from the kernel once per
 * connection and handed to every call on it as {@link UnixPeer#KEY}, where
 * {@link Authorization} finds them. grpc-java has no public hook for a connection's
 * attributes, so this goes through its {@code Internal*} negotiator API, as its ALTS transport
 * does.
 */
final class UnixPeerNegotiator implements InternalProtocolNegotiator.ProtocolNegotiator {

    private final InternalProtocolNegotiator.ProtocolNegotiator plaintext = InternalProtocolNegotiators.serverPlaintext();
    private final int socketGid;
    private final String socketGroup;

    UnixPeerNegotiator(int socketGid, String socketGroup) {
        this.socketGid = socketGid;
        this.socketGroup = socketGroup;
    }

    @Override
    public AsciiString scheme() {
        return plaintext.scheme();
    }

    @Override
    public ChannelHandler newHandler(GrpcHttp2ConnectionHandler grpcHandler) {
        ChannelHandler next = plaintext.newHandler(grpcHandler);
        return new ChannelInboundHandlerAdapter() {
            @Override
            public void handlerAdded(ChannelHandlerContext ctx) {
                ctx.pipeline().addAfter(ctx.name(), null, next);
            }

            @Override
            public void userEventTriggered(ChannelHandlerContext ctx, Object event) throws Exception {
                if (event instanceof ProtocolNegotiationEvent negotiated) {
                    Attributes attributes = InternalProtocolNegotiationEvent.getAttributes(negotiated).toBuilder()
                            .set(UnixPeer.KEY, peer(ctx)).build();
                    ctx.fireUserEventTriggered(InternalProtocolNegotiationEvent.withAttributes(negotiated, attributes));
                    ctx.pipeline().remove(this);
                    return;
                }
                super.userEventTriggered(ctx, event);
            }
        };
    }

    private UnixPeer peer(ChannelHandlerContext ctx) throws IOException {
        PeerCredentials credentials = ((EpollDomainSocketChannel) ctx.channel()).peerCredentials();
        int[] gids = credentials.gids();
        return UnixPeer.of(credentials.pid(), credentials.uid(), gids.length > 0 ? gids[0] : -1, socketGid, socketGroup);
    }

    @Override
    public void close() {
        plaintext.close();
    }
}
