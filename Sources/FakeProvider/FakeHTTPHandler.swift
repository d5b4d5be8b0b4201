import NIOCore
import NIOHTTP1

/// One connection: collects each request, asks the router for a reply, and plays the reply's steps
/// (writes, scheduled delays, closes) on the channel's event loop. HTTP/1.1 keep-alive; no pipelining.
final class FakeHTTPHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private static let fillerPiece = 64 * 1024

    private let router: FakeRouter
    private let connectionID: Int
    private var head: HTTPRequestHead?
    private var body: ByteBuffer?
    private var isActive = true
    private var pendingDelay: Scheduled<Void>?

    init(router: FakeRouter, connectionID: Int) {
        self.router = router
        self.connectionID = connectionID
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let requestHead):
            head = requestHead
            body = nil
            if requestHead.headers[canonicalForm: "expect"].contains(where: { $0.lowercased() == "100-continue" }) {
                context.writeAndFlush(wrapOutboundOut(.head(HTTPResponseHead(version: requestHead.version, status: .continue))), promise: nil)
            }
        case .body(var part):
            if body == nil { body = part } else { body!.writeBuffer(&part) }
        case .end:
            guard let requestHead = head else { return }
            head = nil
            let bytes = body.map { Array($0.readableBytesView) } ?? []
            body = nil
            let headers = requestHead.headers.map { ($0.name.lowercased(), $0.value) }
            let reply = router.reply(method: requestHead.method.rawValue, uri: requestHead.uri, headers: headers,
                                     body: bytes, connectionID: connectionID)
            guard case .respond(let plan) = reply else { return }  // .hang: never answer
            start(plan, version: requestHead.version, keepAlive: requestHead.isKeepAlive, context: context)
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        isActive = false
        pendingDelay?.cancel()
        pendingDelay = nil
        router.state.connectionClosed(connectionID)
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        context.close(promise: nil)
    }

    // MARK: Playing a plan

    private func start(_ plan: FakePlan, version: HTTPVersion, keepAlive: Bool, context: ChannelHandlerContext) {
        var headers = HTTPHeaders(plan.headers)
        if let length = plan.contentLength { headers.replaceOrAdd(name: "content-length", value: String(length)) }
        if !keepAlive { headers.replaceOrAdd(name: "connection", value: "close") }
        let status = plan.status == 529
            ? HTTPResponseStatus(statusCode: 529, reasonPhrase: "Overloaded")
            : HTTPResponseStatus(statusCode: plan.status)
        let responseHead = HTTPResponseHead(version: version, status: status, headers: headers)
        if plan.streaming {
            context.writeAndFlush(wrapOutboundOut(.head(responseHead)), promise: nil)
        } else {
            context.write(wrapOutboundOut(.head(responseHead)), promise: nil)
        }
        run(plan, from: 0, keepAlive: keepAlive, context: context)
    }

    private func run(_ plan: FakePlan, from start: Int, keepAlive: Bool, context: ChannelHandlerContext) {
        var index = start
        while index < plan.steps.count {
            guard isActive else { return }
            switch plan.steps[index] {
            case .body(let text):
                let part = wrapOutboundOut(.body(.byteBuffer(context.channel.allocator.buffer(string: text))))
                if plan.streaming { context.writeAndFlush(part, promise: nil) } else { context.write(part, promise: nil) }
            case .delay(let milliseconds):
                let bound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
                pendingDelay = context.eventLoop.scheduleTask(in: .milliseconds(Int64(milliseconds))) {
                    let (handler, context) = bound.value
                    handler.pendingDelay = nil
                    handler.run(plan, from: index + 1, keepAlive: keepAlive, context: context)
                }
                return
            case .filler(let bytes):
                writeFiller(remaining: bytes, context: context) { handler, context in
                    handler.run(plan, from: index + 1, keepAlive: keepAlive, context: context)
                }
                return
            case .close:
                context.flush()
                context.close(promise: nil)
                return
            case .gate(let gate):
                let bound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
                let next = index + 1
                gate.whenOpen(on: context.eventLoop) {
                    let (handler, context) = bound.value
                    handler.run(plan, from: next, keepAlive: keepAlive, context: context)
                }
                return
            }
            index += 1
        }
        guard isActive else { return }
        let done = context.writeAndFlush(wrapOutboundOut(.end(nil)))
        if !keepAlive {
            let bound = NIOLoopBound(context, eventLoop: context.eventLoop)
            done.whenComplete { _ in bound.value.close(promise: nil) }
        }
    }

    /// Writes `remaining` filler bytes one bounded piece at a time, each after the previous write completed.
    private func writeFiller(remaining: Int, context: ChannelHandlerContext,
                             then next: @escaping (FakeHTTPHandler, ChannelHandlerContext) -> Void) {
        guard isActive else { return }
        guard remaining > 0 else { return next(self, context) }
        let size = min(remaining, Self.fillerPiece)
        var buffer = context.channel.allocator.buffer(capacity: size)
        buffer.writeRepeatingByte(UInt8(ascii: "a"), count: size)
        let bound = NIOLoopBound((self, context, next), eventLoop: context.eventLoop)
        context.writeAndFlush(wrapOutboundOut(.body(.byteBuffer(buffer)))).whenSuccess {
            // Hop through the loop so a synchronously completed write does not recurse deeply.
            bound.eventLoop.execute {
                let (handler, context, next) = bound.value
                handler.writeFiller(remaining: remaining - size, context: context, then: next)
            }
        }
    }
}
