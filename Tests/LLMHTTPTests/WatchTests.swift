import Foundation
import Synchronization
import Testing
@testable import LLMHTTP

/// Descriptors the engine watches along with its transfers (`watchReadable`): in its epoll
/// instance with libcurl's sockets, and run every round when epoll refuses them (/dev/null).
@Suite(.timeLimit(.minutes(3)))
struct WatchTests {
    enum Event: Equatable {
        case data(Int, String)
        case end(Int)
    }

    /// How often each callback ran.
    final class Calls: Sendable {
        let counts = Mutex<[Int: Int]>([:])
        subscript(name: Int) -> Int? { counts.withLock { $0[name] } }
    }

    /// Watches `fds` (named 0, 1, … in events) on `client`'s engine: each callback reads once.
    static func watch(_ fds: [Int32], on client: HTTPClient) -> (AsyncStream<Event>, Calls) {
        let (events, sink) = AsyncStream.makeStream(of: Event.self)
        let calls = Calls()
        for (name, fd) in fds.enumerated() {
            client.watchReadable(fd: fd) {
                calls.counts.withLock { $0[name, default: 0] += 1 }
                var buffer = [UInt8](repeating: 0, count: 64)
                let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress!, $0.count) }
                if n > 0 {
                    sink.yield(.data(name, String(decoding: buffer[0..<n], as: UTF8.self)))
                    return true
                }
                sink.yield(.end(name))
                return false
            }
        }
        return (events, calls)
    }

    static func pipes(_ n: Int) -> [(read: Int32, write: Int32)] {
        (0..<n).map { _ in
            var fds: [Int32] = [0, 0]
            precondition(pipe(&fds) == 0)
            return (fds[0], fds[1])
        }
    }

    static func write(_ fd: Int32, _ text: String) {
        let bytes = Array(text.utf8)
        precondition(bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress!, $0.count) } == bytes.count)
    }

    @Test(arguments: [2, 7])
    func everyWatchedDescriptorIsServedUntilItEnds(count: Int) async throws {
        let client = HTTPClient()
        let pipes = Self.pipes(count)
        let devNull = open("/dev/null", O_RDONLY | O_CLOEXEC)
        // The engine stops before the descriptors close, and each closes once: tests run in
        // parallel in this process, and a number closed twice, or read by a callback after it
        // was reused, was another test's socket (its transfers failed with "Empty reply from
        // server", "select/poll returned error" or garbled chunked encoding).
        defer {
            client.shutdown()
            for p in pipes.dropFirst() { close(p.write) }
            for p in pipes { close(p.read) }
            close(devNull)
        }
        let (events, calls) = Self.watch(pipes.map(\.read) + [devNull], on: client)
        var it = events.makeAsyncIterator()
        // /dev/null, which epoll refuses, is read at once and ends.
        #expect(await it.next() == .end(count))
        for (i, p) in pipes.enumerated() { Self.write(p.write, "m\(i)") }
        var got: Set<String> = []
        for _ in 0..<count {
            if case .data(let i, let text)? = await it.next() { got.insert("\(i):\(text)") }
        }
        #expect(got == Set((0..<count).map { "\($0):m\($0)" }))
        // One ends; the others are still served, and the ended one's callback is not run again.
        close(pipes[0].write)  // (closed here only, see the defer)
        #expect(await it.next() == .end(0))
        Self.write(pipes[count - 1].write, "last")
        #expect(await it.next() == .data(count - 1, "last"))
        #expect(calls[0] == 2)
        #expect(calls[count] == 1)
    }
}
