/// A response body, delivered as the chunks arrive from the network.
///
/// Iterate it once. A consumer that falls behind by `maxBufferedBytes` pauses the transfer
/// until it catches up. `cancel()`, cancelling the iterating task, or dropping the body before
/// its end aborts the transfer and closes its connection.
public final class HTTPBody: AsyncSequence, Sendable {
    public typealias Element = [UInt8]

    let transfer: Transfer

    init(_ transfer: Transfer) {
        self.transfer = transfer
    }

    deinit {
        transfer.cancel()
    }

    public struct AsyncIterator: AsyncIteratorProtocol {
        let body: HTTPBody

        /// The next chunk, or nil at the end; throws `HTTPError` on failure or cancellation.
        public mutating func next() async throws -> [UInt8]? {
            try await body.transfer.nextChunk()
        }
    }

    public func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(body: self)
    }

    /// Reads the whole body. Throws `HTTPError.bodyTooLarge` (and cancels the transfer) as soon
    /// as more than `maxBytes` bytes have arrived.
    public func collect(maxBytes: Int) async throws -> [UInt8] {
        var bytes: [UInt8] = []
        for try await chunk in self {
            if bytes.count + chunk.count > maxBytes {
                cancel()
                throw HTTPError(.bodyTooLarge, "the response body exceeds \(maxBytes) bytes")
            }
            if bytes.isEmpty {
                bytes = chunk
            } else {
                bytes.append(contentsOf: chunk)
            }
        }
        return bytes
    }

    /// Aborts the transfer at once (its connection is closed). Pending reads throw `.cancelled`.
    public func cancel() {
        transfer.cancel()
    }

    // MARK: testing

    /// Bytes received and not yet read.
    var bufferedBytes: Int { transfer.bufferedBytes }
    /// The most bytes buffered at once so far.
    var peakBufferedBytes: Int { transfer.peakBufferedBytes }
    /// How many times the transfer paused because this consumer lagged.
    var pauseCount: Int { transfer.pauses }
    /// Returns once the transfer has paused for this consumer (or ended).
    func waitUntilPaused() async { await transfer.waitUntilPaused() }
}
