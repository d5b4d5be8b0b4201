import Foundation
import GRDB
import LLMDomain

/// Recording chat requests, crash-safely: a 'pending' usage row before the upstream call,
/// settled after it in the same transaction as the conversation and its messages.
extension AppDatabase {
    /// Inserts a 'pending' usage row (with the prices used, the key source and the budget
    /// reservation) before the upstream call, and returns its id.
    ///
    /// If the user has a monthly budget, the same IMMEDIATE transaction checks that
    /// spent this month + reserved by pending rows + `reservation` ≤ budget, and that some
    /// budget remains; otherwise it throws `DomainError(.budgetExceeded)` with
    /// `extra["remaining_usd"]` (exact decimal string). Concurrent callers, in this process or
    /// another, are serialised by the write lock, so a budget is never overcommitted.
    /// Unknown user → `DomainError(.userNotFound)`.
    public func beginUsage(_ p: PendingUsage) throws -> String {
        let id = newId()
        try write { db in
            guard let budgetPico = try Int64?.fetchOne(
                db.cachedStatement(sql: "SELECT monthly_budget_pico FROM users WHERE id = ?"), arguments: [p.userId])
            else { throw DomainError(.userNotFound, "User not found") }
            if let budgetPico {
                let (spent, reserved) = try monthSpend(db, userId: p.userId, now: p.createdAt)
                let remaining = budgetPico - spent.picodollars - reserved.picodollars
                if remaining <= 0 || p.reservation.picodollars > remaining {
                    let left = Money(picodollars: max(0, remaining))
                    throw DomainError(.budgetExceeded, "Monthly budget exhausted: \(left.usd) USD remain",
                                      extra: ["remaining_usd": "\(left.usd)"])
                }
            }
            try db.cachedStatement(sql: """
                    INSERT INTO llm_usage_log (id, user_id, model_id, model_name, provider, key_source, stream, status,
                        input_price_pico, output_price_pico, cached_input_price_pico, cache_write_price_pico,
                        priced, reserved_pico, created_at, server_pid)
                    VALUES (?, ?, ?, ?, ?, ?, ?, 'pending', ?, ?, ?, ?, 0, ?, ?, ?)
                    """).execute(arguments: StatementArguments(
                    [id, p.userId, p.modelId, p.modelName, p.provider.rawValue, p.keySource.rawValue, p.stream]
                    as [(any DatabaseValueConvertible)?]
                    + p.prices.columnValues as [(any DatabaseValueConvertible)?]
                    + [p.reservation.picodollars, Timestamp.ms(p.createdAt), p.serverPid]
                    as [(any DatabaseValueConvertible)?]))
        }
        return id
    }

