import Foundation
import LLMJSON
#if canImport(Glibc)
import Glibc
#endif

/// One request in flight on an `RPCConn`, with the timings the bench needs.
/// Fields are written by the connection's reader thread only, before `onDone` runs.
final class RPCCall: @unchecked Sendable {
    let id: Int
    /// Taken under the connection's lock just before the request is written.
    var sentNs: UInt64
    /// Arrival of the first and last `llm/chat/completions/chunk` notification (0 = none).
    var firstChunkNs: UInt64 = 0
    var lastChunkNs: UInt64 = 0
    var chunks = 0
    /// False when a chunk's `seq` was not the next one.
    var seqInOrder = true
    /// Gaps between consecutive chunks, in ns (kept only when asked for).
    var gaps: [UInt64]?
    var doneNs: UInt64 = 0
    /// The parsed response (nil until done).
    var response: JSONValue?
    let onDone: (RPCCall) -> Void

    init(id: Int, sentNs: UInt64, keepGaps: Bool, onDone: @escaping (RPCCall) -> Void) {
        self.id = id
        self.sentNs = sentNs
        self.gaps = keepGaps ? [] : nil
        self.onDone = onDone
    }

    var ok: Bool { response?["result"] != nil }
    var latencyNs: UInt64 { doneNs &- sentNs }
    var ttfcNs: UInt64 { firstChunkNs &- sentNs }
}

/// A line-delimited JSON-RPC client over a pair of file descriptors (the pipes of `llmrpc
/// serve`, or a Unix socket). A reader thread matches responses to requests by id and
/// counts chunk notifications by `request_id`; callbacks run on that thread, so a closed
/// load loop can send its next request without a thread hop.
final class RPCConn: @unchecked Sendable {
    let readFD: Int32
    let writeFD: Int32
    private let lock = NSLock()
    private let writeLock = NSLock()
    private var calls: [Int: RPCCall] = [:]
    private var nextID = 1
    private var eof = false
    /// Responses whose id matched no call (should stay 0).
    private(set) var strayLines = 0

