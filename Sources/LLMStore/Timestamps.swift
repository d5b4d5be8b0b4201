import FoundationEssentials
import LLMDomain

/// Timestamps are stored as INTEGER unix milliseconds UTC and exposed as `Date`.
enum Timestamp {
    static let msPerDay: Int64 = 86_400_000

    /// Milliseconds since 1970-01-01 UTC, rounded down (clamped to ±2^53, beyond any real date).
    static func ms(_ date: Date) -> Int64 {
        let limit = 9_007_199_254_740_992.0
        return Int64(min(max((date.timeIntervalSince1970 * 1000).rounded(.down), -limit), limit))
    }

    static func date(_ ms: Int64) -> Date {
        Date(timeIntervalSince1970: Double(ms) / 1000)
    }

    /// "YYYY-MM-DD" of a day number (days since 1970-01-01), in the proleptic Gregorian
    /// calendar, by integer arithmetic (H. Hinnant's `civil_from_days`).
    static func dayString(_ dayNumber: Int64) -> String {
        let (y, m, d) = civil(fromDays: dayNumber)
        let yy = String(y), mm = m < 10 ? "0\(m)" : "\(m)", dd = d < 10 ? "0\(d)" : "\(d)"
        return "\(String(repeating: "0", count: max(0, 4 - yy.count)))\(yy)-\(mm)-\(dd)"
    }

    static func civil(fromDays z0: Int64) -> (year: Int64, month: Int64, day: Int64) { civilDate(fromDays: z0) }

    /// Days since 1970-01-01 of a civil date (`days_from_civil`).
    static func days(year y0: Int64, month m: Int64, day d: Int64) -> Int64 {
        let y = m <= 2 ? y0 - 1 : y0
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    /// The calendar month (UTC) holding `date`, as [start, end) in milliseconds.
    static func monthBounds(_ date: Date) -> (start: Int64, end: Int64) {
        let ms = ms(date)
        let day = ms >= 0 ? ms / msPerDay : (ms - msPerDay + 1) / msPerDay
        let (y, m, _) = civil(fromDays: day)
        let start = days(year: y, month: m, day: 1) * msPerDay
        let end = (m == 12 ? days(year: y + 1, month: 1, day: 1) : days(year: y, month: m + 1, day: 1)) * msPerDay
        return (start, end)
    }
}
