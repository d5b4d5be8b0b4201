import Foundation
import LLMDomain
import Testing
@testable import LLMStore

/// Reports over a UTC day boundary, with failed, cancelled and unpriced rows and a price
/// change between rows. Expected values are worked out by hand in the comments.
@Suite struct UsageReportTests {
    let db: AppDatabase
    let ann: UserRecord, bob: UserRecord
    let one: ModelRecord, two: ModelRecord, three: ModelRecord
    let from = Fixture.date("2026-11-27T00:00:00.000Z")
    let to = Fixture.date("2026-11-28T23:59:59.999Z")

    init() throws {
        db = try AppDatabase.makeTemporary()
        ann = try Fixture.user(db, "ann@x.io")
        bob = try Fixture.user(db, "bob@x.io")
        one = try Fixture.model(db, .anthropic, "m-one", input: "3", output: "15", cachedInput: "0.3")
        two = try Fixture.model(db, .openai, "m-two", input: "1", output: "2")
        three = try Fixture.model(db, .google, "m-three", input: nil, output: nil)

        // Before the window: not counted.
        try record(ann, one, "2026-11-26T23:59:59.999Z", .completed, Usage(inputTokens: 9, outputTokens: 9))
        // At `from` exactly: ann, m-two, 1 in + 1 out at $1/$2 → 1e6 + 2e6 = 3,000,000 pico.
        try record(ann, two, "2026-11-27T00:00:00.000Z", .completed, Usage(inputTokens: 1, outputTokens: 1))
        // Last millisecond of the 27th: ann, m-one at $3/$15: 1000×3e6 + 500×15e6 = 10,500,000,000.
        try record(ann, one, "2026-11-27T23:59:59.999Z", .completed, Usage(inputTokens: 1000, outputTokens: 500))
        // Price change: m-one becomes $4/$20, cached $0.4.
        _ = try db.updateModel(id: one.id, ModelChanges(
            inputPrice: .some(Fixture.price("4")), outputPrice: .some(Fixture.price("20")),
            cachedInputPrice: .some(Fixture.price("0.4"))))
        // First millisecond of the 28th: ann, m-one: 2000×4e6 + 300×0.4e6 + 100×20e6
        // = 8,000,000,000 + 120,000,000 + 2,000,000,000 = 10,120,000,000.
        try record(ann, one, "2026-11-28T00:00:00.000Z", .completed,
                   Usage(inputTokens: 2000, outputTokens: 100, cacheReadInputTokens: 300, reasoningTokens: 40))
        // Failed with nothing consumed: ann, m-two, cost 0 (priced).
        try record(ann, two, "2026-11-28T10:00:00.000Z", .failed, .zero)
        // Cancelled mid-way: bob, m-two: 50×1e6 + 7×2e6 = 64,000,000.
        try record(bob, two, "2026-11-28T11:00:00.000Z", .cancelled, Usage(inputTokens: 50, outputTokens: 7))
        // Unpriced: bob, m-three, 10 + 10 tokens, no cost.
        try record(bob, three, "2026-11-28T12:00:00.000Z", .completed, Usage(inputTokens: 10, outputTokens: 10))
        // At `to` exactly: still pending (counted, no tokens, no cost).
        _ = try db.beginUsage(Fixture.pending(bob, two, at: to))
        // After the window.
        try record(bob, two, "2026-11-29T00:00:00.000Z", .completed, Usage(inputTokens: 5, outputTokens: 5))
    }

    /// Begins a usage row at `time` with the model's current prices and settles it with the
    /// cost computed here from those prices.
    private func record(_ user: UserRecord, _ model: ModelRecord, _ time: String, _ status: UsageStatus,
                        _ usage: Usage) throws {
        let current = try #require(try db.model(id: model.id))
        let id = try db.beginUsage(Fixture.pending(user, current, at: Fixture.date(time)))
        var cost: UsageCost?
        if let input = current.prices.input, let output = current.prices.output {
            let cached = current.prices.cachedInput?.picodollarsPerToken ?? 0
            cost = UsageCost(
                input: Money(picodollars: Int64(usage.inputTokens) * input.picodollarsPerToken
                             + Int64(usage.cacheReadInputTokens) * cached),
                output: Money(picodollars: Int64(usage.outputTokens) * output.picodollarsPerToken))
        }
        if status == .failed {
            try db.settleUsage(id: id, UsageSettlement(status: status, errorType: "upstream_error", upstreamStatus: 500,
                                                       usage: usage, cost: cost))
        } else {
            _ = try db.settleChat(ChatSettlement(
                usageId: id, conversationId: nil, messages: [ChatMessage(role: .user, content: "q")],
                assistant: ChatMessage(role: .assistant, content: "a"), status: status, usage: usage, cost: cost))
        }
    }