    static let chunkPrefix = Array(#"{"jsonrpc":"2.0","method":"llm/chat/completions/chunk","params":{"#.utf8)
    static let requestIDKey = Array(#""request_id":"#.utf8)
    static let seqKey = Array(#""seq":"#.utf8)

    init(readFD: Int32, writeFD: Int32) {
        self.readFD = readFD
        self.writeFD = writeFD
        let t = Thread { [self] in readLoop() }
        t.stackSize = 1 << 20
        t.start()
    }

    /// Connects to a Unix socket.
    static func unix(path: String) throws -> RPCConn {
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw POSIXError(.EIO) }
        var addr = sockaddr_un()
        addr.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        withUnsafeMutableBytes(of: &addr.sun_path) { raw in
            for (i, b) in bytes.enumerated() where i < raw.count - 1 { raw[i] = b }
        }
        let rc = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        guard rc == 0 else { close(fd); throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
        return RPCConn(readFD: fd, writeFD: fd)
    }

    /// Sends a request whose params are already JSON text; `onDone` runs on the reader thread.
    @discardableResult
    func send(_ method: String, paramsJSON: String, keepGaps: Bool = false,
              onDone: @escaping (RPCCall) -> Void) -> RPCCall {
        let call: RPCCall = lock.withLock {
            let id = nextID
            nextID += 1
            let c = RPCCall(id: id, sentNs: 0, keepGaps: keepGaps, onDone: onDone)
            calls[id] = c
            return c
        }
        let text = "{\"jsonrpc\":\"2.0\",\"id\":\(call.id),\"method\":\"\(method)\",\"params\":\(paramsJSON)}\n"
        lock.withLock { call.sentNs = nowNs() }
        writeLine(text)
        return call
    }

    /// Sends a request and awaits its response.
    func call(_ method: String, paramsJSON: String = "{}", keepGaps: Bool = false) async -> RPCCall {
        await withCheckedContinuation { (c: CheckedContinuation<RPCCall, Never>) in
            send(method, paramsJSON: paramsJSON, keepGaps: keepGaps) { c.resume(returning: $0) }
        }
    }

    /// Sends a request and returns its `result`, or throws with the error response.
    func result(_ method: String, _ params: JSONValue = [:]) async throws -> JSONValue {
        let c = await call(method, paramsJSON: JSONWriter.string(params))
        guard let r = c.response?["result"] else {
            throw BenchError("\(method) failed: \(c.response.map { JSONWriter.string($0) } ?? "no response (EOF)")")
        }
        return r
    }

    /// Sends a notification (no response).
    func notify(_ method: String, paramsJSON: String) {
        writeLine("{\"jsonrpc\":\"2.0\",\"method\":\"\(method)\",\"params\":\(paramsJSON)}\n")
    }

    private func writeLine(_ line: String) {
        var line = line
        writeLock.withLock {
            line.withUTF8 { b in
                var off = 0
                while off < b.count {
                    let n = write(writeFD, b.baseAddress! + off, b.count - off)
                    if n < 0 && errno == EINTR { continue }
                    if n <= 0 { return }
                    off += n
                }
            }
        }
    }

    /// Closes the write side (stdin of a stdio server, or the whole socket).
    func closeWrite() {
        if readFD == writeFD { shutdown(writeFD, Int32(SHUT_WR)) } else { close(writeFD) }
    }

    var inFlight: Int { lock.withLock { calls.count } }

    private func readLoop() {
        let size = 1 << 16
        let buf = UnsafeMutablePointer<UInt8>.allocate(capacity: size)
        var pending: [UInt8] = []
        while true {
            let n = read(readFD, buf, size)
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { break }
            let now = nowNs()
            let chunk = UnsafeBufferPointer(start: buf, count: n)
            var start = 0
            for i in 0..<n where chunk[i] == 0x0A {
                if pending.isEmpty {
                    handle(UnsafeBufferPointer(rebasing: chunk[start..<i]), now)
                } else {
                    pending.append(contentsOf: chunk[start..<i])
                    pending.withUnsafeBufferPointer { handle($0, now) }
                    pending.removeAll(keepingCapacity: true)
                }
                start = i + 1
            }
            if start < n { pending.append(contentsOf: chunk[start..<n]) }
        }
        buf.deallocate()
        let left: [RPCCall] = lock.withLock {
            eof = true
            let l = Array(calls.values)
            calls = [:]
            return l
        }
        for c in left {
            c.doneNs = nowNs()
            c.onDone(c)
        }
    }

    private func handle(_ line: UnsafeBufferPointer<UInt8>, _ now: UInt64) {
        if line.count > Self.chunkPrefix.count, line.starts(with: Self.chunkPrefix) {
            var i = Self.chunkPrefix.count
            guard let r = find(Self.requestIDKey, in: line, from: i) else { return }
            i = r
            guard let rid = scanInt(line, &i) else { return }
            var seq = -1
            if let s = find(Self.seqKey, in: line, from: i) {
                i = s
                seq = scanInt(line, &i) ?? -1
            }
            guard let c = lock.withLock({ calls[rid] }) else { return }
            if c.firstChunkNs == 0 {
                c.firstChunkNs = now
            } else {
                c.gaps?.append(now - c.lastChunkNs)
            }
            if seq != c.chunks { c.seqInOrder = false }
            c.lastChunkNs = now
            c.chunks += 1
            return
        }
        // A response: parsed in full, as a client would.
        guard let v = try? JSONParser.parse(buffer: line), let id = v["id"]?.intValue else {
            lock.withLock { strayLines += 1 }
            return
        }
        guard let c = lock.withLock({ calls.removeValue(forKey: id) }) else {
            lock.withLock { strayLines += 1 }
            return
        }
        c.doneNs = now
        c.response = v
        c.onDone(c)
    }
}

struct BenchError: Error, CustomStringConvertible {
    let description: String
    init(_ s: String) { description = s }
}
