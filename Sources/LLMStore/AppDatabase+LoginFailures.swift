import FoundationEssentials

/// Failed logins, in the database so that every process sharing it sees the same count
/// (PROTOCOL §3.1: after 5 failures for one username within 15 minutes, refuse).
extension AppDatabase {
    /// Records one failed login for `username` (compared case-insensitively).
    public func recordLoginFailure(username: String, at: Date) throws {
        try write { db in
            try db.cachedStatement(sql: "INSERT INTO login_failures (username, at) VALUES (?, ?)").execute(arguments: [username, Timestamp.ms(at)])
        }
    }

    /// The number of failed logins for `username` at or after `since`.
    public func loginFailureCount(username: String, since: Date) throws -> Int {
        try read { db in
            try Int.fetchOne(db.cachedStatement(sql: "SELECT COUNT(*) FROM login_failures WHERE username = ? AND at >= ?"),
                             arguments: [username, Timestamp.ms(since)]) ?? 0
        }
    }

    /// Forgets the failures of `username` (after a successful login).
    public func clearLoginFailures(username: String) throws {
        try write { db in
            try db.cachedStatement(sql: "DELETE FROM login_failures WHERE username = ?").execute(arguments: [username])
        }
    }

    /// Deletes every failure older than `before` (housekeeping, e.g. at start-up). Returns the count.
    @discardableResult
    public func pruneLoginFailures(before: Date) throws -> Int {
        try write { db in
            try db.cachedStatement(sql: "DELETE FROM login_failures WHERE at < ?").execute(arguments: [Timestamp.ms(before)])
            return db.changesCount
        }
    }

    /// The times of `username`'s failed logins at or after `since` (oldest first).
    public func loginFailureTimes(username: String, since: Date) throws -> [Date] {
        try read { db in
            try Int64.fetchAll(db.cachedStatement(sql: "SELECT at FROM login_failures WHERE username = ? AND at >= ? ORDER BY at"),
                               arguments: [username, Timestamp.ms(since)]).map(Timestamp.date)
        }
    }
}
