import Testing
#if canImport(Glibc)
import Glibc
#endif
@testable import LLMHTTP

@Suite(.timeLimit(.minutes(3)))
struct HTTPClientFailureTests {
    /// A loopback port nobody listens on.
    private func closedPort() throws -> UInt16 {
        let server = try LoopbackServer()
        let port = server.port
        server.stop()
        return port
    }

    @Test func closedPortIsConnectFailed() async throws {
        let port = try closedPort()
        let client = HTTPClient()
        defer { client.shutdown() }
        let request = HTTPRequest(url: "http://127.0.0.1:\(port)/", headers: [("Authorization", "Bearer sk-secret")])
        let error = try await #require(throws: HTTPError.self) { try await client.send(request) }
        #expect(error.kind == .connectFailed)
        #expect(!error.message.isEmpty)
        #expect(!error.description.contains("sk-secret"))
    }

    @Test func silentServerHitsIdleTimeout() async throws {
        let server = try LoopbackServer()
        let client = HTTPClient(configuration: .init(idleTimeout: 1))
        defer { client.shutdown() }
        let error = try await #require(throws: HTTPError.self) {
            try await client.send(HTTPRequest(url: server.url("/hang")))
        }
        #expect(error.kind == .idleTimeout)
        await server.waitForClosedConnections(1)
    }

    @Test func silentServerHitsTotalTimeout() async throws {
        let server = try LoopbackServer()
        let client = HTTPClient(configuration: .init(idleTimeout: 60, totalTimeout: 0.5))
        defer { client.shutdown() }
        let error = try await #require(throws: HTTPError.self) {
            try await client.send(HTTPRequest(url: server.url("/hang")))
        }
        #expect(error.kind == .timedOut)
    }

    @Test func resetMidBodyIsTransportError() async throws {
        let server = try LoopbackServer()
        let client = HTTPClient()
        defer { client.shutdown() }
        let response = try await client.send(HTTPRequest(url: server.url("/reset")))
        #expect(response.status == 200)
        let error = try await #require(throws: HTTPError.self) { try await response.body.collect(maxBytes: 1 << 20) }
        #expect(error.kind == .transport)
    }

    @Test func endlessBodyIsTooLargeAndBounded() async throws {
        let server = try LoopbackServer()
        let limit = 1 << 20
        let client = HTTPClient(configuration: .init(maxBufferedBytes: 256 * 1024))
        defer { client.shutdown() }
        let response = try await client.send(HTTPRequest(url: server.url("/infinite")))
        let body = response.body
        let error = try await #require(throws: HTTPError.self) { try await body.collect(maxBytes: limit) }
        #expect(error.kind == .bodyTooLarge)
        #expect(body.peakBufferedBytes <= 256 * 1024 + 64 * 1024)
        await server.waitForClosedConnections(1)
    }
}
