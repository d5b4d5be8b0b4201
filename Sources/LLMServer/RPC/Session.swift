import Synchronization

/// One connection's session: unauthenticated until login, `session/authenticate`, or
/// (stdio only) `LLMRPC_ACCESS_TOKEN` at start-up binds it to a user.
public final class Session: Sendable {
    public enum Transport: Sendable { case stdio, socket }
    public let transport: Transport
    private let user = Mutex<String?>(nil)
    private let shutdownRequested = Mutex(false)

    public init(transport: Transport) { self.transport = transport }

    public var userID: String? { user.withLock { $0 } }
    public func bind(userID: String?) { user.withLock { $0 = userID } }

    public var didShutdown: Bool { shutdownRequested.withLock { $0 } }
    public func markShutdown() { shutdownRequested.withLock { $0 = true } }
}
