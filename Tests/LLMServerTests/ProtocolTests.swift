import Foundation
import LLMJSON
import LLMTestSupport
import Testing

/// PROTOCOL.md §1 and §4 over a real `llmrpc serve` subprocess on stdio: the JSON-RPC 2.0
/// specification's examples adapted to real methods, framing limits, bad input of every kind.
@Suite("JSON-RPC over stdio", .timeLimit(.minutes(5)))
struct ProtocolTests {
    @Test("a request is answered with its id echoed exactly, string or number")
    func idEcho() async throws {
        let s = try ServerProcess()
        let a = try await s.rpc.call("server/health", nil, id: 7)
        #expect(a["result"]?["status"] == "ok")
        #expect(a["result"]?["database"] == "ok")
        let b = try await s.rpc.call("server/health", nil, id: "abc-1")
        #expect(b["id"] == "abc-1")
        let c = try await s.rpc.call("server/health", nil, id: .number(JSONNumber(literal: "12345678901234567890")))
        #expect(c["id"]?.numberValue?.text == "12345678901234567890")
        s.closeInput()
        #expect(await s.waitForExit() == 0)
    }

    @Test("parse error, invalid request, unknown method, params by position")
    func specErrors() async throws {
        let s = try ServerProcess()
        s.rpc.sendRaw("{\"jsonrpc\": \"2.0\", \"method\": \"foobar, \"params\": \"bar\", \"baz]\n")
        let parse = try await s.rpc.waitFor { $0["error"]?["code"] == -32700 }
        #expect(parse["id"] == .null)
        #expect(parse["error"]?["data"]?["type"] == "parse_error")
        #expect(parse["error"]?["data"]?["retryable"] == false)

        s.rpc.sendRaw("{\"jsonrpc\": \"2.0\", \"method\": 1, \"params\": \"bar\"}\n")
        let inv = try await s.rpc.waitFor { $0["error"]?["code"] == -32600 }
        #expect(inv["id"] == .null)
        #expect(inv["error"]?["data"]?["type"] == "invalid_request")

        s.rpc.sendRaw("{\"jsonrpc\":\"2.0\",\"id\":9}\n")
        let nine = try await s.rpc.response(id: 9)
        #expect(nine["error"]?["code"] == -32600)

        let unknown = try await s.rpc.call("foobar", nil, id: "1")
        #expect(unknown["error"]?["code"] == -32601)
        #expect(unknown["error"]?["data"]?["type"] == "method_not_found")

        let positional = try await s.rpc.call("login/accessToken", ["a@b.c", "x"], id: 3)
        #expect(positional["error"]?["code"] == -32602)
        #expect(positional["error"]?["data"]?["field"] == "params")

        let wrongVersion = try await s.rpc.call("server/health", nil, id: 4)
        #expect(wrongVersion["result"] != nil)
        s.rpc.sendRaw("{\"jsonrpc\":\"1.0\",\"id\":5,\"method\":\"server/health\"}\n")
        let v1 = try await s.rpc.response(id: 5)
        #expect(v1["error"]?["code"] == -32600)
    }

    @Test("wrong param types give -32602 naming the field")
    func wrongTypes() async throws {
        let s = try ServerProcess()
        let r = try await s.rpc.call("login/accessToken", ["username": 5, "password": "x"])
        #expect(r["error"]?["code"] == -32602)
        #expect(r["error"]?["data"]?["field"] == "username")
        #expect(r["error"]?["data"]?["type"] == "invalid_params")
        let m = try await s.rpc.call("login/accessToken", ["username": "a@b.c"])
        #expect(m["error"]?["data"]?["field"] == "password")
        _ = try await s.loginAdmin()
        let d = try await s.rpc.call("billing/usage/myUsage", ["days": "thirty"])
        #expect(d["error"]?["data"]?["field"] == "days")
        let d2 = try await s.rpc.call("billing/usage/myUsage", ["days": 367])
        #expect(d2["error"]?["code"] == -32602)
        let d3 = try await s.rpc.call("billing/usage/myUsage", ["days": 1.5])
        #expect(d3["error"]?["data"]?["field"] == "days")
    }

