import FakeProvider
import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

#if canImport(Glibc)
private let systemClose = Glibc.close
private let systemSend = Glibc.send
#else
private let systemClose = Darwin.close
private let systemSend = Darwin.send
#endif

/// A minimal blocking HTTP/1.1 client over a POSIX socket, so the tests see the exact bytes
/// (and chunk boundaries) the fake server writes. Use it through `offPool` from async tests.
final class RawConnection: @unchecked Sendable {
    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    private let fd: Int32
    private var buffer: [UInt8] = []
    private var isClosed = false

    init(port: Int) throws {
        #if canImport(Glibc)
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        #else
        fd = socket(AF_INET, SOCK_STREAM, 0)
        #endif
        guard fd >= 0 else { throw Failure(description: "socket() failed") }
        var timeout = timeval(tv_sec: 10, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard result == 0 else {
            _ = systemClose(fd)
            throw Failure(description: "connect() failed")
        }
    }

    deinit { close() }

    func close() {
        guard !isClosed else { return }
        isClosed = true
        _ = systemClose(fd)
    }

    func send(_ text: String) throws {
        let bytes = Array(text.utf8)
        var sent = 0
        while sent < bytes.count {
            let n = bytes[sent...].withUnsafeBytes { systemSend(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            guard n > 0 else { throw Failure(description: "send() failed") }
            sent += n
        }
    }

    /// Sends one request with `content-length` and `host` headers added.
    func sendRequest(method: String = "POST", path: String, headers: [(String, String)], body: String) throws {
        var text = "\(method) \(path) HTTP/1.1\r\nhost: 127.0.0.1\r\n"
        for (name, value) in headers { text += "\(name): \(value)\r\n" }
        text += "content-length: \(body.utf8.count)\r\n\r\n" + body
        try send(text)
    }

    /// Reads more bytes; false at EOF.
    private func fill() throws -> Bool {
        var chunk = [UInt8](repeating: 0, count: 65536)
        let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
        if n < 0 { throw Failure(description: "recv() failed or timed out: errno \(errno) after \(buffer.count) unread bytes") }
        if n == 0 { return false }
        buffer.append(contentsOf: chunk[0..<n])
        return true
    }

    private func readLine() throws -> String? {
        while true {
            if let end = buffer.firstIndex(of: UInt8(ascii: "\n")) {
                var line = Array(buffer[..<end])
                buffer.removeFirst(end + 1)
                if line.last == UInt8(ascii: "\r") { line.removeLast() }
                return String(decoding: line, as: UTF8.self)
            }
            guard try fill() else { return nil }
        }
    }

    private func readExact(_ count: Int) throws -> [UInt8]? {
        while buffer.count < count {
            guard try fill() else { return nil }
        }
        let out = Array(buffer[..<count])
        buffer.removeFirst(count)
        return out
    }

    /// Reads until the bytes received so far contain `text`; returns them all (nothing is
    /// consumed: `readResponse` still reads the response from its start).
    func readUntil(_ text: String) throws -> String {
        let needle = Array(text.utf8)
        while true {
            let received = String(decoding: buffer, as: UTF8.self)
            if buffer.count >= needle.count, received.contains(text) { return received }
            guard try fill() else { throw Failure(description: "EOF before \(text)") }
        }
    }

    /// Reads one response. A body cut short by EOF ends the response with `truncated` set.
    func readResponse() throws -> RawResponse {
        guard let statusLine = try readLine() else { throw Failure(description: "EOF before status line") }
        let statusParts = statusLine.split(separator: " ")
        guard statusParts.count >= 2, let status = Int(statusParts[1]) else { throw Failure(description: "bad status line \(statusLine)") }
        var headers: [(String, String)] = []
        while let line = try readLine(), !line.isEmpty {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers.append((line[..<colon].lowercased(), line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)))
        }
        var response = RawResponse(status: status, headers: headers)
        if status == 100 { return response }
        if let length = response.header("content-length").flatMap(Int.init) {
            if let body = try readExact(length) {
                response.body = body
            } else {
                response.body = buffer
                buffer = []
                response.truncated = true
            }
        } else if response.header("transfer-encoding") == "chunked" {
            while true {
                guard let sizeLine = try readLine(), let size = Int(sizeLine, radix: 16) else {
                    response.truncated = true
                    break
                }
                if size == 0 {
                    _ = try readLine()
                    break
                }
                guard let chunk = try readExact(size), try readLine() != nil else {
                    response.truncated = true
                    break
                }
                response.chunks.append(chunk)
                response.body += chunk
            }
        } else {
            while try fill() {}
            response.body = buffer
            buffer = []
        }
        return response
    }

    /// True when the server closed the connection (EOF with nothing left to read).
    func readsEOF() throws -> Bool {
        if !buffer.isEmpty { return false }
        return try !fill()
    }
}

struct RawResponse: Sendable {
    var status: Int
    var headers: [(String, String)]
    var chunks: [[UInt8]] = []
    var body: [UInt8] = []
    var truncated = false

    var text: String { String(decoding: body, as: UTF8.self) }
    var chunkTexts: [String] { chunks.map { String(decoding: $0, as: UTF8.self) } }

    func header(_ name: String) -> String? {
        headers.first { $0.0 == name }?.1
    }
}

/// Runs blocking socket work on its own thread, keeping the cooperative pool free.
func offPool<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        let thread = Thread {
            continuation.resume(with: Result { try work() })
        }
        thread.start()
    }
}

/// Opens a connection, sends one request, reads one response, closes.
func exchange(port: Int, path: String, headers: [(String, String)], body: String) async throws -> RawResponse {
    try await offPool {
        let connection = try RawConnection(port: port)
        defer { connection.close() }
        try connection.sendRequest(path: path, headers: headers, body: body)
        return try connection.readResponse()
    }
}

let anthropicHeaders = [("x-api-key", "sk-ant-good"), ("anthropic-version", "2023-06-01"), ("content-type", "application/json")]
let openAIHeaders = [("authorization", "Bearer sk-good"), ("content-type", "application/json")]
let geminiHeaders = [("x-goog-api-key", "AIza-good"), ("content-type", "application/json")]

/// Starts a fake server, runs `body`, and shuts the server down whether or not `body` throws.
func withFakeServer(acceptedKeys: Set<String>? = nil, _ body: (FakeProviderServer) async throws -> Void) async throws {
    let server = try await FakeProviderServer.start(acceptedKeys: acceptedKeys)
    do {
        try await body(server)
    } catch {
        try await server.shutdown()
        throw error
    }
    try await server.shutdown()
}
