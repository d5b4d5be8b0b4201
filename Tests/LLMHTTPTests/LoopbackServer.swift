import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A tiny HTTP/1.1 server on 127.0.0.1 (a thread per connection) whose routes exercise the
/// client: fixed bodies, gated streaming, hanging, resets, endless bodies, echo. It counts
/// accepted connections and reports when a client closed one.
final class LoopbackServer: @unchecked Sendable {
    static let fixedBody = Array("hello, world".utf8)

    private(set) var port: UInt16 = 0
    private let listenFD: Int32
    private let lock = NSLock()
    private var accepted = 0
    private var closed = 0
    private var closeWaiters: [(Int, CheckedContinuation<Void, Never>)] = []
    private var acceptWaiters: [(Int, CheckedContinuation<Void, Never>)] = []
    private var bytesSent = 0
    /// `/stream` sends its next piece each time this is signalled.
    private let streamGate = DispatchSemaphore(value: 0)

    init() throws {
        listenFD = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var one: Int32 = 1
        setsockopt(listenFD, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(listenFD, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard bound == 0, listen(listenFD, 1024) == 0 else {
            close(listenFD)
            throw POSIXError(.EADDRINUSE)
        }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(listenFD, $0, &length) }
        }
        port = UInt16(bigEndian: address.sin_port)
        let thread = Thread { [self] in acceptLoop() }
        thread.start()
    }

    deinit {
        Glibc.shutdown(listenFD, Int32(SHUT_RDWR))
        close(listenFD)
    }

    func stop() {
        Glibc.shutdown(listenFD, Int32(SHUT_RDWR))
    }

    func url(_ path: String) -> String { "http://127.0.0.1:\(port)\(path)" }

    /// TCP connections accepted so far.
    var acceptedConnections: Int { lock.withLock { accepted } }
    /// Connections the client closed (EOF, reset, or a failed send) so far.
    var closedConnections: Int { lock.withLock { closed } }
    /// Body bytes written by all routes so far.
    var totalBytesSent: Int { lock.withLock { bytesSent } }

    /// Lets `/stream` send its next piece.
    func sendNextPiece() { streamGate.signal() }

