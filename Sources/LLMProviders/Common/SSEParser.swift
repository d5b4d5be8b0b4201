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

    /// Feeds bytes; returns the events they complete, in order. Runs between line ends are
    /// copied at once (a byte-by-byte append cost more than the JSON of the event).
    public mutating func feed(_ bytes: [UInt8]) -> [SSEEvent] {
        var out: [SSEEvent] = []
        bytes.withUnsafeBufferPointer { buf in
            let n = buf.count
            var i = 0
            while i < n {
                if lastWasCR {
                    lastWasCR = false
                    if buf[i] == 0x0A { i += 1; continue }  // the LF of a CRLF
                }
                var j = i
                while j < n, buf[j] != 0x0A, buf[j] != 0x0D { j += 1 }
                if j > i { line.append(contentsOf: UnsafeBufferPointer(rebasing: buf[i..<j])) }
                if j == n { break }
                lastWasCR = buf[j] == 0x0D
                endLine(into: &out)
                i = j + 1
            }
        }
        return out
    }

    /// End of input: a pending line is processed and a pending event dispatched.
    public mutating func finish() -> [SSEEvent] {
        var out: [SSEEvent] = []
        if !line.isEmpty { endLine(into: &out) }
        dispatch(into: &out)
        lastWasCR = false
        return out
    }

    private mutating func endLine(into out: inout [SSEEvent]) {
        defer { line.removeAll(keepingCapacity: true) }
        if line.isEmpty {
            dispatch(into: &out)
            return
        }
        if line[0] == UInt8(ascii: ":") { return }  // comment
        let colon = line.firstIndex(of: UInt8(ascii: ":"))
        let nameEnd = colon ?? line.count
        var valueStart = colon.map { $0 + 1 } ?? line.count
        if valueStart < line.count, line[valueStart] == UInt8(ascii: " ") { valueStart += 1 }
        let value = line[valueStart...]
        func named(_ field: StaticString) -> Bool {
            nameEnd == field.utf8CodeUnitCount && line.withUnsafeBufferPointer { memcmp($0.baseAddress!, field.utf8Start, nameEnd) == 0 }
        }
        let name = named("data") ? "data" : named("event") ? "event" : named("id") ? "id" : named("retry") ? "retry" : ""
        switch name {
        case "data":
            if hasData { data.append(0x0A) }
            data.append(contentsOf: value)
            hasData = true
        case "event":
            eventName = String(decoding: value, as: UTF8.self)
        case "id":
            if !value.contains(0) { lastId = String(decoding: value, as: UTF8.self) }
        case "retry":
            if !value.isEmpty, value.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }), let r = Int(String(decoding: value, as: UTF8.self)) {
                retry = r
            }
        default:
            break  // unknown fields are ignored
        }
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
