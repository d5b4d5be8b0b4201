import NIOCore
import NIOHTTP1
import NIOPosix

/// A fake of the Anthropic, OpenAI and Gemini HTTP APIs on loopback, for integration tests and
/// benchmarks. Every request is answered from a per-provider FIFO of scenarios, falling back to a
/// default scenario (`FakeScenario.standard` unless changed), with zero think time.
public final class FakeProviderServer: @unchecked Sendable {
    private let group: MultiThreadedEventLoopGroup
    private let channel: Channel
    private let state: FakeServerState

    /// The bound TCP port.
    public let port: Int
    /// The bound host.
    public let host: String

    private init(group: MultiThreadedEventLoopGroup, channel: Channel, state: FakeServerState, host: String, port: Int) {
        self.group = group
        self.channel = channel
        self.state = state
        self.host = host
        self.port = port
    }

    /// Starts listening.
    /// - Parameters:
    ///   - host: the address to bind.
    ///   - port: 0 picks a free port; read it back from `port`.
    ///   - acceptedKeys: the API keys every provider accepts; nil accepts any non-empty key.
    ///   - recordRequests: false skips request recording (for long benchmarks); `requests` stays
    ///     empty and the `waitFor…` methods then only return at shutdown.
    ///   - threads: event-loop threads.
    public static func start(host: String = "127.0.0.1", port: Int = 0, acceptedKeys: Set<String>? = nil,
                             recordRequests: Bool = true, threads: Int = 1) async throws -> FakeProviderServer {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: max(1, threads))
        let state = FakeServerState(recordRequests: recordRequests)
        let router = FakeRouter(state: state, acceptedKeys: acceptedKeys)
        let bootstrap = ServerBootstrap(group: group)
            // Room for every connection the bench opens at once (1,024 streams direct, as many
            // through the gateway): with 256, connects past the accept queue lost their SYN and
            // came back a second later (the 1,024-stream level's p99 of ~1.6 s, both ways).
            // The kernel caps it at net.core.somaxconn (4,096 here).
            .serverChannelOption(.backlog, value: 4096)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline(withPipeliningAssistance: false)
                    try channel.pipeline.syncOperations.addHandler(
                        FakeHTTPHandler(router: router, connectionID: state.newConnectionID()))
                }
            }
        do {
            let channel = try await bootstrap.bind(host: host, port: port).get()
            guard let boundPort = channel.localAddress?.port else {
                throw FakeProviderError.noBoundPort
            }
            return FakeProviderServer(group: group, channel: channel, state: state, host: host, port: boundPort)
        } catch {
            try? await group.shutdownGracefully()
            throw error
        }
    }

    /// `http://HOST:PORT`.
    public var baseURL: String { "http://\(host):\(port)" }
    /// Base URL for Anthropic clients (they append `/v1/messages`).
    public var anthropicBaseURL: String { baseURL }
    /// Base URL for OpenAI clients, including `/v1` (they append `/chat/completions`).
    public var openAIBaseURL: String { baseURL + "/v1" }
    /// Base URL for Gemini clients (they append `/v1beta/models/{model}:…`).
    public var googleBaseURL: String { baseURL }

    /// Queues a scenario for the provider's next request (FIFO per provider).
    public func enqueue(_ scenario: FakeScenario, for provider: FakeProviderKind) {
        state.enqueue(scenario, for: provider)
    }

    /// Sets the scenario used when the provider's queue is empty.
    public func setDefault(_ scenario: FakeScenario, for provider: FakeProviderKind) {
        state.setDefault(scenario, for: provider)
    }

    /// Every request received so far, in arrival order (auth failures and unknown paths included).
    public var requests: [RecordedRequest] { state.requests }

    /// Returns once at least `count` requests have been received (or the server shut down).
    public func waitForRequests(count: Int) async {
        await state.waitForRequests(count: count)
    }

    /// Resolves when the connection that carried request number `requestIndex` (0-based) is closed —
    /// by the client, or by the server in a scenario that drops it — or the server shut down.
    /// Proves that a cancelled client closed its upstream connection.
    public func waitForClientDisconnect(requestIndex: Int) async {
        await state.waitForClientDisconnect(requestIndex: requestIndex)
    }

    /// Closes the listener and every connection, and wakes all waiters.
    public func shutdown() async throws {
        try? await channel.close()
        try await group.shutdownGracefully()
        state.shutDown()
    }
}

/// Failures starting the fake server.
public enum FakeProviderError: Error {
    case noBoundPort
}