    private func totals(_ requests: Int, _ input: Int, _ output: Int, _ cost: Int64, priced: Int,
                        cacheRead: Int = 0, reasoning: Int = 0) -> UsageTotals {
        UsageTotals(requests: requests, inputTokens: input, outputTokens: output, cacheReadInputTokens: cacheRead,
                    reasoningTokens: reasoning, totalCost: Money(picodollars: cost), pricedRequests: priced)
    }

    @Test func allUsersReport() throws {
        let r = try db.usageReport(userId: nil, from: from, to: to)
        // 7 rows in the window; input 1+1000+2000+0+50+10+0 = 3061; output 1+500+100+0+7+10 = 618;
        // cost 3,000,000 + 10,500,000,000 + 10,120,000,000 + 0 + 64,000,000 = 20,687,000,000.
        #expect(r.totals == totals(7, 3061, 618, 20_687_000_000, priced: 5, cacheRead: 300, reasoning: 40))
        #expect(r.totals.totalCost.usd == Decimal(string: "0.020687"))
        #expect(r.byDay == [
            DayUsage(date: "2026-11-27", totals: totals(2, 1001, 501, 10_503_000_000, priced: 2)),
            DayUsage(date: "2026-11-28",
                     totals: totals(5, 2060, 117, 10_184_000_000, priced: 3, cacheRead: 300, reasoning: 40)),
        ])
        #expect(r.byModel == [
            ModelUsage(modelId: one.id, modelName: "m-one", provider: .anthropic,
                       totals: totals(2, 3000, 600, 20_620_000_000, priced: 2, cacheRead: 300, reasoning: 40)),
            ModelUsage(modelId: three.id, modelName: "m-three", provider: .google, totals: totals(1, 10, 10, 0, priced: 0)),
            ModelUsage(modelId: two.id, modelName: "m-two", provider: .openai, totals: totals(4, 51, 8, 67_000_000, priced: 3)),
        ])
        #expect(r.byUser == [
            UserUsage(userId: ann.id, email: "ann@x.io",
                      totals: totals(4, 3001, 601, 20_623_000_000, priced: 4, cacheRead: 300, reasoning: 40)),
            UserUsage(userId: bob.id, email: "bob@x.io", totals: totals(3, 60, 17, 64_000_000, priced: 1)),
        ])
    }

    @Test func oneUsersReport() throws {
        let r = try db.usageReport(userId: bob.id, from: from, to: to)
        #expect(r.byUser == nil)
        #expect(r.totals == totals(3, 60, 17, 64_000_000, priced: 1))
        #expect(r.byDay == [DayUsage(date: "2026-11-28", totals: totals(3, 60, 17, 64_000_000, priced: 1))])
        #expect(r.byModel.map(\.modelName) == ["m-three", "m-two"])
        let empty = try db.usageReport(userId: ann.id, from: Fixture.date("2026-12-01T00:00:00.000Z"),
                                       to: Fixture.date("2026-12-31T00:00:00.000Z"))
        #expect(empty.totals == .zero && empty.byDay == [] && empty.byModel == [])
    }

    @Test func loggedRowsKeepThePricesTheyUsed() throws {
        let r = try db.usageReport(userId: ann.id, from: from, to: to)
        #expect(r.byModel.first { $0.modelId == one.id }?.totals.totalCost == Money(picodollars: 20_620_000_000))
        let row = try #require(try db.pool.read { db in
            try String.fetchOne(db, sql: "SELECT id FROM llm_usage_log WHERE created_at = ?",
                                arguments: [Timestamp.ms(Fixture.date("2026-11-27T23:59:59.999Z"))])
        })
        #expect(try db.usage(id: row)?.prices.input == Fixture.price("3"))
    }

    /// The report's own statements read the per-user covering index (every user's: user by
    /// user) and never the table rows or a full scan.
    @Test func reportsReadOnlyTheCoveringIndex() throws {
        for allUsers in [true, false] {
            for key in ["created_at / 86400000", "model_id, model_name, provider, MAX(created_at)", "user_id", "status"] {
                let plan = try db.pool.read { conn in
                    try Row.fetchAll(conn, sql: "EXPLAIN QUERY PLAN " + AppDatabase.reportSQL(groupedBy: key, allUsers: allUsers),
                                     arguments: StatementArguments(Array(repeating: 0 as Int?, count: allUsers ? 4 : 6)))
                        .map { $0["detail"] as String }
                }
                #expect(plan.contains { $0.hasPrefix("SEARCH llm_usage_log USING COVERING INDEX llm_usage_log_user_created (user_id=? AND created_at>? AND created_at<?)") },
                        "\(plan)")
                #expect(!plan.contains { $0.hasPrefix("SCAN llm_usage_log") }, "\(plan)")
            }
        }
    }
}
