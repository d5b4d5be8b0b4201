import Foundation
import LLMDomain
import Testing
@testable import LLMStore

/// Requests in flight live in `llm_usage_inflight` and move into `llm_usage_log` when settled
/// or interrupted; reports and budgets count both; 'pending' rows that earlier versions wrote
/// into the log are still settled and recovered.
@Suite struct InflightUsageTests {
    let usage = Usage(inputTokens: 1000, outputTokens: 500)
    let cost = UsageCost(input: Money(picodollars: 3_000_000_000), output: Money(picodollars: 7_500_000_000))

    func counts(_ db: AppDatabase) throws -> (inflight: Int, log: Int) {
        try db.pool.read { d in
            (try Int.fetchOne(d, sql: "SELECT COUNT(*) FROM llm_usage_inflight")!,
             try Int.fetchOne(d, sql: "SELECT COUNT(*) FROM llm_usage_log")!)
        }
    }

    @Test func aRequestMovesFromInflightToTheLogWhenSettled() throws {
        let db = try AppDatabase.makeTemporary()
        let user = try Fixture.user(db), model = try Fixture.model(db)
        let id = try db.beginUsage(Fixture.pending(user, model, reservation: Fixture.usd("0.25")))
        #expect(try counts(db) == (1, 0))
        #expect(try db.usage(id: id)?.status == .pending)
        #expect(try db.monthSpend(userId: user.id, now: Date()).reserved == Fixture.usd("0.25"))
        let pendingReport = try db.usageReport(userId: user.id, from: Date().addingTimeInterval(-60), to: Date().addingTimeInterval(60))
        #expect(pendingReport.byStatus[.pending] == 1 && pendingReport.totals.requests == 1)

        try db.settleUsage(id: id, UsageSettlement(status: .failed, errorType: "upstream_error", upstreamStatus: 500,
                                                   usage: usage, usageEstimated: true, cost: cost, latencyMs: 9))
        #expect(try counts(db) == (0, 1))
        let row = try #require(try db.usage(id: id))
        #expect(row.status == .failed && row.errorType == "upstream_error" && row.upstreamStatus == 500)
        #expect(row.usage == usage && row.usageEstimated && row.cost == cost && row.priced && row.reserved == .zero)
        #expect(row.prices == model.prices && row.modelName == "claude-test" && row.provider == .anthropic)
        #expect(row.keySource == .user && !row.stream && row.serverPid == getpid() && row.latencyMs == 9)
        #expect(try db.monthSpend(userId: user.id, now: Date()) == (cost.total, .zero))
        #expect(throws: DomainError.self) {
            try db.settleUsage(id: id, UsageSettlement(status: .completed, cost: nil))
        }
    }

    @Test func reportsStillScanTheCoveringIndexes() throws {
        let db = try AppDatabase.makeTemporary()
        let plan = try db.pool.read { d in
            try Row.fetchAll(d, sql: """
                EXPLAIN QUERY PLAN
                SELECT COUNT(*), SUM(input_tokens), status FROM (
                    SELECT user_id, created_at, model_id, model_name, provider, input_tokens, output_tokens,
                        cache_read_input_tokens, cache_creation_input_tokens, reasoning_tokens, total_cost_pico, status
                    FROM llm_usage_log
                    UNION ALL
                    SELECT user_id, created_at, model_id, model_name, provider, 0, 0, 0, 0, 0, NULL, 'pending'
                    FROM llm_usage_inflight)
                WHERE user_id = 'u' AND created_at BETWEEN 0 AND 1 GROUP BY 3
                """).map { $0["detail"] as String }.joined(separator: " | ")
        }
        #expect(plan.contains("COVERING INDEX llm_usage_log_user_created"), "\(plan)")
    }

    @Test func pendingRowsOfEarlierVersionsAreSettledAndRecovered() throws {
        let db = try AppDatabase.makeTemporary()
        let user = try Fixture.user(db), model = try Fixture.model(db)
        func legacyPending(_ id: String, pid: Int32) throws {
            try db.pool.write { d in
                try d.execute(sql: """
                    INSERT INTO llm_usage_log (id, user_id, model_id, model_name, provider, key_source, stream, status,
                        priced, reserved_pico, created_at, server_pid)
                    VALUES (?, ?, ?, 'claude-test', 'anthropic', 'system', 1, 'pending', 0, 5, ?, ?)
                    """, arguments: [id, user.id, model.id, Int64(Date().timeIntervalSince1970 * 1000), pid])
            }
        }
        try legacyPending("legacy-1", pid: getpid())
        try legacyPending("legacy-2", pid: 999_999)
        #expect(try db.monthSpend(userId: user.id, now: Date()).reserved == Money(picodollars: 10))
        try db.settleUsage(id: "legacy-1", UsageSettlement(status: .completed, usage: usage, cost: cost))
        #expect(try db.usage(id: "legacy-1")?.status == .completed)
        #expect(try db.usage(id: "legacy-1")?.cost == cost)
        // A new in-flight row of a dead process and the legacy row are both interrupted at start-up.
        var p = Fixture.pending(user, model)
        p.serverPid = 999_998
        let inflight = try db.beginUsage(p)
        #expect(try db.markInterruptedUsage(isAlive: { $0 == getpid() }) == 2)
        #expect(try db.usage(id: "legacy-2")?.status == .interrupted)
        let moved = try #require(try db.usage(id: inflight))
        #expect(moved.status == .interrupted && moved.reserved == .zero && moved.serverPid == 999_998 && moved.completedAt != nil)
        #expect(try counts(db) == (0, 3))
        // A row interrupted by mistake can still be settled by its owner.
        try db.settleUsage(id: inflight, UsageSettlement(status: .completed, usage: usage, cost: cost))
        #expect(try db.usage(id: inflight)?.status == .completed)
    }
}