    /// In one transaction: creates the conversation when `conversationId` is nil (titled after
    /// the first user message, at most 80 characters) or checks that it belongs to the usage
    /// row's user (else `DomainError(.conversationNotFound)`); appends the request's messages
    /// and the assistant message (with its tokens and cost); settles the usage row (status,
    /// tokens, costs, latency, message and conversation ids, reservation released).
    /// Any failure leaves nothing written. Unknown or already settled usage row →
    /// `DomainError(.notFound)` / `DomainError(.conflict)`.
    public func settleChat(_ s: ChatSettlement) throws -> (conversationId: String, assistantMessageId: String?) {
        try write { db in
            let owner = try unsettledUsage(db, id: s.usageId)
            let startMs = owner.createdAt
            let endMs = Timestamp.ms(s.completedAt)

            let conversationId: String
            var seq: Int
            if let existing = s.conversationId {
                guard try Bool.fetchOne(
                    db.cachedStatement(sql: "SELECT 1 FROM conversations WHERE id = ? AND user_id = ?"),
                    arguments: [existing, owner.userId]) != nil
                else { throw DomainError(.conversationNotFound, "Conversation not found") }
                conversationId = existing
                seq = try Int.fetchOne(db.cachedStatement(sql: "SELECT COALESCE(MAX(seq) + 1, 0) FROM llm_messages WHERE conversation_id = ?"),
                                       arguments: [existing]) ?? 0
                try db.cachedStatement(sql: "UPDATE conversations SET updated_at = ? WHERE id = ?").execute(arguments: [endMs, existing])
            } else {
                conversationId = newId()
                seq = 0
                try db.cachedStatement(sql: """
                        INSERT INTO conversations (id, user_id, model_id, title, created_at, updated_at)
                        VALUES (?, ?, ?, ?, ?, ?)
                        """).execute(arguments: [conversationId, owner.userId, owner.modelId, conversationTitle(s.messages), startMs, endMs])
            }

            for message in s.messages {
                try insertMessage(db, id: newId(), conversationId: conversationId, seq: seq, message,
                                  tokens: nil, cost: nil, at: startMs)
                seq += 1
            }
            var assistantId: String?
            if let assistant = s.assistant {
                let id = newId()
                try insertMessage(db, id: id, conversationId: conversationId, seq: seq, assistant,
                                  tokens: (s.usage.inputTokens, s.usage.outputTokens), cost: s.cost?.total, at: endMs)
                assistantId = id
            }

            try settleRow(db, id: s.usageId, status: s.status, errorType: s.errorType, upstreamStatus: s.upstreamStatus,
                          usage: s.usage, usageEstimated: s.usageEstimated, cost: s.cost, latencyMs: s.latencyMs,
                          completedAt: endMs, conversationId: conversationId, messageId: assistantId)
            return (conversationId, assistantId)
        }
    }

    /// Settles a usage row without messages (a failed request): status, error type,
    /// upstream status, tokens and costs if any; the reservation is released.
    /// Unknown or already settled row → `DomainError(.notFound)` / `DomainError(.conflict)`.
    public func settleUsage(id: String, _ s: UsageSettlement) throws {
        try write { db in
            _ = try unsettledUsage(db, id: id)
            try settleRow(db, id: id, status: s.status, errorType: s.errorType, upstreamStatus: s.upstreamStatus,
                          usage: s.usage, usageEstimated: s.usageEstimated, cost: s.cost, latencyMs: s.latencyMs,
                          completedAt: Timestamp.ms(s.completedAt), conversationId: nil, messageId: nil)
        }
    }

    /// At start-up: marks 'interrupted' (releasing its reservation) every pending row whose
    /// owning process is not alive (`isAlive(pid)` false), and every pending row created
    /// before `staleBefore` whatever its process (a guard against pid reuse). Returns the count.
    ///
    /// The default `isAlive` is `AppDatabase.isOtherProcessAlive`, which treats the calling
    /// process as dead: right for start-up, before this process has begun any request.
    @discardableResult
    public func markInterruptedUsage(isAlive: (Int32) -> Bool = AppDatabase.isOtherProcessAlive,
                                     staleBefore: Date? = nil) throws -> Int {
        try write { db in
            let now = Timestamp.ms(Date())
            var count = 0
            let pids = try Int32.fetchAll(db.cachedStatement(sql: "SELECT DISTINCT server_pid FROM llm_usage_log WHERE status = 'pending'"))
            for pid in pids where !isAlive(pid) {
                try db.cachedStatement(sql: """
                        UPDATE llm_usage_log SET status = 'interrupted', reserved_pico = 0, completed_at = ?
                        WHERE status = 'pending' AND server_pid = ?
                        """).execute(arguments: [now, pid])
                count += db.changesCount
            }
            if let staleBefore {
                try db.cachedStatement(sql: """
                        UPDATE llm_usage_log SET status = 'interrupted', reserved_pico = 0, completed_at = ?
                        WHERE status = 'pending' AND created_at < ?
                        """).execute(arguments: [now, Timestamp.ms(staleBefore)])
                count += db.changesCount
            }
            return count
        }
    }

    /// Whether process `pid` exists (`kill(pid, 0)` does not fail with ESRCH), counting the
    /// calling process as dead (see `markInterruptedUsage`).
    public static func isOtherProcessAlive(_ pid: Int32) -> Bool {
        if pid == getpid() || pid <= 0 { return false }
        return kill(pid, 0) == 0 || errno != ESRCH
    }