    /// Returns once the client has closed at least `count` connections.
    func waitForClosedConnections(_ count: Int) async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            lock.lock()
            if closed >= count {
                lock.unlock()
                continuation.resume()
            } else {
                closeWaiters.append((count, continuation))
                lock.unlock()
            }
        }
    }

    /// Returns once at least `count` connections have been accepted.
    func waitForAcceptedConnections(_ count: Int) async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            lock.lock()
            if accepted >= count {
                lock.unlock()
                continuation.resume()
            } else {
                acceptWaiters.append((count, continuation))
                lock.unlock()
            }
        }
    }

    private func recordAccepted() {
        lock.lock()
        accepted += 1
        let ready = acceptWaiters.filter { $0.0 <= accepted }.map(\.1)
        acceptWaiters.removeAll { $0.0 <= accepted }
        lock.unlock()
        for continuation in ready { continuation.resume() }
    }

    private func recordClosed() {
        lock.lock()
        closed += 1
        let ready = closeWaiters.filter { $0.0 <= closed }.map(\.1)
        closeWaiters.removeAll { $0.0 <= closed }
        lock.unlock()
        for continuation in ready { continuation.resume() }
    }

    private func acceptLoop() {
        while true {
            let fd = accept(listenFD, nil, nil)
            if fd < 0 {
                if errno == EINTR { continue }
                return
            }
            recordAccepted()
            let thread = Thread { [self] in serve(fd) }
            thread.stackSize = 256 * 1024
            thread.start()
        }
    }

    // MARK: one connection

    private struct Request {
        var method: String
        var path: String
        var head: [UInt8]
        var body: [UInt8]
    }

    private func serve(_ fd: Int32) {
        var buffer: [UInt8] = []
        while true {
            guard let request = readRequest(fd, &buffer) else {
                recordClosed()
                close(fd)
                return
            }
            if !respond(fd, request) {
                recordClosed()
                close(fd)
                return
            }
        }
    }

    /// Reads one request; nil when the client closed the connection.
    private func readRequest(_ fd: Int32, _ buffer: inout [UInt8]) -> Request? {
        let terminator: [UInt8] = [13, 10, 13, 10]
        var headEnd: Int?
        while true {
            if let range = buffer.firstRange(of: terminator) { headEnd = range.upperBound; break }
            guard receive(fd, &buffer) else { return nil }
        }
        let head = Array(buffer[..<headEnd!])
        let text = String(decoding: head, as: UTF8.self)
        let lines = text.components(separatedBy: "\r\n")
        let parts = lines[0].split(separator: " ")
        var contentLength = 0
        for line in lines.dropFirst() {
            let pair = line.split(separator: ":", maxSplits: 1)
            if pair.count == 2, pair[0].lowercased() == "content-length" {
                contentLength = Int(pair[1].trimmingCharacters(in: .whitespaces)) ?? 0
            }
        }
        while buffer.count < headEnd! + contentLength {
            guard receive(fd, &buffer) else { return nil }
        }
        let body = Array(buffer[headEnd! ..< headEnd! + contentLength])
        buffer.removeFirst(headEnd! + contentLength)
        return Request(method: String(parts[0]), path: String(parts[1]), head: head, body: body)
    }

    private func receive(_ fd: Int32, _ buffer: inout [UInt8]) -> Bool {
        var chunk = [UInt8](repeating: 0, count: 65536)
        let count = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
        if count <= 0 { return false }
        buffer.append(contentsOf: chunk[..<count])
        return true
    }

    /// Writes all of `bytes`; false when the client has gone.
    @discardableResult
    private func write(_ fd: Int32, _ bytes: [UInt8]) -> Bool {
        var offset = 0
        while offset < bytes.count {
            let count = bytes.withUnsafeBytes {
                send(fd, $0.baseAddress! + offset, $0.count - offset, Int32(MSG_NOSIGNAL))
            }
            if count <= 0 { return false }
            offset += count
        }
        return true
    }

    private func write(_ fd: Int32, _ text: String) -> Bool { write(fd, Array(text.utf8)) }

    private func writeChunk(_ fd: Int32, _ bytes: [UInt8]) -> Bool {
        let ok = write(fd, Array((String(bytes.count, radix: 16) + "\r\n").utf8) + bytes + [13, 10])
        if ok { lock.withLock { bytesSent += bytes.count } }
        return ok
    }

    /// The byte at `index` of the pattern bodies.
    static func patternByte(_ index: Int) -> UInt8 { UInt8(truncatingIfNeeded: index % 251) }

    /// Pattern bytes `start..<start + count` (count <= 64 KiB), sliced from a precomputed run.
    static func pattern(from start: Int, count: Int) -> ArraySlice<UInt8> {
        let offset = start % 251
        return patternRun[offset ..< offset + count]
    }

    private static let patternRun: [UInt8] = (0 ..< 251 + 65536).map(patternByte)

    private static func query(_ path: String, _ name: String) -> Int? {
        guard let q = path.split(separator: "?", maxSplits: 1).dropFirst().first else { return nil }
        for pair in q.split(separator: "&") {
            let kv = pair.split(separator: "=", maxSplits: 1)
            if kv.count == 2, kv[0] == name { return Int(kv[1]) }
        }
        return nil
    }

    /// Serves one request; false when the connection must end (client gone or reset sent).
    private func respond(_ fd: Int32, _ request: Request) -> Bool {
        let route = String(request.path.split(separator: "?").first ?? "")
        let chunkedHead = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\n\r\n"
        switch route {
        case "/fixed":
            return write(fd, "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: \(Self.fixedBody.count)\r\n\r\n")
                && write(fd, Self.fixedBody)

        case "/fixed-then-close":
            // A keep-alive answer (nothing says the connection ends), then the server closes it:
            // the client finds its idle connection closed.
            _ = write(fd, "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: \(Self.fixedBody.count)\r\n\r\n")
                && write(fd, Self.fixedBody)
            return false

        case "/headers":
            // Interim responses first, then the final one with mixed-case, repeated and folded headers.
            return write(fd, "HTTP/1.1 100 Continue\r\n\r\n"
                + "HTTP/1.1 103 Early Hints\r\nLink: </style.css>\r\n\r\n"
                + "HTTP/1.1 404 Not Found\r\nX-Mixed-Case:   padded value  \r\nSet-Cookie: a=1\r\n"
                + "Set-Cookie: b=2\r\nX-Folded: first\r\n  second\r\nContent-Length: 9\r\n\r\nnot found")

        case "/echo":
            // The body is the request head as received, then the request body.
            let payload = request.head + request.body
            return write(fd, "HTTP/1.1 200 OK\r\nContent-Length: \(payload.count)\r\n\r\n") && write(fd, payload)

        case "/stream":
            // One chunk "piece-<i>;" per signal of the gate.
            let pieces = Self.query(request.path, "pieces") ?? 3
            guard write(fd, chunkedHead) else { return false }
            for index in 0..<pieces {
                streamGate.wait()
                guard writeChunk(fd, Array("piece-\(index);".utf8)) else { return false }
            }
            return write(fd, "0\r\n\r\n")

        case "/auto":
            // `pieces` chunks of `size` pattern bytes, as fast as the client reads.
            let pieces = Self.query(request.path, "pieces") ?? 10
            let size = Self.query(request.path, "size") ?? 100
            guard write(fd, chunkedHead) else { return false }
            for index in 0..<pieces {
                let piece = (0..<size).map { Self.patternByte(index * size + $0) }
                guard writeChunk(fd, piece) else { return false }
            }
            return write(fd, "0\r\n\r\n")

        case "/many":
            // `pieces` chunks of `size` bytes, written in large blocks (cheap for the server).
            let pieces = Self.query(request.path, "pieces") ?? 1000
            let size = Self.query(request.path, "size") ?? 100
            guard write(fd, chunkedHead) else { return false }
            let frame = Array((String(size, radix: 16) + "\r\n").utf8) + [UInt8](repeating: 0x63, count: size) + [13, 10]
            let perBlock = max(1, 65536 / frame.count)
            let block = Array([[UInt8]](repeating: frame, count: perBlock).joined())
            var left = pieces
            while left > 0 {
                let count = min(perBlock, left)
                guard write(fd, count == perBlock ? block : Array(block[0 ..< count * frame.count])) else { return false }
                left -= count
            }
            lock.withLock { bytesSent += pieces * size }
            return write(fd, "0\r\n\r\n")

        case "/bytes":
            // `n` pattern bytes with a Content-Length, written 64 KiB at a time.
            let total = Self.query(request.path, "n") ?? 0
            guard write(fd, "HTTP/1.1 200 OK\r\nContent-Length: \(total)\r\n\r\n") else { return false }
            var offset = 0
            while offset < total {
                let count = min(65536, total - offset)
                guard write(fd, Array(Self.pattern(from: offset, count: count))) else { return false }
                lock.withLock { bytesSent += count }
                offset += count
            }
            return true

        case "/infinite":
            // Chunks of 64 KiB until the client goes away.
            guard write(fd, chunkedHead) else { return false }
            let piece = [UInt8](repeating: 0x61, count: 65536)
            while writeChunk(fd, piece) {}
            return false

        case "/hold":
            // One chunk, then nothing: the connection stays open until the client closes it.
            return write(fd, chunkedHead) && writeChunk(fd, Array("first".utf8))

        case "/hang":
            // No answer at all; the next read sees the client close.
            return true

        case "/reset":
            // Promise 1000 bytes, send 100, then reset the connection.
            _ = write(fd, "HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n")
            _ = write(fd, [UInt8](repeating: 0x62, count: 100))
            var linger = Glibc.linger(l_onoff: 1, l_linger: 0)
            setsockopt(fd, SOL_SOCKET, SO_LINGER, &linger, socklen_t(MemoryLayout<Glibc.linger>.size))
            return false

        default:
            return write(fd, "HTTP/1.1 500 Unknown\r\nContent-Length: 0\r\n\r\n")
        }
    }
}