    @Test("batches: mixed, all invalid, empty, only notifications")
    func batches() async throws {
        let s = try ServerProcess()
        s.rpc.sendRaw("""
        [{"jsonrpc":"2.0","method":"server/health","id":"1"},{"jsonrpc":"2.0","method":"notify_hello","params":{"x":7}},\
        {"jsonrpc":"2.0","method":"server/health","id":"2"},{"foo":"boo"},{"jsonrpc":"2.0","method":"foo.get","id":"5"},\
        {"jsonrpc":"2.0","method":"initialize","id":"9"}]\n
        """)
        let batch = try await s.rpc.waitFor { $0.arrayValue != nil }
        let replies = batch.arrayValue!
        #expect(replies.count == 5)
        #expect(replies.map { $0["id"] } == ["1", "2", .null, "5", "9"])
        #expect(replies[2]["error"]?["code"] == -32600)
        #expect(replies[3]["error"]?["code"] == -32601)
        #expect(replies[4]["result"]?["protocol_version"] == "1")

        s.rpc.sendRaw("[1,2,3]\n")
        let three = try await s.rpc.waitFor { ($0.arrayValue?.count ?? 0) == 3 }
        #expect(three.arrayValue!.allSatisfy { $0["error"]?["code"] == -32600 && $0["id"] == .null })

        s.rpc.sendRaw("[]\n")
        let empty = try await s.rpc.waitFor { $0["error"]?["code"] == -32600 && $0["error"]?["message"]?.stringValue?.contains("empty") == true }
        #expect(empty["id"] == .null)

        s.rpc.sendRaw("[{\"jsonrpc\":\"2.0\",\"method\":\"notify_sum\",\"params\":{\"a\":1}},{\"jsonrpc\":\"2.0\",\"method\":\"notify_hello\"}]\n")
        let after = try await s.rpc.call("server/health", nil, id: "after")
        #expect(after["result"] != nil)
        // Nothing was answered for the all-notification batch: the only arrays are the two above.
        #expect(s.rpc.messages.filter { $0.arrayValue != nil }.count == 2)
    }

    @Test("notifications are never answered")
    func notifications() async throws {
        let s = try ServerProcess()
        s.rpc.sendRaw("{\"jsonrpc\":\"2.0\",\"method\":\"no/such/method\"}\n")
        s.rpc.sendRaw("{\"jsonrpc\":\"2.0\",\"method\":\"server/health\"}\n")
        s.rpc.sendRaw("{\"jsonrpc\":\"2.0\",\"method\":\"$/cancelRequest\",\"params\":{\"id\":424242}}\n")
        let r = try await s.rpc.call("server/health", nil, id: "last")
        #expect(r["result"] != nil)
        #expect(s.rpc.messages.count == 1)
    }

