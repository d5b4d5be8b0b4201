import FoundationEssentials
import LLMDomain
import Logging
#if canImport(Glibc)
import Glibc
#endif

/// The server's log handler: one line per event on stderr (never stdout, which is the
/// protocol), written with one `write(2)` through `LogSink` (which never blocks the caller):
///
///     2026-11-29T22:00:00.123Z info llmrpc: chat status=completed provider=openai
///
/// It replaces swift-log's `StreamLogHandler`, whose per-line cost (a locale-aware
/// `strftime` timestamp, a locked `FILE*` stream) was a visible part of a chat request.
public struct StderrLogHandler: LogHandler {
    public var logLevel: Logger.Level = .info
    public var metadata: Logger.Metadata = [:]
    private let label: String
    private let sink: LogSink

    /// Lines go to `fd`: the process's shared `LogSink.standardError` for 2, else a sink of
    /// this handler's own.
    public init(label: String, fd: Int32 = 2) {
        self.label = label
        self.sink = fd == 2 ? LogSink.standardError : LogSink(fd: fd)
    }

    /// Waits (at most `seconds`) for log lines still queued for stderr: before the process exits.
    public static func flush(seconds: Double = 1) {
        LogSink.standardError.flush(seconds: seconds)
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var line = [UInt8]()
        line.reserveCapacity(128)
        Self.appendTimestamp(&line)
        line.append(0x20)
        line.append(contentsOf: event.level.rawValue.utf8)
        line.append(0x20)
        line.append(contentsOf: label.utf8)
        line.append(contentsOf: ": ".utf8)
        line.append(contentsOf: event.message.description.utf8)
        func append(_ key: String, _ value: Logger.Metadata.Value) {
            line.append(0x20)
            line.append(contentsOf: key.utf8)
            line.append(UInt8(ascii: "="))
            line.append(contentsOf: value.description.utf8)
        }
        if let extra = event.metadata, !extra.isEmpty {
            for (k, v) in metadata where extra[k] == nil { append(k, v) }
            for (k, v) in extra { append(k, v) }
        } else {
            for (k, v) in metadata { append(k, v) }
        }
        // One line, whatever the message holds.
        for i in line.indices where line[i] == 0x0a || line[i] == 0x0d { line[i] = 0x20 }
        line.append(0x0a)
        sink.write(line)
    }

    /// UTC, milliseconds, ISO 8601 ("2026-11-29T22:00:00.123Z"), by integer arithmetic.
    static func appendTimestamp(_ out: inout [UInt8]) {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        let secs = Int64(ts.tv_sec), ms = Int(ts.tv_nsec / 1_000_000)
        let days = secs >= 0 ? secs / 86_400 : (secs - 86_399) / 86_400
        let rem = Int(secs - days * 86_400)
        let (year, month, day) = civilDate(fromDays: days)
        let y = Int(year), m = Int(month), d = Int(day)
        func digits(_ v: Int, _ n: Int) {
            var div = 1
            for _ in 1..<n { div *= 10 }
            var v = max(0, v)
            while div > 0 { out.append(UInt8(48 + (v / div) % 10)); v %= div; div /= 10 }
        }
        digits(y, 4); out.append(UInt8(ascii: "-")); digits(m, 2); out.append(UInt8(ascii: "-")); digits(d, 2)
        out.append(UInt8(ascii: "T"))
        digits(rem / 3600, 2); out.append(UInt8(ascii: ":")); digits(rem / 60 % 60, 2); out.append(UInt8(ascii: ":"))
        digits(rem % 60, 2); out.append(UInt8(ascii: ".")); digits(ms, 3); out.append(UInt8(ascii: "Z"))
    }
}
