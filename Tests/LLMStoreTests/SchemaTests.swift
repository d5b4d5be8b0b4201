import Foundation
import LLMDomain
import Testing
@testable import LLMStore

@Suite struct SchemaTests {
    @Test func migratesAFreshFileWithWALForeignKeysAndBusyTimeout() throws {
        let path = NSTemporaryDirectory() + "llmrpc-schema-\(UUID().uuidString).sqlite3"
        defer { for s in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + s) } }
        let db = try AppDatabase(path: path)
        try db.healthCheck()
        try db.pool.read { conn in
            #expect(try String.fetchOne(conn, sql: "PRAGMA journal_mode") == "wal")
            #expect(try Int.fetchOne(conn, sql: "PRAGMA foreign_keys") == 1)
            #expect(conn.busyWait?.timeoutMs == 10000)  // GRDB's for pool readers
            let tables = try String.fetchAll(conn, sql: """
                SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE 'grdb_%'
                ORDER BY name
                """)
            #expect(tables == ["conversations", "llm_messages", "llm_models", "llm_usage_inflight", "llm_usage_log", "login_failures",
                               "settings_generation", "system_api_keys", "usage_month_totals", "user_api_keys", "users"])
            let indexes = try String.fetchAll(conn, sql: """
                SELECT name FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL ORDER BY name
                """)
            #expect(indexes == ["conversations_user_updated", "llm_models_name", "llm_usage_log_pending",
                                "llm_usage_log_user_created", "login_failures_username_at"])
            #expect(try String.fetchAll(conn, sql: "SELECT identifier FROM grdb_migrations") == ["v1", "v2-settings-generation", "v3-usage-inflight", "v4-checks-without-in-lists",
                                                                                                        "v5-usage-month-totals", "v6-fewer-indexes-per-chat"])
        }
        let writerSettings = try db.pool.write { conn in
            [conn.busyWait?.timeoutMs, try Int.fetchOne(conn, sql: "PRAGMA foreign_keys")]
        }
        #expect(writerSettings == [5000, 1])
    }

    @Test func reopeningAnExistingFileKeepsItsData() throws {
        let path = NSTemporaryDirectory() + "llmrpc-reopen-\(UUID().uuidString).sqlite3"
        defer { for s in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + s) } }
        let id = try AppDatabase(path: path).createUser(email: "a@b.c", fullName: "A", passwordHash: "h",
                                                        isSuperuser: true).id
        let again = try AppDatabase(path: path)
        #expect(try again.user(id: id)?.email == "a@b.c")
        #expect(try again.user(id: id)?.isSuperuser == true)
    }

    @Test func aPathInAMissingDirectoryIsAStorageError() {
        #expect {
            _ = try AppDatabase(path: "/nonexistent-dir-\(UUID().uuidString)/db.sqlite3")
        } throws: { ($0 as? DomainError)?.kind == .storage }
    }

    @Test func temporaryDatabaseFileIsDeletedWhenReleased() throws {
        var db: AppDatabase? = try AppDatabase.makeTemporary()
        let path = db!.path
        #expect(FileManager.default.fileExists(atPath: path))
        db = nil
        #expect(!FileManager.default.fileExists(atPath: path))
        #expect(!FileManager.default.fileExists(atPath: path + "-wal"))
    }

    @Test func dayStringsAndMonthBoundsAreExactUTC() {
        #expect(Timestamp.dayString(0) == "1970-01-01")
        #expect(Timestamp.dayString(Timestamp.ms(Fixture.date("2026-11-28T00:00:00.000Z")) / Timestamp.msPerDay)
                == "2026-11-28")
        #expect(Timestamp.dayString(Timestamp.ms(Fixture.date("2024-02-29T23:59:59.999Z")) / Timestamp.msPerDay)
                == "2024-02-29")
        let (start, end) = Timestamp.monthBounds(Fixture.date("2026-12-31T23:59:59.999Z"))
        #expect(start == Timestamp.ms(Fixture.date("2026-12-01T00:00:00.000Z")))
        #expect(end == Timestamp.ms(Fixture.date("2027-01-01T00:00:00.000Z")))
    }
}

/// A file migrated up to `version`, `rows` written into it as the code of that time would,
/// then opened (so migrated the rest of the way) by today's `AppDatabase`.
private func reopenedAfter(_ version: String, path: String, _ rows: (Database) throws -> Void) throws -> AppDatabase {
    do {
        let old = try DatabasePool(path: path)
        try AppDatabase.migrator.migrate(old, upTo: version)
        try old.write(rows)
        try old.close()
    }
    return try AppDatabase(path: path)
}

