package dev.berth.controller;

import io.grpc.netty.shaded.io.netty.bootstrap.Bootstrap;
import io.grpc.netty.shaded.io.netty.channel.Channel;
import io.grpc.netty.shaded.io.netty.channel.ChannelHandlerContext;
import io.grpc.netty.shaded.io.netty.channel.SimpleChannelInboundHandler;
import io.grpc.netty.shaded.io.netty.channel.epoll.Epoll;
import io.grpc.netty.shaded.io.netty.channel.epoll.EpollDomainDatagramChannel;
import io.grpc.netty.shaded.io.netty.channel.epoll.EpollEventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.unix.DomainDatagramPacket;
import io.grpc.netty.shaded.io.netty.channel.unix.DomainSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * systemd's side of sd_notify(3) for tests: a unix datagram socket (netty's epoll transport) that
 * hands each message to {@code onMessage} on its one event-loop thread, as it arrives. Not for
 * concurrent use; close it once.
 */
final class NotifySocket implements AutoCloseable {
    private final EpollEventLoopGroup group;
    private final Channel channel;

    private NotifySocket(EpollEventLoopGroup group, Channel channel) {
        this.group = group;
        this.channel = channel;
    }

    /** Whether this JVM can bind one (netty's epoll transport is there). */
    static boolean available() {
        return Epoll.isAvailable();
    }

    static NotifySocket bind(Path path, Consumer<String> onMessage) throws InterruptedException {
        EpollEventLoopGroup group = new EpollEventLoopGroup(1);
        try {
            Channel ch = new Bootstrap().group(group).channel(EpollDomainDatagramChannel.class)
                    .handler(new SimpleChannelInboundHandler<DomainDatagramPacket>() {
                        @Override
                        protected void channelRead0(ChannelHandlerContext ctx, DomainDatagramPacket p) {
                            onMessage.accept(p.content().toString(StandardCharsets.UTF_8));
                        }
                    }).bind(new DomainSocketAddress(path.toFile())).sync().channel();
            return new NotifySocket(group, ch);
        } catch (InterruptedException | RuntimeException e) {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
            throw e;
        }
    }

    @Override
    public void close() {
        channel.close().syncUninterruptibly();
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }
}