    /// The usage row with this id, or nil.
    public func usage(id: String) throws -> UsageRow? {
        try read { db in
            try Row.fetchOne(db.cachedStatement(sql: "SELECT * FROM llm_usage_log WHERE id = ?"), arguments: [id]).map(UsageRow.init(row:))
        }
    }

    // MARK: - Helpers

    private struct UsageOwner {
        var userId: String
        var modelId: String
        var createdAt: Int64
    }

    /// The row's owner, if the row exists and is not settled yet ('pending', or 'interrupted'
    /// by a process that wrongly thought its owner dead).
    private func unsettledUsage(_ db: Database, id: String) throws -> UsageOwner {
        guard let row = try Row.fetchOne(
            db.cachedStatement(sql: "SELECT user_id, model_id, created_at, status FROM llm_usage_log WHERE id = ?"), arguments: [id])
        else { throw DomainError(.notFound, "Usage record \(id) not found") }
        let status: String = row["status"]
        guard status == UsageStatus.pending.rawValue || status == UsageStatus.interrupted.rawValue else {
            throw DomainError(.conflict, "Usage record \(id) is already settled (\(status))")
        }
        return UsageOwner(userId: row["user_id"], modelId: row["model_id"], createdAt: row["created_at"])
    }

    private func settleRow(_ db: Database, id: String, status: UsageStatus, errorType: String?, upstreamStatus: Int?,
                           usage: Usage, usageEstimated: Bool, cost: UsageCost?, latencyMs: Int?, completedAt: Int64,
                           conversationId: String?, messageId: String?) throws {
        guard status != .pending else {
            throw DomainError(.badRequest, "A usage record cannot be settled as pending")
        }
        try db.cachedStatement(sql: """
                UPDATE llm_usage_log SET status = ?, error_type = ?, upstream_status = ?,
                    input_tokens = ?, output_tokens = ?, cache_read_input_tokens = ?, cache_creation_input_tokens = ?,
                    reasoning_tokens = ?, usage_estimated = ?,
                    input_cost_pico = ?, output_cost_pico = ?, total_cost_pico = ?, priced = ?, reserved_pico = 0,
                    latency_ms = ?, completed_at = ?, conversation_id = COALESCE(?, conversation_id),
                    message_id = COALESCE(?, message_id)
                WHERE id = ?
                """).execute(arguments: [status.rawValue, errorType, upstreamStatus,
                        usage.inputTokens, usage.outputTokens, usage.cacheReadInputTokens, usage.cacheCreationInputTokens,
                        usage.reasoningTokens, usageEstimated,
                        cost?.input.picodollars, cost?.output.picodollars, cost?.total.picodollars, cost != nil,
                        latencyMs, completedAt, conversationId, messageId, id])
    }

    private func insertMessage(_ db: Database, id: String, conversationId: String, seq: Int, _ m: ChatMessage,
                               tokens: (input: Int, output: Int)?, cost: Money?, at: Int64) throws {
        try db.cachedStatement(sql: """
                INSERT INTO llm_messages (id, conversation_id, seq, role, content, tool_calls_json, tool_call_id,
                    input_tokens, output_tokens, cost_pico, created_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """).execute(arguments: [id, conversationId, seq, m.role.rawValue, m.content, MessageRecord.toolCallsJSON(m.toolCalls),
                        m.toolCallId, tokens?.input, tokens?.output, cost?.picodollars, at])
    }
}

/// A conversation's title: the first user message with its white space collapsed, at most
/// 80 characters ("New conversation" when there is no user text).
func conversationTitle(_ messages: [ChatMessage]) -> String {
    let text = messages.first { $0.role == .user }?.content ?? ""
    let words = text.split(whereSeparator: { $0.isWhitespace || $0.isNewline })
    let collapsed = words.joined(separator: " ")
    return collapsed.isEmpty ? "New conversation" : String(collapsed.prefix(80))
}
