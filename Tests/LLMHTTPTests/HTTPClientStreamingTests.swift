import Testing
@testable import LLMHTTP

@Suite(.timeLimit(.minutes(5)))
struct HTTPClientStreamingTests {
    /// Reads from `iterator` until `expected.count` bytes have arrived.
    private func read(_ count: Int, from iterator: inout HTTPBody.AsyncIterator) async throws -> [UInt8] {
        var bytes: [UInt8] = []
        while bytes.count < count, let chunk = try await iterator.next() {
            bytes += chunk
        }
        return bytes
    }

    @Test func eachPieceArrivesBeforeTheNextIsSent() async throws {
        let server = try LoopbackServer()
        let client = HTTPClient()
        defer { client.shutdown() }
        let response = try await client.send(HTTPRequest(url: server.url("/stream?pieces=4")))
        #expect(response.status == 200)
        var iterator = response.body.makeAsyncIterator()
        for index in 0..<4 {
            server.sendNextPiece()
            let expected = Array("piece-\(index);".utf8)
            #expect(try await read(expected.count, from: &iterator) == expected)
        }
        #expect(try await iterator.next() == nil)
    }

    @Test func manySmallChunksArriveComplete() async throws {
        let server = try LoopbackServer()
        let client = HTTPClient()
        defer { client.shutdown() }
        let response = try await client.send(HTTPRequest(url: server.url("/many?pieces=20000&size=100")))
        let body = try await response.body.collect(maxBytes: 2_000_000)
        #expect(body == [UInt8](repeating: 0x63, count: 2_000_000))
    }

    @Test func cancelClosesTheConnection() async throws {
        let server = try LoopbackServer()
        let client = HTTPClient()
        defer { client.shutdown() }
        let response = try await client.send(HTTPRequest(url: server.url("/hold")))
        var iterator = response.body.makeAsyncIterator()
        #expect(try await read(5, from: &iterator) == Array("first".utf8))
        response.body.cancel()
        await server.waitForClosedConnections(1)
        let error = try await #require(throws: HTTPError.self) { try await iterator.next() }
        #expect(error.kind == .cancelled)
    }

    @Test func cancellingTheReadingTaskClosesTheConnection() async throws {
        let server = try LoopbackServer()
        let client = HTTPClient()
        defer { client.shutdown() }
        let response = try await client.send(HTTPRequest(url: server.url("/hold")))
        let (firstChunk, firstChunkSeen) = AsyncStream.makeStream(of: Void.self)
        let reader = Task {
            var count = 0
            for try await chunk in response.body {
                count += chunk.count
                firstChunkSeen.yield()
            }
            return count
        }
        for await _ in firstChunk { break }
        reader.cancel()
        await server.waitForClosedConnections(1)
        let error = await #expect(throws: HTTPError.self) { try await reader.value }
        #expect(error?.kind == .cancelled)
    }

    @Test func droppingAnUnreadBodyClosesTheConnection() async throws {
        let server = try LoopbackServer()
        let client = HTTPClient()
        defer { client.shutdown() }
        do {
            let response = try await client.send(HTTPRequest(url: server.url("/hold")))
            #expect(response.status == 200)
        }
        await server.waitForClosedConnections(1)
    }

    @Test func cancellingSendBeforeHeadersClosesTheConnection() async throws {
        let server = try LoopbackServer()
        let client = HTTPClient()
        defer { client.shutdown() }
        let sender = Task { try await client.send(HTTPRequest(url: server.url("/hang"))) }
        // The server sees the connection once the request is under way; then cancel.
        await server.waitForAcceptedConnections(1)
        sender.cancel()
        let error = await #expect(throws: HTTPError.self) { try await sender.value }
        #expect(error?.kind == .cancelled)
        await server.waitForClosedConnections(1)
    }

    @Test func twoHundredConcurrentStreams() async throws {
        let server = try LoopbackServer()
        let client = HTTPClient()
        defer { client.shutdown() }
        let pieces = 20
        let size = 500
        let expected = (0 ..< pieces * size).map(LoopbackServer.patternByte)
        let results = try await withThrowingTaskGroup(of: Bool.self) { group in
            for _ in 0..<200 {
                group.addTask {
                    let response = try await client.send(HTTPRequest(url: server.url("/auto?pieces=\(pieces)&size=\(size)")))
                    let body = try await response.body.collect(maxBytes: 1 << 20)
                    return response.status == 200 && body == expected
                }
            }
            var good = 0
            for try await ok in group where ok { good += 1 }
            return good
        }
        #expect(results == 200)
    }

    @Test func slowConsumerPausesTheTransfer() async throws {
        let server = try LoopbackServer()
        let bound = 256 * 1024
        let total = 20 << 20
        let client = HTTPClient(configuration: .init(maxBufferedBytes: bound))
        defer { client.shutdown() }
        let response = try await client.send(HTTPRequest(url: server.url("/bytes?n=\(total)")))
        let body = response.body
        // Read nothing until the client has stopped reading from the socket.
        await body.waitUntilPaused()
        #expect(body.pauseCount == 1)
        let buffered = body.bufferedBytes
        #expect(buffered >= bound)
        #expect(buffered <= bound + 64 * 1024)
        // Then drain everything: every byte arrives, in order, and the buffer stayed bounded.
        var received = 0
        var intact = true
        for try await chunk in body {
            if chunk.count > 65536 || !chunk.elementsEqual(LoopbackServer.pattern(from: received, count: chunk.count)) {
                intact = false
            }
            received += chunk.count
        }
        #expect(received == total)
        #expect(intact)
        #expect(body.peakBufferedBytes <= bound + 64 * 1024)
        #expect(body.pauseCount > 1)
    }

    @Test func pausedTransferIsExemptFromIdleTimeout() async throws {
        let server = try LoopbackServer()
        // The idle timeout is long enough that a machine busy with the rest of the suite does not
        // stall the first 64 KB past it (0.5 s did, once: the transfer ended before it paused).
        let client = HTTPClient(configuration: .init(idleTimeout: 2, maxBufferedBytes: 64 * 1024))
        defer { client.shutdown() }
        let response = try await client.send(HTTPRequest(url: server.url("/bytes?n=\(20 << 20)")))
        let body = response.body
        await body.waitUntilPaused()
        if body.pauseCount != 1 {
            var iterator = body.makeAsyncIterator()
            let ended: String
            do { ended = "\(try await iterator.next()?.count ?? -1) bytes" } catch { ended = "\(error)" }
            Issue.record("the transfer ended before it paused: \(ended)")
            return
        }
        // Not a synchronisation: the consumer lags, and the transfer stays paused, for longer
        // than the idle timeout on purpose. The transfer must still be alive afterwards.
        try await Task.sleep(for: .seconds(3))
        #expect(!body.transfer.isFinished)
        var iterator = body.makeAsyncIterator()
        let chunk = try await iterator.next()
        #expect(chunk?.first == LoopbackServer.patternByte(0))
        body.cancel()
        await server.waitForClosedConnections(1)
    }
}
