import FakeProvider
import Foundation
import LLMJSON
import LLMTestSupport
import Testing

/// The upstream call and the in-flight usage row (`ChatService.startsBeforeInFlightRow`): for a
/// user without a monthly budget the call goes out first and the row is written while the
/// provider works, but nothing reaches the client before the row is in; settings that change
/// in between are applied. (With a budget the row, the reservation, comes first: the budget
/// test in `UsageTests` checks that a refused request never reaches the provider.)
@Suite("The upstream call and the in-flight row", .timeLimit(.minutes(5)))
struct InFlightOrderTests {
    /// Another process holding the database's write lock (`BEGIN IMMEDIATE`) until `release`,
    /// which runs `sql` in that transaction first.
    final class Locker: Sendable {
        let process: ChildProcess
        let out: LineClient

        init(database: String) async throws {
            let o = try ChildProcess.pipe(), i = try ChildProcess.pipe()
            out = LineClient(readFD: o.read, writeFD: i.write)
            process = try ChildProcess(command: "python3", arguments: ["-c", """
                import sqlite3, sys
                c = sqlite3.connect(sys.argv[1], isolation_level=None, timeout=30)
                c.execute('BEGIN IMMEDIATE')
                print('locked', flush=True)
                sql = sys.stdin.readline()
                if sql.strip():
                    c.execute(sql)
                c.execute('COMMIT')
                """, database], environment: ProcessInfo.processInfo.environment, stdin: .fd(i.read), stdout: .fd(o.write))
            _ = try await out.waitFor { $0.stringValue?.contains("locked") == true || $0 == .string("UNPARSEABLE: locked") }
        }

        func release(running sql: String = "") async {
            out.sendRaw(sql + "\n")
            _ = await process.waitForExit()
        }
    }

    static func database(_ h: ChatHarness) -> String { h.server.dataDir + "/llmrpc.sqlite3" }

    /// A harness whose server has made one chat since the last settings change, so that its
    /// cached settings are known current (the first chat after a change finds them stale and
    /// writes its row before the call).
    static func start() async throws -> ChatHarness {
        let h = try await ChatHarness.start()
        let r = try await h.admin.result("llm/chat/completions", h.chatParams("claude-test"))
        #expect(r["message"]?["content"] == "Hello there!")
        return h
    }

    @Test("without a budget the call goes out while the in-flight row waits for the lock; no chunk before the row")
    func callBeforeRow() async throws {
        let h = try await Self.start()
        let gate = FakeGate()
        h.fake.enqueue(.held(chunks: ["one", " two"], usage: FakeUsage(input: 11, output: 2, cacheRead: 0, cacheWrite: 0, reasoning: 0),
                             gate: gate, afterChunks: 1), for: .anthropic)
        let locker = try await Locker(database: Self.database(h))
        h.admin.send(["jsonrpc": "2.0", "id": "s1", "method": "llm/chat/completions/stream", "params": h.chatParams("claude-test")])
        // The provider has the request while no row can have been written (the lock is held).
        await h.fake.waitForRequests(count: 2)
        await locker.release()
        let chunk = try await h.admin.waitFor { $0["method"] == "llm/chat/completions/chunk" }
        #expect(chunk["params"]?["delta"]?["content"] == "one")
        // The chunk came after the row: its reservation is held while the stream is open.
        let during = try await h.admin.result("users/me")
        #expect((during["reserved_usd"]?.decimal ?? 0) > 0, "\(during)")
        gate.open()
        let r = try await h.admin.response(id: "s1")
        #expect(r["result"]?["message"]?["content"] == "one two")
        // 11 × $3/M + 2 × $15/M
        #expect(r["result"]?["cost"]?["total_cost"]?.decimal == Decimal("0.000063"))
        let after = try await h.admin.result("users/me")
        #expect(after["reserved_usd"]?.decimal == 0)
        #expect(h.fake.requests.count == 2)
        await h.shutdown()
    }

    /// A plain chat made while another process holds the write lock; once the provider has the
    /// call (started before the row), `change` runs in that process's transaction and commits.
    /// Returns the chat's response and the requests made upstream, and what was recorded.
    static func chatAcrossChange(_ change: String) async throws -> (response: JSONValue, upstream: Int, recorded: JSONValue?) {
        let h = try await Self.start()
        let locker = try await Locker(database: Self.database(h))
        h.admin.send(["jsonrpc": "2.0", "id": "p1", "method": "llm/chat/completions", "params": h.chatParams("claude-test")])
        await h.fake.waitForRequests(count: 2)
        await locker.release(running: change)
        let r = try await h.admin.response(id: "p1")
        let usage = try await h.admin.result("billing/usage/myUsage", ["days": 1])
        let upstream = h.fake.requests.count
        await h.shutdown()
        return (r, upstream, usage["total_requests"])
    }

    @Test("settings changed before the row is written: the same request goes on, once")
    func unrelatedChangeKeepsTheCall() async throws {
        // Another model's price: the settings generation moves, this request stays the same.
        let (r, upstream, recorded) = try await Self.chatAcrossChange(
            "UPDATE llm_models SET input_price_pico = input_price_pico + 1 WHERE model_name = 'gpt-test'")
        #expect(r["result"]?["message"]?["content"] == "Hello there!", "\(r)")
        #expect(upstream == 2)  // the warm-up's and this one
        #expect(recorded == 2)
    }

    @Test("settings changed before the row is written so that the request no longer holds: the call is given up")
    func relevantChangeCancelsTheCall() async throws {
        // The user's Anthropic key is deleted (and there is no system key): no call may go on.
        let (r, upstream, recorded) = try await Self.chatAcrossChange("DELETE FROM user_api_keys WHERE provider = 'anthropic'")
        #expect(r["error"]?["code"] == 400, "\(r)")
        #expect(r["error"]?["data"]?["type"] == "missing_api_key")
        #expect(upstream == 2)
        #expect(recorded == 1)  // the warm-up's only: nothing for a request refused before its row
    }
}