@Suite struct CheckRebuildMigrationTests {
    @Test func rowsWrittenBeforeTheRebuildAreKeptAndInsertsBuildNoEphemeralTable() throws {
        let path = NSTemporaryDirectory() + "llmrpc-v4-\(UUID().uuidString).sqlite3"
        defer { for s in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + s) } }
        let db = try reopenedAfter("v3-usage-inflight", path: path) { db in
            try db.execute(sql: """
                INSERT INTO users (id, email, password_hash, created_at, updated_at) VALUES ('u1', 'a@b.c', 'h', 1, 1);
                INSERT INTO conversations (id, user_id, model_id, title, created_at, updated_at) VALUES ('c1', 'u1', 'm1', 't', 1, 1);
                INSERT INTO llm_messages (id, conversation_id, seq, role, content, created_at) VALUES ('m1', 'c1', 0, 'user', 'hi', 1);
                INSERT INTO llm_usage_log (id, user_id, model_id, model_name, provider, key_source, stream, status,
                    input_tokens, total_cost_pico, priced, created_at, server_pid)
                VALUES ('l1', 'u1', 'm1', 'gpt', 'openai', 'user', 0, 'completed', 7, 42, 1, 1, 1);
                """)
        }
        try db.pool.read { conn in
            #expect(try String.fetchAll(conn, sql: "SELECT content FROM llm_messages") == ["hi"])
            #expect(try Int.fetchOne(conn, sql: "SELECT total_cost_pico FROM llm_usage_log WHERE id = 'l1'") == 42)
            let indexes = try String.fetchAll(conn, sql: """
                SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name IN ('llm_usage_log', 'llm_messages') ORDER BY name
                """)
            // (As migrated to the end: v6 dropped `llm_usage_log_created` and the messages' id index.)
            #expect(indexes == ["llm_usage_log_pending", "llm_usage_log_user_created",
                                "sqlite_autoindex_llm_messages_1", "sqlite_autoindex_llm_usage_log_1"])
            #expect(try Int.fetchOne(conn, sql: "PRAGMA foreign_key_check") == nil)
            for sql in ["INSERT INTO llm_messages VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                        "INSERT INTO llm_usage_inflight (id, user_id, model_id, model_name, provider, key_source, stream, reserved_pico, created_at, server_pid) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                        "INSERT INTO llm_usage_log (id, user_id, model_id, model_name, provider, key_source, stream, status, priced, created_at, server_pid) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"] {
                let ops = try Row.fetchAll(conn, sql: "EXPLAIN \(sql)",
                                           arguments: StatementArguments(Array(repeating: nil as String?, count: sql.filter { $0 == "?" }.count)))
                    .map { $0["opcode"] as String }
                #expect(!ops.contains("OpenEphemeral"), "\(sql)")
            }
        }
        // The constraints still hold.
        #expect(throws: (any Error).self) {
            try db.pool.write { try $0.execute(sql: "INSERT INTO llm_messages (id, conversation_id, seq, role, content, created_at) VALUES ('m2', 'c1', 1, 'robot', 'x', 1)") }
        }
        #expect(throws: (any Error).self) {
            try db.pool.write { try $0.execute(sql: """
                INSERT INTO llm_usage_log (id, user_id, model_id, model_name, provider, key_source, stream, status, priced, created_at, server_pid)
                VALUES ('l2', 'u1', 'm1', 'x', 'openai', 'user', 0, 'lost', 0, 1, 1)
                """) }
        }
    }

    /// Migration v5: each user's spend per UTC month, filled from the rows already there and
    /// kept exact by triggers through inserts, corrections and deletes (budgets read it).
    @Test func monthTotalsAreBackfilledAndKeptExactByTriggers() throws {
        let path = NSTemporaryDirectory() + "llmrpc-v5-\(UUID().uuidString).sqlite3"
        defer { for s in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + s) } }
        let (oct, nov, dec): (Int64, Int64, Int64) = (1_790_812_800_000, 1_793_491_200_000, 1_796_083_200_000)
        func insert(_ db: Database, _ id: String, _ user: String, _ cost: Int64?, at ms: Int64) throws {
            try db.execute(sql: """
                INSERT INTO llm_usage_log (id, user_id, model_id, model_name, provider, key_source, stream, status,
                    total_cost_pico, priced, created_at, server_pid)
                VALUES (?, ?, 'm1', 'gpt', 'openai', 'user', 0, 'completed', ?, ?, ?, 1)
                """, arguments: [id, user, cost, cost == nil ? 0 : 1, ms])
        }
        let db = try reopenedAfter("v4-checks-without-in-lists", path: path) { db in
            try db.execute(sql: """
                INSERT INTO users (id, email, password_hash, created_at, updated_at) VALUES ('u1', 'a@b.c', 'h', 1, 1);
                INSERT INTO users (id, email, password_hash, created_at, updated_at) VALUES ('u2', 'd@e.f', 'h', 1, 1);
                """)
            try insert(db, "l1", "u1", 5, at: dec - 1)            // the last millisecond of November
            try insert(db, "l2", "u1", 7, at: dec)                // the first of December
            try insert(db, "l3", "u1", nil, at: nov)              // unpriced: counts nothing
            try insert(db, "l4", "u1", 3, at: nov)
            try insert(db, "l5", "u2", 11, at: nov + 86_400_000)
            try insert(db, "l6", "u1", 2, at: nov - 1)            // October
        }
        func totals() throws -> [String] {
            try db.pool.read { try String.fetchAll($0, sql: """
                SELECT user_id || ' ' || month_start || ' ' || spent_pico FROM usage_month_totals
                WHERE spent_pico <> 0 ORDER BY user_id, month_start
                """) }
        }
        /// The same figures summed from the usage rows.
        func recomputed() throws -> [String] {
            let rows = try db.pool.read { try Row.fetchAll($0, sql: "SELECT user_id, created_at, total_cost_pico FROM llm_usage_log") }
            var sums: [String: Int64] = [:]
            for r in rows {
                guard let cost = r["total_cost_pico"] as Int64? else { continue }
                let start = Timestamp.monthBounds(Timestamp.date(r["created_at"])).start
                sums["\(r["user_id"] as String) \(start)", default: 0] += cost
            }
            return sums.filter { $0.value != 0 }.map { "\($0.key) \($0.value)" }.sorted()
        }
        #expect(try totals() == ["u1 \(oct) 2", "u1 \(nov) 8", "u1 \(dec) 7", "u2 \(nov) 11"])
        #expect(try totals() == recomputed())

        let changes = [
            "UPDATE llm_usage_log SET total_cost_pico = 40 WHERE id = 'l3'",               // priced later
            "UPDATE llm_usage_log SET total_cost_pico = NULL WHERE id = 'l4'",             // unpriced again
            "UPDATE llm_usage_log SET created_at = \(dec + 5) WHERE id = 'l1'",            // into December
            "UPDATE llm_usage_log SET user_id = 'u2' WHERE id = 'l2'",                     // another user
            "UPDATE llm_usage_log SET status = 'failed' WHERE id = 'l5'",                  // no money moves
            "DELETE FROM llm_usage_log WHERE id = 'l6'",
        ]
        for sql in changes {
            try db.pool.write { try $0.execute(sql: sql) }
            #expect(try totals() == recomputed(), "\(sql)")
        }
        try db.pool.write { try insert($0, "l7", "u1", 1_000_000_000_000, at: dec + 1) }
        #expect(try totals() == ["u1 \(nov) 40", "u1 \(dec) 1000000000005", "u2 \(nov) 11", "u2 \(dec) 7"])
        #expect(try totals() == recomputed())
        let (spent, _) = try db.monthSpend(userId: "u1", now: Timestamp.date(dec + 86_400_000))
        #expect(spent.picodollars == 1_000_000_000_005)
        #expect(try db.monthSpend(userId: "u2", now: Timestamp.date(oct)).spent.picodollars == 0)
    }

    /// Migration v6: the messages table rebuilt without its id index and the time-ordered usage
    /// index dropped; rows, ids and order kept, constraints still hold, and the all-users report
    /// reads the per-user covering index.
    @Test func messagesAndUsageKeptWithoutTheDroppedIndexes() throws {
        let path = NSTemporaryDirectory() + "llmrpc-v6-\(UUID().uuidString).sqlite3"
        defer { for s in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + s) } }
        let db = try reopenedAfter("v5-usage-month-totals", path: path) { db in
            try db.execute(sql: """
                INSERT INTO users (id, email, password_hash, created_at, updated_at) VALUES ('u1', 'a@b.c', 'h', 1, 1);
                INSERT INTO users (id, email, password_hash, created_at, updated_at) VALUES ('u2', 'd@e.f', 'h', 1, 1);
                INSERT INTO conversations (id, user_id, model_id, title, created_at, updated_at) VALUES ('c1', 'u1', 'm1', 't', 1, 1);
                INSERT INTO conversations (id, user_id, model_id, title, created_at, updated_at) VALUES ('c2', 'u2', 'm1', 't', 1, 1);
                INSERT INTO llm_messages (id, conversation_id, seq, role, content, created_at) VALUES ('m-a', 'c1', 0, 'user', 'hi', 1);
                INSERT INTO llm_messages (id, conversation_id, seq, role, content, created_at) VALUES ('m-b', 'c2', 0, 'user', 'yo', 1);
                INSERT INTO llm_messages (id, conversation_id, seq, role, content, tool_calls_json, input_tokens, output_tokens,
                    cost_pico, created_at) VALUES ('m-c', 'c1', 1, 'assistant', 'hello', '[]', 3, 4, 99, 2);
                INSERT INTO llm_usage_log (id, user_id, model_id, model_name, provider, key_source, stream, status,
                    input_tokens, output_tokens, total_cost_pico, priced, created_at, server_pid)
                VALUES ('l1', 'u1', 'm1', 'gpt', 'openai', 'user', 0, 'completed', 3, 4, 99, 1, 86400000, 1),
                       ('l2', 'u2', 'm1', 'gpt', 'openai', 'user', 1, 'cancelled', 5, 1, 7, 1, 86400001, 1),
                       ('l3', 'u2', 'm1', 'gpt', 'openai', 'user', 0, 'completed', 9, 9, 9, 1, 3 * 86400000, 1);
                INSERT INTO llm_usage_inflight (id, user_id, model_id, model_name, provider, key_source, stream,
                    reserved_pico, created_at, server_pid) VALUES ('i1', 'u1', 'm1', 'gpt', 'openai', 'user', 0, 0, 86400002, 1);
                """)
        }
        try db.pool.read { conn in
            #expect(try String.fetchAll(conn, sql: """
                SELECT id || ' ' || conversation_id || ' ' || seq || ' ' || role || ' ' || content || ' ' ||
                       COALESCE(tool_calls_json, '-') || ' ' || COALESCE(cost_pico, '-') FROM llm_messages ORDER BY rowid
                """) == ["m-a c1 0 user hi - -", "m-b c2 0 user yo - -", "m-c c1 1 assistant hello [] 99"])
            #expect(try String.fetchAll(conn, sql: """
                SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name IN ('llm_usage_log', 'llm_messages') ORDER BY name
                """) == ["llm_usage_log_pending", "llm_usage_log_user_created", "sqlite_autoindex_llm_messages_1",
                         "sqlite_autoindex_llm_usage_log_1"])
            #expect(try Int.fetchOne(conn, sql: "PRAGMA foreign_key_check") == nil)
            // Every user's report searches the per-user covering index, user by user, in both arms.
            let plan = try Row.fetchAll(conn, sql: "EXPLAIN QUERY PLAN " + AppDatabase.reportSQL(groupedBy: "user_id", allUsers: true),
                                        arguments: [0, 1, 0, 1]).map { $0["detail"] as String }
            #expect(plan.contains { $0.hasPrefix("SEARCH llm_usage_log USING COVERING INDEX llm_usage_log_user_created (user_id=? AND created_at>? AND created_at<?)") },
                    "\(plan)")
            #expect(!plan.contains { $0.hasPrefix("SCAN llm_usage_log") }, "\(plan)")
        }
        // The first of the two days in the window: l1, l2 and i1 (pending); l3 is after it.
        let report = try db.usageReport(userId: nil, from: Timestamp.date(86_400_000), to: Timestamp.date(2 * 86_400_000 - 1))
        #expect(report.totals.requests == 3 && report.totals.inputTokens == 8 && report.totals.outputTokens == 5)
        #expect(report.totals.totalCost.picodollars == 106)
        #expect(report.byUser?.map { "\($0.userId) \($0.email ?? "-") \($0.totals.requests) \($0.totals.totalCost.picodollars)" }
                == ["u1 a@b.c 2 99", "u2 d@e.f 1 7"])
        #expect(report.byStatus == [.completed: 1, .cancelled: 1, .pending: 1])
        // Still one message per seq of a conversation, still no unknown role, still cascaded.
        #expect(throws: (any Error).self) {
            try db.pool.write { try $0.execute(sql: "INSERT INTO llm_messages (id, conversation_id, seq, role, content, created_at) VALUES ('m-d', 'c1', 1, 'user', 'x', 1)") }
        }
        #expect(throws: (any Error).self) {
            try db.pool.write { try $0.execute(sql: "INSERT INTO llm_messages (id, conversation_id, seq, role, content, created_at) VALUES ('m-d', 'c1', 2, 'robot', 'x', 1)") }
        }
        try db.pool.write { try $0.execute(sql: "DELETE FROM conversations WHERE id = 'c1'") }
        #expect(try db.pool.read { try String.fetchAll($0, sql: "SELECT id FROM llm_messages") } == ["m-b"])
    }
}
