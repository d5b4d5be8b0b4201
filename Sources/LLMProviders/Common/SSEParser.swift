#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One Server-Sent Event.
public struct SSEEvent: Sendable, Equatable {
    /// The `event:` field, nil when the event had none.
    public var event: String?
    /// The `data:` lines joined with "\n".
    public var data: String
    /// The last `id:` seen so far in the stream (it carries over between events), nil if none.
    public var id: String?
    /// The last valid `retry:` value (milliseconds) seen so far, nil if none.
    public var retry: Int?

    public init(event: String? = nil, data: String, id: String? = nil, retry: Int? = nil) {
        self.event = event
        self.data = data
        self.id = id
        self.retry = retry
    }

    /// Runs `body` over the UTF-8 bytes of `data` (without a copy: it is a native string).
    func withData<T>(_ body: (UnsafeBufferPointer<UInt8>) throws -> T) rethrows -> T {
        var data = data
        return try data.withUTF8(body)
    }
}

/// An incremental Server-Sent Events parser (WHATWG rules). Bytes may be split anywhere,
/// including between a CR and its LF and inside a UTF-8 character. Lines end with LF, CRLF or CR;
/// lines starting with ":" are comments; an event is dispatched at a blank line when it has data;
/// a final event without its blank line is flushed by `finish()`.
public struct SSEParser {
    private var line: [UInt8] = []
    private var lastWasCR = false
    private var eventName: String?
    private var data: [UInt8] = []
    private var hasData = false
    private var lastId: String?
    private var retry: Int?

    public init() {}

    /// Feeds bytes; returns the events they complete, in order. Line ends are found with
    /// `memchr`, and a line that lies whole in `bytes` is read in place; only a line split
    /// between feeds is gathered in a buffer.
    public mutating func feed(_ bytes: [UInt8]) -> [SSEEvent] {
        var out: [SSEEvent] = []
        bytes.withUnsafeBufferPointer { buf in
            guard let base = buf.baseAddress else { return }
            let n = buf.count
            var i = 0
            while i < n {
                if lastWasCR {
                    lastWasCR = false
                    if buf[i] == 0x0A { i += 1; continue }  // the LF of a CRLF
                }
                // The line ends at the first CR or LF.
                let raw = UnsafeRawPointer(base)
                let lf = memchr(base + i, 0x0A, n - i).map { raw.distance(to: UnsafeRawPointer($0)) } ?? n
                let j = memchr(base + i, 0x0D, lf - i).map { raw.distance(to: UnsafeRawPointer($0)) } ?? lf
                if j == n {
                    line.append(contentsOf: UnsafeBufferPointer(rebasing: buf[i..<n]))
                    break
                }
                lastWasCR = buf[j] == 0x0D
                if line.isEmpty {
                    processLine(UnsafeBufferPointer(rebasing: buf[i..<j]), into: &out)
                } else {
                    line.append(contentsOf: UnsafeBufferPointer(rebasing: buf[i..<j]))
                    processPendingLine(into: &out)
                }
                i = j + 1
            }
        }
        return out
    }

    /// End of input: a pending line is processed and a pending event dispatched.
    public mutating func finish() -> [SSEEvent] {
        var out: [SSEEvent] = []
        if !line.isEmpty { processPendingLine(into: &out) }
        dispatch(into: &out)
        lastWasCR = false
        return out
    }

    /// Processes the line gathered in `line` (split between feeds), then empties it.
    private mutating func processPendingLine(into out: inout [SSEEvent]) {
        var pending: [UInt8] = []
        swap(&pending, &line)
        pending.withUnsafeBufferPointer { processLine($0, into: &out) }
        pending.removeAll(keepingCapacity: true)
        swap(&pending, &line)
    }

    private mutating func processLine(_ line: UnsafeBufferPointer<UInt8>, into out: inout [SSEEvent]) {
        if line.isEmpty {
            dispatch(into: &out)
            return
        }
        if line[0] == UInt8(ascii: ":") { return }  // comment
        let colon = line.firstIndex(of: UInt8(ascii: ":"))
        let nameEnd = colon ?? line.count
        var valueStart = colon.map { $0 + 1 } ?? line.count
        if valueStart < line.count, line[valueStart] == UInt8(ascii: " ") { valueStart += 1 }
        let value = UnsafeBufferPointer(rebasing: line[valueStart...])
        func named(_ field: StaticString) -> Bool {
            nameEnd == field.utf8CodeUnitCount && memcmp(line.baseAddress!, field.utf8Start, nameEnd) == 0
        }
        if named("data") {
            if hasData { data.append(0x0A) }
            data.append(contentsOf: value)
            hasData = true
        } else if named("event") {
            eventName = String(decoding: value, as: UTF8.self)
        } else if named("id") {
            if !value.contains(0) { lastId = String(decoding: value, as: UTF8.self) }
        } else if named("retry") {
            if !value.isEmpty, value.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }), let r = Int(String(decoding: value, as: UTF8.self)) {
                retry = r
            }
        }
        // Other fields are ignored.
    }

    private mutating func dispatch(into out: inout [SSEEvent]) {
        if hasData {
            out.append(SSEEvent(event: eventName, data: String(decoding: data, as: UTF8.self), id: lastId, retry: retry))
        }
        data.removeAll(keepingCapacity: true)
        hasData = false
        eventName = nil
    }
}
