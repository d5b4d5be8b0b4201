import Foundation
import LLMDomain
import Testing
@testable import LLMStore

@Suite struct BudgetAndConcurrencyTests {
    @Test func concurrentReservationsNeverOvercommitABudget() throws {
        let one = try AppDatabase.makeTemporary()
        let two = try AppDatabase(path: one.path)  // like a second process on the same file
        let user = try Fixture.user(one, budget: Fixture.usd("1"))
        let model = try Fixture.model(one)
        let outcomes = Collected<Result<String, DomainError>>()
        onThreads(10) { i in
            let db = i % 2 == 0 ? one : two
            do {
                outcomes.append(.success(try db.beginUsage(Fixture.pending(user, model, reservation: Fixture.usd("0.15")))))
            } catch {
                outcomes.append(.failure(error as! DomainError))
            }
        }
        let results = outcomes.all
        #expect(results.filter { if case .success = $0 { true } else { false } }.count == 6)
        let failures = results.compactMap { if case .failure(let e) = $0 { e } else { nil } }
        #expect(failures.count == 4)
        #expect(failures.allSatisfy { $0.kind == .budgetExceeded && $0.extra == ["remaining_usd": "0.1"] })
        let spend = try one.monthSpend(userId: user.id, now: Date())
        #expect(spend.spent == .zero && spend.reserved == Fixture.usd("0.9"))
    }

