import FoundationEssentials
import LLMDomain

/// Usage reports (PROTOCOL §3.9) and budget spend, aggregated in SQL over covering indexes.
extension AppDatabase {
    /// The usage of one user (or of everyone when `userId` is nil, with `byUser`) whose rows
    /// were created in [from, to], both ends inclusive. Every row counts as one request with
    /// the tokens and cost it records, whatever its status.
    public func usageReport(userId: String?, from: Date, to: Date) throws -> UsageReport {
        try read { db in
            let fromMs = Timestamp.ms(from), toMs = Timestamp.ms(to)
            // The user (unless all), then the range, once for each table's arm.
            var arguments: StatementArguments = []
            for _ in 0..<2 { arguments += userId.map { [$0, fromMs, toMs] } ?? [fromMs, toMs] }
            // One grouped scan of the covering index per breakdown: fewer, coarser groups are
            // much faster than one fine-grained scan rolled up in Swift.
            func grouped(_ key: String) throws -> [(key: Row, totals: UsageTotals)] {
                try Row.fetchAll(db.cachedStatement(sql: Self.reportSQL(groupedBy: key, allUsers: userId == nil)),
                                 arguments: arguments
                ).map { row in
                    (row, UsageTotals(requests: row[0], inputTokens: row[1], outputTokens: row[2],
                                      cacheReadInputTokens: row[3], cacheCreationInputTokens: row[4],
                                      reasoningTokens: row[5], totalCost: Money(picodollars: row[6]),
                                      pricedRequests: row[7]))
                }
            }

            let days = try grouped("created_at / \(Timestamp.msPerDay)")
                .map { DayUsage(date: Timestamp.dayString($0.key[8]), totals: $0.totals) }
                .sorted { $0.date < $1.date }
            let totals = days.reduce(UsageTotals.zero) { $0 + $1.totals }
            // model_name and provider are bare columns: SQLite takes them from the row that
            // gives MAX(created_at), i.e. the model's latest row in the window.
            let models = try grouped("model_id, model_name, provider, MAX(created_at)").map {
                ModelUsage(modelId: $0.key[8], modelName: $0.key[9], provider: try decodeProvider($0.key[10]),
                           totals: $0.totals)
            }.sorted { ($0.modelName, $0.modelId) < ($1.modelName, $1.modelId) }

            var users: [UserUsage]?
            if userId == nil {
                users = try grouped("user_id").map { entry in
                    let id: String = entry.key[8]
                    let email = try String.fetchOne(db.cachedStatement(sql: "SELECT email FROM users WHERE id = ?"), arguments: [id])
                    return UserUsage(userId: id, email: email, totals: entry.totals)
                }.sorted { ($0.email ?? "", $0.userId) < ($1.email ?? "", $1.userId) }
            }
            var statuses: [UsageStatus: Int] = [:]
            for entry in try grouped("status") {
                if let st = UsageStatus(rawValue: entry.key[8]) { statuses[st] = entry.totals.requests }
            }
            return UsageReport(from: Timestamp.date(fromMs), to: Timestamp.date(toMs), totals: totals,
                               byModel: models, byDay: days, byUser: users, byStatus: statuses)
        }
    }

    /// A report's breakdown by `key` (the 9th column on): rows of `llm_usage_log` and of
    /// `llm_usage_inflight` (as 'pending', with no tokens yet) of one user (first argument) or
    /// of every user, created in [from, to] (the next two), each table filtered in its own arm
    /// so both read by index. Every user's rows are read from `llm_usage_log_user_created` user
    /// by user (`IN` over `users`: every usage row has its user, who is never deleted while
    /// having usage); migration v6 dropped the second, time-ordered covering index that every
    /// logged chat also wrote.
    static func reportSQL(groupedBy key: String, allUsers: Bool) -> String {
        let filter = (allUsers ? "user_id IN (SELECT id FROM users)" : "user_id = ?") + " AND created_at BETWEEN ? AND ?"
        return """
            SELECT COUNT(*), SUM(input_tokens), SUM(output_tokens), SUM(cache_read_input_tokens),
                SUM(cache_creation_input_tokens), SUM(reasoning_tokens), COALESCE(SUM(total_cost_pico), 0),
                COUNT(total_cost_pico), \(key)
            FROM (SELECT user_id, created_at, model_id, model_name, provider, input_tokens, output_tokens,
                      cache_read_input_tokens, cache_creation_input_tokens, reasoning_tokens, total_cost_pico, status
                  FROM llm_usage_log WHERE \(filter)
                  UNION ALL
                  SELECT user_id, created_at, model_id, model_name, provider, 0, 0, 0, 0, 0, NULL, 'pending'
                  FROM llm_usage_inflight WHERE \(filter))
            GROUP BY 9
            """
    }

    /// The user's spend in the calendar month (UTC) holding `now`: the settled cost of the
    /// month's rows, and the budget held by the user's pending rows.
    public func monthSpend(userId: String, now: Date) throws -> (spent: Money, reserved: Money) {
        try read { db in try monthSpend(db, userId: userId, now: now) }
    }

    func monthSpend(_ db: Database, userId: String, now: Date) throws -> (spent: Money, reserved: Money) {
        // One row of the per-month totals the triggers keep (migration v5), not a sum over the
        // month's usage rows.
        let (start, _) = Timestamp.monthBounds(now)
        let spent = try Int64.fetchOne(
            db.cachedStatement(sql: "SELECT spent_pico FROM usage_month_totals WHERE user_id = ? AND month_start = ?"),
            arguments: [userId, start]) ?? 0
        let reserved = try Int64.fetchOne(
            db.cachedStatement(sql: """
                SELECT (SELECT COALESCE(SUM(reserved_pico), 0) FROM llm_usage_inflight WHERE user_id = ?)
                     + (SELECT COALESCE(SUM(reserved_pico), 0) FROM llm_usage_log WHERE user_id = ? AND status = 'pending')
                """),
            arguments: [userId, userId]) ?? 0
        return (Money(picodollars: spent), Money(picodollars: reserved))
    }
}
