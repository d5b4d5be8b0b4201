import FoundationEssentials

/// Reads retry hints: `retry-after` (delay seconds or an HTTP date), `retry-after-ms`,
/// and duration strings like Gemini's `"2s"`.
public enum RetryAfter {
    /// Milliseconds to wait from the response headers (names compared case-insensitively), or nil.
    /// `retry-after-ms` wins over `retry-after`.
    public static func milliseconds(headers: [(String, String)], now: Date = Date()) -> Int? {
        if let v = header("retry-after-ms", in: headers), let ms = Double(v.trimmed), ms.isFinite, ms >= 0 {
            return clamped(ms)
        }
        if let v = header("retry-after", in: headers) { return parse(v, now: now) }
        return nil
    }

    /// A `retry-after` value: delay seconds ("30", "1.5") or an IMF-fixdate
    /// ("Wed, 21 Oct 2015 07:28:00 GMT"; a date in the past gives 0). nil when unreadable.
    public static func parse(_ value: String, now: Date = Date()) -> Int? {
        let v = value.trimmed
        if let s = Double(v), s.isFinite, s >= 0 { return clamped(s * 1000) }
        guard let date = httpDate(v) else { return nil }
        let ms = (date.timeIntervalSince(now) * 1000).rounded(.up)
        return ms > 0 ? clamped(ms) : 0
    }

    /// A protobuf-JSON duration ("2s", "1.500s", "0.5s") in milliseconds, or nil.
    public static func duration(_ value: String) -> Int? {
        let v = value.trimmed
        guard v.hasSuffix("s"), let s = Double(v.dropLast()), s.isFinite, s >= 0 else { return nil }
        return clamped(s * 1000)
    }

    /// Milliseconds rounded up, capped at `maxMs` instead of trapping on a huge value.
    static let maxMs = 7 * 86_400_000
    static func clamped(_ ms: Double) -> Int { ms >= Double(maxMs) ? maxMs : Int(ms.rounded(.up)) }

    static func header(_ name: String, in headers: [(String, String)]) -> String? {
        headers.last { $0.0.lowercased() == name }?.1
    }

    private static let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]

    /// IMF-fixdate: "Sun, 06 Nov 1994 08:49:37 GMT".
    static func httpDate(_ s: String) -> Date? {
        let parts = s.split(separator: " ")
        guard parts.count == 6, parts[5] == "GMT", let day = Int(parts[1]), let year = Int(parts[3]), (1...9999).contains(year),
              let month = months.firstIndex(of: String(parts[2])) else { return nil }
        let hms = parts[4].split(separator: ":").compactMap { Int($0) }
        guard hms.count == 3, (1...31).contains(day), (0...23).contains(hms[0]), (0...59).contains(hms[1]),
              (0...60).contains(hms[2]) else { return nil }
        let days = daysFromCivil(year: year, month: month + 1, day: day)
        let seconds = days * 86_400 + hms[0] * 3600 + hms[1] * 60 + hms[2]
        return Date(timeIntervalSince1970: TimeInterval(seconds))
    }

    /// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm).
    private static func daysFromCivil(year: Int, month: Int, day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let mp = (month + 9) % 12
        let doy = (153 * mp + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }
}

extension String {
    var trimmed: String {
        var s = Substring(self)
        while let f = s.first, f == " " || f == "\t" { s.removeFirst() }
        while let l = s.last, l == " " || l == "\t" { s.removeLast() }
        return String(s)
    }
}