    @Test("over-long lines, invalid UTF-8, deep nesting and 100 garbage lines never stop the server")
    func garbage() async throws {
        let s = try ServerProcess(env: ["LLMRPC_MAX_LINE_BYTES": "4096"])
        s.rpc.sendRaw(String(repeating: "x", count: 10_000) + "\n")
        let long = try await s.rpc.waitFor { $0["error"]?["data"]?["type"] == "line_too_long" }
        #expect(long["error"]?["code"] == -32600)
        #expect(long["id"] == .null)

        s.rpc.sendBytes(Array("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"server/health\",\"params\":{\"x\":\"".utf8) + [0xC3, 0x28] + Array("\"}}\n".utf8))
        let bad = try await s.rpc.waitFor { $0["error"]?["code"] == -32700 }
        #expect(bad["id"] == .null)

        s.rpc.sendRaw(String(repeating: "[", count: 1000) + String(repeating: "]", count: 1000) + "\n")
        _ = try await s.rpc.waitFor { $0["error"]?["message"]?.stringValue?.contains("nesting") == true }

        var garbage = ""
        for i in 0..<100 { garbage += ["}{", "null", "\"str\"", "42", "{\"jsonrpc\":\"2.0\"}", "\u{7}", "[[]]", "{", "tru", "{\"id\":[1]}"][i % 10] + "\n" }
        s.rpc.sendRaw(garbage)
        s.rpc.sendRaw("\r\n\n   \n")
        let ok = try await s.rpc.call("server/health", nil, id: "still-alive")
        #expect(ok["result"]?["status"] == "ok")
        // Every line on stdout is a JSON-RPC message.
        for line in s.rpc.lines {
            let v = try JSONParser.parse(line)
            let items = v.arrayValue ?? [v]
            for m in items { #expect(m["jsonrpc"] == "2.0") }
        }
        s.closeInput()
        #expect(await s.waitForExit() == 0)
    }

    @Test("a last line without a newline at end of input is answered, CRLF is accepted")
    func lastLine() async throws {
        let s = try ServerProcess()
        s.rpc.sendRaw("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"server/health\"}\r\n")
        s.rpc.sendRaw("{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"server/health\"}")
        s.closeInput()
        let one = try await s.rpc.response(id: 1)
        let two = try await s.rpc.response(id: 2)
        #expect(one["result"] != nil && two["result"] != nil)
        #expect(await s.waitForExit() == 0)
    }

    @Test("stdin as a regular file and as /dev/null")
    func stdinFile() async throws {
        let dir = ServerProcess.makeDataDir()
        let file = dir + "/requests.jsonl"
        try "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"server/health\"}\n{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"initialize\"}\n"
            .write(toFile: file, atomically: true, encoding: .utf8)
        let s = try ServerProcess(dataDir: dir, stdinFile: file)
        #expect(try await s.rpc.response(id: 1)["result"]?["status"] == "ok")
        #expect(try await s.rpc.response(id: 2)["result"]?["server_info"]?["name"] == "llmrpc")
        #expect(await s.waitForExit() == 0)

        let n = try ServerProcess(stdinFile: "/dev/null")
        #expect(await n.waitForExit() == 0)
        #expect(n.rpc.lines.isEmpty)
    }

    @Test("a transcript from a file runs in order: answers in input order, no in-flight limit")
    func transcriptInOrder() async throws {
        let dir = ServerProcess.makeDataDir()
        let file = dir + "/transcript.jsonl"
        var lines = ["{\"jsonrpc\":\"2.0\",\"id\":0,\"method\":\"login/accessToken\",\"params\":{\"username\":\"\(ServerProcess.adminEmail)\",\"password\":\"\(ServerProcess.adminPassword)\"}}"]
        for i in 1...150 {
            lines.append(i % 3 == 0 ? "{\"jsonrpc\":\"2.0\",\"id\":\(i),\"method\":\"users/me\"}"
                                    : "{\"jsonrpc\":\"2.0\",\"id\":\(i),\"method\":\"server/health\"}")
        }
        try (lines.joined(separator: "\n") + "\n").write(toFile: file, atomically: true, encoding: .utf8)
        let s = try ServerProcess(dataDir: dir, stdinFile: file)
        #expect(await s.waitForExit() == 0)
        let ids = s.rpc.messages.map { $0["id"]?.intValue ?? -1 }
        #expect(ids == Array(0...150))
        #expect(s.rpc.messages.allSatisfy { $0["result"] != nil })
    }

    @Test("shutdown then requests are refused, exit gives 0; exit without shutdown gives 1")
    func shutdownExit() async throws {
        let s = try ServerProcess()
        #expect(try await s.rpc.call("shutdown")["result"] == .null)
        let refused = try await s.rpc.call("server/health")
        #expect(refused["error"]?["code"] == -32600)
        #expect(refused["error"]?["data"]?["type"] == "shutting_down")
        s.rpc.sendRaw("{\"jsonrpc\":\"2.0\",\"method\":\"exit\"}\n")
        #expect(await s.waitForExit() == 0)

        let t = try ServerProcess()
        _ = try await t.rpc.call("server/health")
        t.rpc.sendRaw("{\"jsonrpc\":\"2.0\",\"method\":\"exit\"}\n")
        #expect(await t.waitForExit() == 1)
    }

    @Test("rpc.discover returns the OpenRPC document listing every method")
    func discover() async throws {
        let s = try ServerProcess()
        let doc = try await s.rpc.result("rpc.discover")
        #expect(doc["openrpc"] != nil)
        let names = Set((doc["methods"]?.arrayValue ?? []).compactMap { $0["name"]?.stringValue })
        let initialize = try await s.rpc.result("initialize", ["protocol_version": "1", "client_info": ["name": "test"]])
        let served = Set((initialize["capabilities"]?["methods"]?.arrayValue ?? []).compactMap(\.stringValue))
        #expect(!served.isEmpty)
        #expect(served.subtracting(names).isEmpty, "methods missing from openrpc.json: \(served.subtracting(names))")
        for n in ["exit", "$/cancelRequest", "llm/chat/completions/chunk"] { #expect(names.contains(n)) }
        // The served document is exactly schemas/openrpc.json.
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let file = try Data(contentsOf: root.appendingPathComponent("schemas/openrpc.json"))
        #expect(try JSONParser.parse(Array(file)) == doc)
    }
}