    @Test func settledCostAndPendingReservationsBothCountAgainstTheBudget() throws {
        let db = try AppDatabase.makeTemporary()
        let user = try Fixture.user(db, budget: Fixture.usd("1"))
        let model = try Fixture.model(db)
        let now = Fixture.date("2026-11-15T12:00:00.000Z")
        let lastMonth = try db.beginUsage(Fixture.pending(user, model, reservation: Fixture.usd("0.9"),
                                                          at: Fixture.date("2026-10-31T23:59:59.999Z")))
        try db.settleUsage(id: lastMonth, UsageSettlement(status: .completed, cost: UsageCost(
            input: Fixture.usd("0.4"), output: Fixture.usd("0.5"))))
        let a = try db.beginUsage(Fixture.pending(user, model, reservation: Fixture.usd("0.6"), at: now))
        try db.settleUsage(id: a, UsageSettlement(status: .completed, cost: UsageCost(
            input: Fixture.usd("0.25"), output: Fixture.usd("0.25"))))
        _ = try db.beginUsage(Fixture.pending(user, model, reservation: Fixture.usd("0.3"), at: now))
        #expect(try db.monthSpend(userId: user.id, now: now) == (spent: Fixture.usd("0.5"), reserved: Fixture.usd("0.3")))
        #expect(throws: DomainError(.budgetExceeded, "Monthly budget exhausted: 0.2 USD remain",
                                    extra: ["remaining_usd": "0.2"])) {
            _ = try db.beginUsage(Fixture.pending(user, model, reservation: Fixture.usd("0.200000000001"), at: now))
        }
        _ = try db.beginUsage(Fixture.pending(user, model, reservation: Fixture.usd("0.2"), at: now))
        // Nothing remains: even a request with no reservation is refused.
        #expect(throws: DomainError(.budgetExceeded, "Monthly budget exhausted: 0 USD remain",
                                    extra: ["remaining_usd": "0"])) {
            _ = try db.beginUsage(Fixture.pending(user, model, reservation: .zero, at: now))
        }
    }

    @Test func pendingRowsOfDeadProcessesAreMarkedInterrupted() throws {
        let db = try AppDatabase.makeTemporary()
        let user = try Fixture.user(db, budget: Fixture.usd("10"))
        let model = try Fixture.model(db)
        let dead = try db.beginUsage(Fixture.pending(user, model, reservation: Fixture.usd("1"), pid: 111))
        let deadToo = try db.beginUsage(Fixture.pending(user, model, reservation: Fixture.usd("2"), pid: 111))
        let alive = try db.beginUsage(Fixture.pending(user, model, reservation: Fixture.usd("4"), pid: 222))
        let settled = try db.beginUsage(Fixture.pending(user, model, pid: 111))
        try db.settleUsage(id: settled, UsageSettlement(status: .completed, cost: nil))

        #expect(try db.markInterruptedUsage(isAlive: { $0 == 222 }) == 2)
        for id in [dead, deadToo] {
            let row = try #require(try db.usage(id: id))
            #expect(row.status == .interrupted && row.reserved == .zero && row.completedAt != nil)
        }
        #expect(try db.usage(id: alive)?.status == .pending)
        #expect(try db.usage(id: settled)?.status == .completed)
        #expect(try db.monthSpend(userId: user.id, now: Date()).reserved == Fixture.usd("4"))
        // A late settlement of an interrupted row still records the real outcome.
        try db.settleUsage(id: dead, UsageSettlement(status: .cancelled, cost: nil))
        #expect(try db.usage(id: dead)?.status == .cancelled)
        // Stale rows are interrupted whatever their process.
        #expect(try db.markInterruptedUsage(isAlive: { _ in true }, staleBefore: Date().addingTimeInterval(60)) == 1)
        #expect(try db.usage(id: alive)?.status == .interrupted)
    }

    @Test func processLivenessCountsTheCallerAsDead() {
        #expect(!AppDatabase.isOtherProcessAlive(getpid()))
        #expect(AppDatabase.isOtherProcessAlive(1))
        #expect(!AppDatabase.isOtherProcessAlive(Int32.max))
    }

    #if os(Linux)
    @Test func aKilledButUnreapedProcessCountsAsDead() throws {
        var pid: pid_t = 0
        let argv: [UnsafeMutablePointer<CChar>?] = [strdup("/bin/sleep"), strdup("60"), nil]
        defer { argv.forEach { free($0) } }
        #expect(posix_spawn(&pid, "/bin/sleep", nil, nil, argv, environ) == 0)
        #expect(AppDatabase.isOtherProcessAlive(pid))
        kill(pid, SIGKILL)
        // Wait for its exit without reaping it: it stays a zombie until waitpid below.
        var info = siginfo_t()
        #expect(waitid(P_PID, id_t(pid), &info, WEXITED | WNOWAIT) == 0)
        #expect(!AppDatabase.isOtherProcessAlive(pid))
        var status: Int32 = 0
        waitpid(pid, &status, 0)
    }
    #endif

    @Test func twoInstancesOnOneFileWritingConcurrentlyLoseNothing() throws {
        let one = try AppDatabase.makeTemporary()
        let two = try AppDatabase(path: one.path)
        let model = try Fixture.model(one)
        let errors = Collected<String>()
        let threads = 6, perThread = 15
        onThreads(threads) { t in
            let db = t % 2 == 0 ? one : two
            do {
                let user = try Fixture.user(db, "t\(t)@x.io")
                var conversation: String?
                for i in 0..<perThread {
                    let usageId = try db.beginUsage(Fixture.pending(user, model))
                    conversation = try db.settleChat(ChatSettlement(
                        usageId: usageId, conversationId: conversation,
                        messages: [ChatMessage(role: .user, content: "q\(i)")],
                        assistant: ChatMessage(role: .assistant, content: "a\(i)"),
                        usage: Usage(inputTokens: 10, outputTokens: 1),
                        cost: UsageCost(input: Money(picodollars: 7), output: Money(picodollars: 5)))).conversationId
                    try db.recordLoginFailure(username: "t\(t)", at: Date())
                }
            } catch {
                errors.append("\(error)")
            }
        }
        #expect(errors.all == [])
        for db in [one, two] {
            #expect(try db.listUsers(skip: 0, limit: 100).total == threads)
            #expect(try Fixture.count(db, "SELECT COUNT(*) FROM conversations") == threads)
            #expect(try Fixture.count(db, "SELECT COUNT(*) FROM llm_messages") == threads * perThread * 2)
            #expect(try Fixture.count(db, "SELECT COUNT(*) FROM login_failures") == threads * perThread)
            let report = try db.usageReport(userId: nil, from: .distantPast, to: .distantFuture)
            #expect(report.totals.requests == threads * perThread)
            #expect(report.totals.inputTokens == threads * perThread * 10)
            #expect(report.totals.totalCost == Money(picodollars: Int64(threads * perThread * 12)))
            #expect(report.byUser?.map(\.totals.requests) == Array(repeating: perThread, count: threads))
        }
        for t in 0..<threads {
            let user = try #require(try one.user(email: "t\(t)@x.io"))
            let conversations = try one.listConversations(userId: user.id, skip: 0, limit: 10)
            #expect(conversations.total == 1)
            let history = try one.conversationHistory(id: conversations.items[0].id, userId: user.id)
            #expect(history.map(\.seq) == Array(0..<(perThread * 2)))
        }
    }
}
