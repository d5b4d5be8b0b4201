/// The proleptic Gregorian date of a day number (days since 1970-01-01), by integer arithmetic
/// (H. Hinnant's `civil_from_days`): usage reports and log timestamps, without calendars.
public func civilDate(fromDays z0: Int64) -> (year: Int64, month: Int64, day: Int64) {
    let z = z0 + 719_468
    let era = (z >= 0 ? z : z - 146_096) / 146_097
    let doe = z - era * 146_097
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
    let mp = (5 * doy + 2) / 153
    let d = doy - (153 * mp + 2) / 5 + 1
    let m = mp < 10 ? mp + 3 : mp - 9
    return (yoe + era * 400 + (m <= 2 ? 1 : 0), m, d)
}

/// "YYYY-MM-DD" of a day number (days since 1970-01-01).
public func isoDateString(fromDays days: Int64) -> String {
    let (year, month, day) = civilDate(fromDays: days)
    return "\(zeroPadded(year, width: 4))-\(zeroPadded(month, width: 2))-\(zeroPadded(day, width: 2))"
}
