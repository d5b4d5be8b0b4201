import Foundation
import LLMDomain
@testable import LLMStore

/// Fixtures shared by the store tests.
enum Fixture {
    static func user(_ db: AppDatabase, _ email: String = "user@example.com", budget: Money? = nil) throws -> UserRecord {
        var u = try db.createUser(email: email, fullName: nil, passwordHash: "hash", isSuperuser: false)
        if let budget { u = try db.updateUser(id: u.id, monthlyBudget: .some(budget)) }
        return u
    }

    static func price(_ usdPerMillion: String) -> PricePerMillion {
        PricePerMillion(usdPerMillion: Decimal(string: usdPerMillion)!)!
    }

    static func model(_ db: AppDatabase, _ provider: Provider = .anthropic, _ name: String = "claude-test",
                      input: String? = "3", output: String? = "15", cachedInput: String? = nil) throws -> ModelRecord {
        try db.createModel(NewModel(
            provider: provider, modelName: name,
            prices: ModelPrices(input: input.map(price), output: output.map(price), cachedInput: cachedInput.map(price))))
    }

    static func pending(_ user: UserRecord, _ model: ModelRecord, reservation: Money = .zero,
                        at: Date = Date(), pid: Int32 = getpid()) -> PendingUsage {
        PendingUsage(userId: user.id, modelId: model.id, modelName: model.modelName, provider: model.provider,
                     keySource: .user, stream: false, prices: model.prices, reservation: reservation,
                     createdAt: at, serverPid: pid)
    }

    static func usd(_ s: String) -> Money { Money(usd: Decimal(string: s)!)! }

    /// An RFC 3339 UTC instant with milliseconds ("2026-11-27T23:59:59.999Z").
    static func date(_ s: String) -> Date {
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return f.date(from: s)!
    }

    static func count(_ db: AppDatabase, _ sql: String) throws -> Int {
        try db.pool.read { try Int.fetchOne($0, sql: sql)! }
    }
}

/// Runs `body(i)` for i in 0..<n on n separate threads at once and waits for all of them.
func onThreads(_ n: Int, _ body: @escaping @Sendable (Int) -> Void) {
    let group = DispatchGroup()
    let start = DispatchSemaphore(value: 0)
    for i in 0..<n {
        group.enter()
        let thread = Thread {
            start.wait()
            body(i)
            group.leave()
        }
        thread.start()
    }
    for _ in 0..<n { start.signal() }
    group.wait()
}

/// A lock-protected array for results gathered on several threads.
final class Collected<T>: @unchecked Sendable {
    private let lock = NSLock()
    private var items: [T] = []
    func append(_ item: T) { lock.lock(); items.append(item); lock.unlock() }
    var all: [T] { lock.lock(); defer { lock.unlock() }; return items }
}
