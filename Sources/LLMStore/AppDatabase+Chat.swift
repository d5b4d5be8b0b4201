import FoundationEssentials
#if canImport(Glibc)
import Glibc
#endif
import Synchronization
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
        try writeTransaction(beginUsageWork(p))
    }

    /// `beginUsage`, committed together with concurrent requests' writes (group commit).
    public func beginUsage(_ p: PendingUsage) async throws -> String {
        try await combinedWrite(beginUsageWork(p))
    }

    private func beginUsageWork(_ p: PendingUsage) -> @Sendable (Database) throws -> String {
        let id = newId()
        return { db in
            if let expected = p.settingsGeneration {
                // In the write transaction, so no change can slip in before the row is written.
                let current = try Self.generation(db)
                if current != expected { throw StaleSettings(current: current) }
            }
            let budget = try RawStatement(db, "SELECT monthly_budget_pico FROM users WHERE id = ?")
            budget.bind(1, p.userId)
            guard try budget.step() else { throw DomainError(.userNotFound, "User not found") }
            let budgetPico: Int64? = budget.isNull(0) ? nil : budget.int64(0)
            budget.finish()
            if let budgetPico {
                let (spent, reserved) = try self.monthSpend(db, userId: p.userId, now: p.createdAt)
                let remaining = budgetPico - spent.picodollars - reserved.picodollars
                if remaining <= 0 || p.reservation.picodollars > remaining {
                    let left = Money(picodollars: max(0, remaining))
                    throw DomainError(.budgetExceeded, "Monthly budget exhausted: \(left.usd) USD remain",
                                      extra: ["remaining_usd": "\(left.usd)"])
                }
            }
            // The user must exist (checked above): the in-flight table has no foreign key.
            let insert = try RawStatement(db, """
                INSERT INTO llm_usage_inflight (id, user_id, model_id, model_name, provider, key_source, stream,
                    input_price_pico, output_price_pico, cached_input_price_pico, cache_write_price_pico,
                    reserved_pico, created_at, server_pid)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """)
            insert.bindAll([
                .text(id), .text(p.userId), .text(p.modelId), .text(p.modelName), .text(p.provider.rawValue),
                .text(p.keySource.rawValue), .bool(p.stream),
                .int(p.prices.input?.picodollarsPerToken), .int(p.prices.output?.picodollarsPerToken),
                .int(p.prices.cachedInput?.picodollarsPerToken), .int(p.prices.cacheWrite?.picodollarsPerToken),
                .int(p.reservation.picodollars), .int(Timestamp.ms(p.createdAt)), .int(Int64(p.serverPid)),
            ])
            try insert.run()
            return id
        }
    }

    /// In one transaction: creates the conversation when `conversationId` is nil (titled after
    /// the first user message, at most 80 characters) or checks that it belongs to the usage
    /// row's user (else `DomainError(.conversationNotFound)`); appends the request's messages
    /// and the assistant message (with its tokens and cost); settles the usage row (status,
    /// tokens, costs, latency, message and conversation ids, reservation released).
    /// Any failure leaves nothing written. Unknown or already settled usage row →
    /// `DomainError(.notFound)` / `DomainError(.conflict)`.
    public func settleChat(_ s: ChatSettlement) throws -> (conversationId: String, assistantMessageId: String?) {
        try writeTransaction(settleChatWork(s))
    }

    /// `settleChat` without waiting for the commit: the ids are made now and returned at once,
    /// the write joins the next group commit, and a chat's answer goes out without waiting for
    /// its record. Every later request of this process sees the record: the server waits for
    /// `writesSettled()` before it reads (and before it exits). `done` is called once the record
    /// is written, with nil, or with the error of the conversation part (the conversation was
    /// deleted meanwhile, the disk is full) after the usage row was settled alone (if that
    /// failed too, the row stays in flight and becomes 'interrupted' at the next start).
    public func settleChatDeferred(_ s: ChatSettlement, done: @escaping @Sendable ((any Error)?) -> Void)
        -> (conversationId: String, assistantMessageId: String?) {
        let conversationId = s.conversationId ?? newId()
        let assistantId = s.assistant == nil ? nil : newId()
        let work = settleChatWork(s, conversationId: conversationId, assistantId: assistantId)
        let usageOnly = settleUsageWork(id: s.usageId, UsageSettlement(
            status: s.status, errorType: s.errorType, upstreamStatus: s.upstreamStatus, usage: s.usage,
            usageEstimated: s.usageEstimated, cost: s.cost, latencyMs: s.latencyMs, completedAt: s.completedAt))
        writeCombiner.runDeferred(pool, { db in _ = try work(db) }) { [self] error in
            guard let error else { return done(nil) }
            // Until a record succeeds again, chats record before they answer (so a client sees
            // the storage error, e.g. a full disk, instead of ids that were never stored).
            deferredRecordsFailingFlag.store(true, ordering: .relaxed)
            writeCombiner.runDeferred(pool, usageOnly) { _ in done(StorageError.map(error, path: self.pool.path)) }
        }
        return (conversationId, assistantId)
    }

    /// Runs deferred records (`settleChatDeferred`) on `executor` (nil: the global executor).
    public func runDeferredWrites(on executor: (any TaskExecutor)?) {
        writeCombiner.deferredExecutor.withLock { $0 = executor }
    }

    /// Whether a deferred chat record failed and no record has succeeded since: callers then
    /// use `settleChat` (which waits) instead of `settleChatDeferred`.
    public var deferredRecordsFailing: Bool { deferredRecordsFailingFlag.load(ordering: .relaxed) }

    /// Waits until every deferred write this process started has been committed (or failed).
    public func writesSettled() async {
        await writeCombiner.settled()
    }

    /// `settleChat`, committed together with concurrent requests' writes (group commit).
    public func settleChat(_ s: ChatSettlement) async throws -> (conversationId: String, assistantMessageId: String?) {
        let ids = try await combinedWrite(settleChatWork(s))
        deferredRecordsFailingFlag.store(false, ordering: .relaxed)
        return ids
    }

    private func settleChatWork(_ s: ChatSettlement, conversationId: String? = nil, assistantId: String? = nil)
        -> @Sendable (Database) throws -> (conversationId: String, assistantMessageId: String?) {
        let newConversationId = s.conversationId == nil ? (conversationId ?? newId()) : nil
        let assistantId = s.assistant == nil ? nil : (assistantId ?? newId())
        let messageIds = s.messages.map { _ in newId() }
        return { db in
            let endMs = Timestamp.ms(s.completedAt)
            // Settled first (the ids are known): one statement checks, settles and names the owner.
            let owner = try self.settleRow(db, id: s.usageId, status: s.status, errorType: s.errorType,
                                      upstreamStatus: s.upstreamStatus, usage: s.usage, usageEstimated: s.usageEstimated,
                                      cost: s.cost, latencyMs: s.latencyMs, completedAt: endMs,
                                      conversationId: s.conversationId ?? newConversationId, messageId: assistantId)

            let conversationId: String
            var seq: Int64
            if let existing = s.conversationId {
                let check = try RawStatement(db, "SELECT 1 FROM conversations WHERE id = ? AND user_id = ?")
                check.bindAll([.text(existing), .text(owner.userId)])
                guard try check.step() else { throw DomainError(.conversationNotFound, "Conversation not found") }
                check.finish()
                conversationId = existing
                let next = try RawStatement(db, "SELECT COALESCE(MAX(seq) + 1, 0) FROM llm_messages WHERE conversation_id = ?")
                next.bind(1, existing)
                seq = try next.step() ? next.int64(0) : 0
                next.finish()
                let touch = try RawStatement(db, "UPDATE conversations SET updated_at = ? WHERE id = ?")
                touch.bindAll([.int(endMs), .text(existing)])
                try touch.run()
            } else {
                conversationId = newConversationId!
                seq = 0
                let insert = try RawStatement(db, """
                    INSERT INTO conversations (id, user_id, model_id, title, created_at, updated_at)
                    VALUES (?, ?, ?, ?, ?, ?)
                    """)
                insert.bindAll([.text(conversationId), .text(owner.userId), .text(owner.modelId),
                                .text(conversationTitle(s.messages)), .int(owner.createdAt), .int(endMs)])
                try insert.run()
            }

            for (message, id) in zip(s.messages, messageIds) {
                try self.insertMessage(db, id: id, conversationId: conversationId, seq: seq, message,
                                  tokens: nil, cost: nil, at: owner.createdAt)
                seq += 1
            }
            if let assistant = s.assistant, let assistantId {
                try self.insertMessage(db, id: assistantId, conversationId: conversationId, seq: seq, assistant,
                                  tokens: (s.usage.inputTokens, s.usage.outputTokens), cost: s.cost?.total, at: endMs)
            }
            return (conversationId, assistantId)
        }
    }

    /// Settles a usage row without messages (a failed request): status, error type,
    /// upstream status, tokens and costs if any; the reservation is released.
    /// Unknown or already settled row → `DomainError(.notFound)` / `DomainError(.conflict)`.
    public func settleUsage(id: String, _ s: UsageSettlement) throws {
        try writeTransaction(settleUsageWork(id: id, s))
    }

    /// `settleUsage`, committed together with concurrent requests' writes (group commit).
    public func settleUsage(id: String, _ s: UsageSettlement) async throws {
        try await combinedWrite(settleUsageWork(id: id, s))
    }

    private func settleUsageWork(id: String, _ s: UsageSettlement) -> @Sendable (Database) throws -> Void {
        { db in
            _ = try self.settleRow(db, id: id, status: s.status, errorType: s.errorType, upstreamStatus: s.upstreamStatus,
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
            // In-flight rows of dead processes (and stale ones) move into the log as 'interrupted'.
            func moveInflight(where condition: String, _ argument: Int64) throws {
                try db.cachedStatement(sql: """
                        INSERT INTO llm_usage_log (id, user_id, model_id, model_name, provider, key_source, stream, status,
                            input_price_pico, output_price_pico, cached_input_price_pico, cache_write_price_pico,
                            priced, reserved_pico, created_at, completed_at, server_pid)
                        SELECT id, user_id, model_id, model_name, provider, key_source, stream, 'interrupted',
                            input_price_pico, output_price_pico, cached_input_price_pico, cache_write_price_pico,
                            0, 0, created_at, ?, server_pid
                        FROM llm_usage_inflight WHERE \(condition)
                        """).execute(arguments: [now, argument])
                count += db.changesCount
                try db.cachedStatement(sql: "DELETE FROM llm_usage_inflight WHERE \(condition)").execute(arguments: [argument])
            }
            let inflightPids = try Int32.fetchAll(db.cachedStatement(sql: "SELECT DISTINCT server_pid FROM llm_usage_inflight"))
            for pid in inflightPids where !isAlive(pid) { try moveInflight(where: "server_pid = ?", Int64(pid)) }
            if let staleBefore { try moveInflight(where: "created_at < ?", Timestamp.ms(staleBefore)) }
            // 'pending' rows in the log itself (written by earlier versions).
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
    /// A zombie (killed, not yet reaped by its parent) counts as dead: it runs no request.
    public static func isOtherProcessAlive(_ pid: Int32) -> Bool {
        if pid == ownProcessID || pid <= 0 { return false }
        guard kill(pid, 0) == 0 || errno != ESRCH else { return false }
        #if os(Linux)
        // /proc/<pid>/stat: "pid (comm) S ..."; the state follows the last ')'.
        if let stat = readSmallFile("/proc/\(pid)/stat"),
           let close = stat.lastIndex(of: ")"),
           let state = stat[stat.index(after: close)...].first(where: { $0 != " " }) {
            return state != "Z" && state != "X"
        }
        #endif
        return true
    }

    /// The text of a small file (a /proc entry), or nil.
    private static func readSmallFile(_ path: String) -> String? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { Glibc.close(fd) }
        var buffer = [UInt8](repeating: 0, count: 4096)
        let n = buffer.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
        guard n > 0 else { return nil }
        return String(decoding: buffer[..<n], as: UTF8.self)
    }

    /// The usage row with this id, or nil.
    public func usage(id: String) throws -> UsageRow? {
        try read { db in
            if let row = try Row.fetchOne(db.cachedStatement(sql: "SELECT * FROM llm_usage_log WHERE id = ?"), arguments: [id]) {
                return try UsageRow(row: row)
            }
            // A request in flight: its row as the log will show it while it is 'pending'.
            return try Row.fetchOne(db.cachedStatement(sql: """
                SELECT id, user_id, model_id, model_name, provider, NULL AS conversation_id, NULL AS message_id,
                    key_source, stream, 'pending' AS status, NULL AS error_type, NULL AS upstream_status,
                    0 AS input_tokens, 0 AS output_tokens, 0 AS cache_read_input_tokens,
                    0 AS cache_creation_input_tokens, 0 AS reasoning_tokens, 0 AS usage_estimated,
                    input_price_pico, output_price_pico, cached_input_price_pico, cache_write_price_pico,
                    NULL AS input_cost_pico, NULL AS output_cost_pico, NULL AS total_cost_pico, 0 AS priced,
                    reserved_pico, NULL AS latency_ms, created_at, NULL AS completed_at, server_pid
                FROM llm_usage_inflight WHERE id = ?
                """), arguments: [id]).map(UsageRow.init(row:))
        }
    }

    // MARK: - Helpers

    struct UsageOwner {
        var userId: String
        var modelId: String
        var createdAt: Int64
    }

    /// Settles a row that is not settled yet ('pending', or 'interrupted' by a process that
    /// wrongly thought its owner dead) and returns its owner; the reservation is released.
    /// Unknown row → `DomainError(.notFound)`; settled → `DomainError(.conflict)`.
    private func settleRow(_ db: Database, id: String, status: UsageStatus, errorType: String?, upstreamStatus: Int?,
                           usage: Usage, usageEstimated: Bool, cost: UsageCost?, latencyMs: Int?, completedAt: Int64,
                           conversationId: String?, messageId: String?) throws -> UsageOwner {
        guard status != .pending else {
            throw DomainError(.badRequest, "A usage record cannot be settled as pending")
        }
        // A request in flight: its row moves into the log with its final numbers.
        // (SELECT then DELETE: a RETURNING clause makes SQLite build an ephemeral table.)
        let take = try RawStatement(db, """
            SELECT user_id, model_id, model_name, provider, key_source, stream, input_price_pico, output_price_pico,
                cached_input_price_pico, cache_write_price_pico, created_at, server_pid
            FROM llm_usage_inflight WHERE id = ?
            """)
        take.bind(1, id)
        if try take.step() {
            let owner = UsageOwner(userId: take.text(0) ?? "", modelId: take.text(1) ?? "", createdAt: take.int64(10))
            var moved: [RawValue] = [.text(id), .text(owner.userId), .text(owner.modelId), .text(take.text(2)),
                                     .text(take.text(3)), .text(take.text(4)), .int(take.int64(5))]
            for column in Int32(6)...9 { moved.append(.int(take.isNull(column) ? nil : take.int64(column))) }
            moved += [.int(owner.createdAt), .int(take.int64(11))]
            take.finish()
            let delete = try RawStatement(db, "DELETE FROM llm_usage_inflight WHERE id = ?")
            delete.bind(1, id)
            try delete.run()
            let insert = try RawStatement(db, """
                INSERT INTO llm_usage_log (id, user_id, model_id, model_name, provider, key_source, stream,
                    input_price_pico, output_price_pico, cached_input_price_pico, cache_write_price_pico,
                    created_at, server_pid, status, error_type, upstream_status,
                    input_tokens, output_tokens, cache_read_input_tokens, cache_creation_input_tokens,
                    reasoning_tokens, usage_estimated, input_cost_pico, output_cost_pico, total_cost_pico, priced,
                    reserved_pico, latency_ms, completed_at, conversation_id, message_id)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, ?, ?, ?, ?)
                """)
            insert.bindAll(moved + [
                .text(status.rawValue), .text(errorType), .int(upstreamStatus),
                .int(usage.inputTokens), .int(usage.outputTokens), .int(usage.cacheReadInputTokens),
                .int(usage.cacheCreationInputTokens), .int(usage.reasoningTokens), .bool(usageEstimated),
                .int(cost?.input.picodollars), .int(cost?.output.picodollars), .int(cost?.total.picodollars),
                .bool(cost != nil), .int(latencyMs), .int(completedAt), .text(conversationId), .text(messageId),
            ])
            try insert.run()
            return owner
        }
        take.finish()
        // A row already in the log: 'pending' (earlier versions) or 'interrupted' by a process
        // that wrongly thought its owner dead.
        let update = try RawStatement(db, """
            UPDATE llm_usage_log SET status = ?, error_type = ?, upstream_status = ?,
                input_tokens = ?, output_tokens = ?, cache_read_input_tokens = ?, cache_creation_input_tokens = ?,
                reasoning_tokens = ?, usage_estimated = ?,
                input_cost_pico = ?, output_cost_pico = ?, total_cost_pico = ?, priced = ?, reserved_pico = 0,
                latency_ms = ?, completed_at = ?, conversation_id = COALESCE(?, conversation_id),
                message_id = COALESCE(?, message_id)
            WHERE id = ? AND status IN ('pending', 'interrupted')
            RETURNING user_id, model_id, created_at
            """)
        update.bindAll([
            .text(status.rawValue), .text(errorType), .int(upstreamStatus),
            .int(usage.inputTokens), .int(usage.outputTokens), .int(usage.cacheReadInputTokens),
            .int(usage.cacheCreationInputTokens), .int(usage.reasoningTokens), .bool(usageEstimated),
            .int(cost?.input.picodollars), .int(cost?.output.picodollars), .int(cost?.total.picodollars),
            .bool(cost != nil), .int(latencyMs), .int(completedAt), .text(conversationId), .text(messageId), .text(id),
        ])
        guard try update.step() else {
            let existing = try RawStatement(db, "SELECT status FROM llm_usage_log WHERE id = ?")
            existing.bind(1, id)
            guard try existing.step(), let current = existing.text(0) else {
                throw DomainError(.notFound, "Usage record \(id) not found")
            }
            existing.finish()
            throw DomainError(.conflict, "Usage record \(id) is already settled (\(current))")
        }
        let owner = UsageOwner(userId: update.text(0) ?? "", modelId: update.text(1) ?? "", createdAt: update.int64(2))
        try update.run()
        return owner
    }

    private func insertMessage(_ db: Database, id: String, conversationId: String, seq: Int64, _ m: ChatMessage,
                               tokens: (input: Int, output: Int)?, cost: Money?, at: Int64) throws {
        let insert = try RawStatement(db, """
            INSERT INTO llm_messages (id, conversation_id, seq, role, content, tool_calls_json, tool_call_id,
                input_tokens, output_tokens, cost_pico, created_at)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """)
        insert.bindAll([.text(id), .text(conversationId), .int(seq), .text(m.role.rawValue), .text(m.content),
                        .text(MessageRecord.toolCallsJSON(m.toolCalls)), .text(m.toolCallId),
                        .int(tokens?.input), .int(tokens?.output), .int(cost?.picodollars), .int(at)])
        try insert.run()
    }
}

/// A conversation's title: the first user message with its white space collapsed, at most
/// 80 characters ("New conversation" when there is no user text).
///
/// Reads only as far as the title needs (splitting and joining a whole long prompt was a tenth
/// of a logged request's cost).
func conversationTitle(_ messages: [ChatMessage]) -> String {
    let text = messages.first { $0.role == .user }?.content ?? ""
    if let ascii = asciiTitle(text) { return ascii.isEmpty ? "New conversation" : ascii }
    var title = ""
    var count = 0
    var spaceBefore = false
    for ch in text {
        if ch.isWhitespace || ch.isNewline {
            spaceBefore = count > 0
            continue
        }
        if spaceBefore {
            title.append(" ")
            count += 1
            spaceBefore = false
            if count == 80 { break }
        }
        title.append(ch)
        count += 1
        if count == 80 { break }
    }
    return title.isEmpty ? "New conversation" : title
}

/// `conversationTitle` for text whose title is plain ASCII, byte by byte (no grapheme breaking
/// or Unicode property lookups); nil when a non-ASCII byte is met before the title is complete
/// or right after it (it could extend the last character).
private func asciiTitle(_ text: String) -> String? {
    var text = text
    return text.withUTF8 { utf8 -> String? in
        var out = [UInt8]()
        out.reserveCapacity(min(utf8.count, 80))
        var spaceBefore = false
        for c in utf8 {
            if c >= 0x80 { return nil }
            if out.count == 80 { break }
            if c == 0x20 || (c >= 0x09 && c <= 0x0D) {
                spaceBefore = !out.isEmpty
                continue
            }
            if spaceBefore {
                out.append(0x20)
                spaceBefore = false
                if out.count == 80 { continue }
            }
            out.append(c)
        }
        return String(decoding: out, as: UTF8.self)
    }
}
