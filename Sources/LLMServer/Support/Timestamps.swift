import FoundationEssentials
#if canImport(Glibc)
import Glibc
#endif

/// RFC 3339 UTC time stamps with milliseconds: "2026-11-29T19:12:51.123Z".
public enum Timestamps {
    public static func rfc3339(_ date: Date) -> String {
        let ms = Int64((date.timeIntervalSince1970 * 1000).rounded(.down))
        var secs = time_t(ms / 1000)
        var t = tm()
        gmtime_r(&secs, &t)
        func pad(_ v: Int32, _ w: Int) -> String {
            let s = String(v)
            return s.count >= w ? s : String(repeating: "0", count: w - s.count) + s
        }
        return "\(pad(t.tm_year + 1900, 4))-\(pad(t.tm_mon + 1, 2))-\(pad(t.tm_mday, 2))T"
            + "\(pad(t.tm_hour, 2)):\(pad(t.tm_min, 2)):\(pad(t.tm_sec, 2)).\(pad(Int32(ms % 1000), 3))Z"
    }
}

extension Timestamps {
    /// The UTC date of `date`: "2026-11-29".
    public static func isoDate(_ date: Date) -> String { String(rfc3339(date).prefix(10)) }
}
