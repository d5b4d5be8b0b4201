import Foundation
import LLMJSON
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// A JSON-RPC client over any pair of file descriptors (a subprocess's pipes or a Unix socket).
/// A reader thread parses every line the server writes; responses are matched by id, and
/// notifications and raw lines are kept for assertions. No sleeps: callers await responses.
public final class LineClient: @unchecked Sendable {
    public let readFD: Int32
    public let writeFD: Int32
    private let closesAtEOF: Bool
    private struct State {
        var lines: [String] = []
        var messages: [JSONValue] = []
        var waiters: [(predicate: (JSONValue) -> Bool, cont: CheckedContinuation<JSONValue, Error>, token: UUID)] = []
        var countWaiters: [(count: Int, cont: CheckedContinuation<Void, Never>)] = []
        var eof = false
        var nextID = 1000
    }
    private let state = Mutex(State())

    /// With `closingAtEOF`, the reader thread closes `readFD` once it has read to the end: for a
    /// pipe only this client reads (never a socket it also writes to: a later send would then
    /// write to whatever took the number).
    public init(readFD: Int32, writeFD: Int32, closingAtEOF: Bool = false) {
        self.readFD = readFD
        self.writeFD = writeFD
        self.closesAtEOF = closingAtEOF && readFD != writeFD
        let t = Thread { [self] in readLoop() }
        t.start()
    }

    struct EOFError: Error {}

    private func readLoop() {
        var buf = [UInt8](repeating: 0, count: 65536)
        var pending = [UInt8]()
        while true {
            let n = buf.withUnsafeMutableBytes { read(readFD, $0.baseAddress!, $0.count) }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { break }
            pending.append(contentsOf: buf[0..<n])
            while let nl = pending.firstIndex(of: 0x0A) {
                let line = Array(pending[..<nl])
                pending.removeSubrange(...nl)
                deliver(line)
            }
        }
        if !pending.isEmpty { deliver(pending) }
        if closesAtEOF { close(readFD) }
        let (waiters, counted) = state.withLock { s -> ([CheckedContinuation<JSONValue, Error>], [CheckedContinuation<Void, Never>]) in
            s.eof = true
            let w = s.waiters.map(\.cont)
            s.waiters = []
            let c = s.countWaiters.map(\.cont)
            s.countWaiters = []
            return (w, c)
        }
        for w in waiters { w.resume(throwing: EOFError()) }
        for c in counted { c.resume() }
    }

    private func deliver(_ line: [UInt8]) {
        let text = String(decoding: line, as: UTF8.self)
        let value = (try? JSONParser.parse(line)) ?? .string("UNPARSEABLE: " + text)
        let matched = state.withLock { s -> ([CheckedContinuation<JSONValue, Error>], [CheckedContinuation<Void, Never>]) in
            s.lines.append(text)
            s.messages.append(value)
            var hits: [CheckedContinuation<JSONValue, Error>] = []
            s.waiters.removeAll { w in
                if w.predicate(value) { hits.append(w.cont); return true }
                return false
            }
            var counted: [CheckedContinuation<Void, Never>] = []
            s.countWaiters.removeAll { w in
                if s.messages.count >= w.count { counted.append(w.cont); return true }
                return false
            }
            return (hits, counted)
        }
        for c in matched.0 { c.resume(returning: value) }
        for c in matched.1 { c.resume() }
    }

    /// Ends a socket connection the way a client that vanishes does (the server reads end of
    /// input; its writes fail). The descriptor is shut down, not closed: the reader thread may be
    /// about to read it again, and a closed number is soon another test's pipe or socket, which
    /// this reader would then read from (seen: other tests' output cut short).
    public func disconnect() { _ = shutdown(readFD, Int32(SHUT_RDWR)) }

    public func sendRaw(_ text: String) { sendBytes(Array(text.utf8)) }

    public func sendBytes(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { b in
            var off = 0
            while off < b.count {
                let n = write(writeFD, b.baseAddress! + off, b.count - off)
                if n <= 0 { if errno == EINTR { continue }; return }
                off += n
            }
        }
    }

    public func send(_ message: JSONValue) { sendRaw(JSONWriter.string(message) + "\n") }

    public func newID() -> Int { state.withLock { s in s.nextID += 1; return s.nextID } }

    /// Waits for the first message (already received or future) that matches. A cancelled wait
    /// (a test past its time limit) throws instead of hanging the run.
    public func waitFor(_ predicate: @escaping (JSONValue) -> Bool) async throws -> JSONValue {
        let token = UUID()
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { c in
                let found = state.withLock { s -> JSONValue? in
                    if let m = s.messages.first(where: predicate) { return m }
                    if s.eof { return .string("EOF") }
                    if Task.isCancelled { return .string("CANCELLED") }
                    s.waiters.append((predicate, c, token))
                    return nil
                }
                if let found {
                    if found == .string("EOF") {
                        c.resume(throwing: EOFError())
                    } else if found == .string("CANCELLED") {
                        c.resume(throwing: CancellationError())
                    } else {
                        c.resume(returning: found)
                    }
                }
            }
        } onCancel: {
            let waiter = state.withLock { s -> CheckedContinuation<JSONValue, Error>? in
                guard let i = s.waiters.firstIndex(where: { $0.token == token }) else { return nil }
                return s.waiters.remove(at: i).cont
            }
            waiter?.resume(throwing: CancellationError())
        }
    }

    /// The response to `id`.
    public func response(id: JSONValue) async throws -> JSONValue {
        try await waitFor { $0["id"] == id && ($0["result"] != nil || $0["error"] != nil) }
    }

    /// Sends a request and returns its whole response message.
    @discardableResult
    public func call(_ method: String, _ params: JSONValue? = nil, id: JSONValue? = nil) async throws -> JSONValue {
        let rid = id ?? .int(newID())
        var msg: JSONObject = ["jsonrpc": "2.0", "id": rid, "method": .string(method)]
        if let params { msg["params"] = params }
        send(.object(msg))
        return try await response(id: rid)
    }

    /// Sends a request and returns its result, failing on an error response.
    public func result(_ method: String, _ params: JSONValue? = nil) async throws -> JSONValue {
        let r = try await call(method, params)
        guard let result = r["result"] else { throw RPCFailure(response: r) }
        return result
    }

    public var lines: [String] { state.withLock { $0.lines } }
    public var messages: [JSONValue] { state.withLock { $0.messages } }
    public func notifications(requestID: JSONValue) -> [JSONValue] {
        messages.filter { $0["method"] != nil && $0["params"]?["request_id"] == requestID }
    }
    /// Resolves once `count` messages have been received in all (or at end of output).
    public func waitForMessageCount(_ count: Int) async {
        await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
            let ready = state.withLock { s -> Bool in
                if s.messages.count >= count || s.eof { return true }
                s.countWaiters.append((count, c))
                return false
            }
            if ready { c.resume() }
        }
    }

    /// Resolves at end of output.
    public func waitForEOF() async {
        _ = try? await waitFor { _ in false }
    }
}

public struct RPCFailure: Error, CustomStringConvertible {
    public let response: JSONValue
    public var description: String { "RPC error: \(response)" }
}
