import Foundation
import LLMJSON
import LLMServer
import LLMTestSupport
import Testing

/// PROTOCOL.md §2 and §3.1–3.2 over a real subprocess: logins, tokens, sessions, admin rights.
@Suite("Accounts and sessions", .timeLimit(.minutes(5)))
struct AuthTests {
    @Test("methods need a session; login binds it; users/me describes the caller")
    func loginAndMe() async throws {
        let s = try ServerProcess()
        let before = try await s.rpc.call("users/me")
        #expect(before["error"]?["code"] == 401)
        #expect(before["error"]?["data"]?["type"] == "unauthenticated")

        let login = try await s.rpc.result("login/accessToken",
                                           ["username": .string(ServerProcess.adminEmail), "password": .string(ServerProcess.adminPassword)])
        #expect(login["token_type"] == "bearer")
        #expect(login["access_token"]?.stringValue?.split(separator: ".").count == 3)
        #expect(login["expires_at"]?.stringValue?.hasSuffix("Z") == true)

        let me = try await s.rpc.result("users/me")
        #expect(me["email"] == .string(ServerProcess.adminEmail))
        #expect(me["is_superuser"] == true)
        #expect(me["is_active"] == true)
        #expect(me["id"]?.stringValue?.count == 36)
        #expect(me["created_at"]?.stringValue?.hasSuffix("Z") == true)
    }

    @Test("wrong password and unknown email get the same 401; the sixth try in 15 minutes gets 429")
    func failures() async throws {
        let s = try ServerProcess()
        let wrong = try await s.rpc.call("login/accessToken", ["username": .string(ServerProcess.adminEmail), "password": "nope-nope"])
        let unknown = try await s.rpc.call("login/accessToken", ["username": "ghost@example.com", "password": "nope-nope"])
        #expect(wrong["error"]?["code"] == 401)
        #expect(wrong["error"]?["data"]?["type"] == "invalid_credentials")
        #expect(wrong["error"]?["message"] == unknown["error"]?["message"])
        #expect(wrong["error"]?["data"] == unknown["error"]?["data"])
        for _ in 0..<4 {
            _ = try await s.rpc.call("login/accessToken", ["username": .string(ServerProcess.adminEmail), "password": "nope-nope"])
        }
        let limited = try await s.rpc.call("login/accessToken",
                                           ["username": .string(ServerProcess.adminEmail), "password": .string(ServerProcess.adminPassword)])
        #expect(limited["error"]?["code"] == 429)
        #expect(limited["error"]?["data"]?["type"] == "rate_limited")
        #expect((limited["error"]?["data"]?["retry_after_ms"]?.intValue ?? 0) > 0)
        #expect(limited["error"]?["data"]?["retryable"] == true)
    }

    @Test("tokens: session/authenticate on another process, forged and expired tokens, LLMRPC_ACCESS_TOKEN")
    func tokens() async throws {
        let a = try ServerProcess(env: ["LLMRPC_SECRET_KEY": "test-secret-1-0123456789abcdef0123456789"])
        let token = try await a.loginAdmin()
        a.closeInput()
        _ = await a.waitForExit()

        let b = try ServerProcess(env: ["LLMRPC_SECRET_KEY": "test-secret-1-0123456789abcdef0123456789"], dataDir: a.dataDir)
        let me = try await b.rpc.result("session/authenticate", ["access_token": .string(token)])
        #expect(me["email"] == .string(ServerProcess.adminEmail))
        var parts = token.split(separator: ".").map(String.init)
        parts[2] = String(parts[2].reversed())
        let forged = try await b.rpc.call("session/authenticate", ["access_token": .string(parts.joined(separator: "."))])
        #expect(forged["error"]?["code"] == 401)
        let garbage = try await b.rpc.call("session/authenticate", ["access_token": "not-a-jwt"])
        #expect(garbage["error"]?["code"] == 401)

        let c = try ServerProcess(env: ["LLMRPC_SECRET_KEY": "test-secret-1-0123456789abcdef0123456789", "LLMRPC_ACCESS_TOKEN": token], dataDir: a.dataDir)
        #expect(try await c.rpc.result("users/me")["email"] == .string(ServerProcess.adminEmail))

        let other = try ServerProcess(env: ["LLMRPC_SECRET_KEY": "another-secret-0123456789abcdef0123456789"], dataDir: a.dataDir)
        let wrongKey = try await other.rpc.call("session/authenticate", ["access_token": .string(token)])
        #expect(wrongKey["error"]?["code"] == 401)

        // A token signed with the right key whose lifetime has passed.
        let me2 = try await b.rpc.result("users/me")
        let signer = await TokenService(secret: "test-secret-1-0123456789abcdef0123456789", lifetimeMinutes: 60)
        let (old, _) = try await signer.issue(userID: me2["id"]!.stringValue!, now: Date(timeIntervalSinceNow: -7200))
        let expired = try await b.rpc.call("session/authenticate", ["access_token": .string(old)])
        #expect(expired["error"]?["code"] == 401)
        #expect(expired["error"]?["data"]?["type"] == "token_expired")
    }

    @Test("admin methods need a superuser; a deactivated user gets 403 inactive_user")
    func adminRights() async throws {
        let s = try ServerProcess()
        _ = try await s.loginAdmin()
        let created = try await s.rpc.result("admin/users/create",
                                             ["email": "bob@example.com", "password": "bob-password", "full_name": "Bob"])
        #expect(created["email"] == "bob@example.com")
        #expect(created["is_superuser"] == false)
        let dup = try await s.rpc.call("admin/users/create", ["email": "BOB@example.com", "password": "bob-password"])
        #expect(dup["error"]?["code"] == 409)
        #expect(dup["error"]?["data"]?["type"] == "email_exists")
        let short = try await s.rpc.call("admin/users/create", ["email": "c@example.com", "password": "short"])
        #expect(short["error"]?["data"]?["field"] == "password")

        let list = try await s.rpc.result("admin/users/list", ["skip": 0, "limit": 1])
        #expect(list["count"] == 2)
        #expect(list["data"]?.arrayValue?.count == 1)

        // Bob on a second session: no admin rights.
        let bob = try ServerProcess(dataDir: s.dataDir)
        try await bob.rpc.login("bob@example.com", "bob-password")
        let forbidden = try await bob.rpc.call("admin/users/list")
        #expect(forbidden["error"]?["code"] == 403)
        #expect(forbidden["error"]?["data"]?["type"] == "forbidden")
        let usage = try await bob.rpc.call("billing/usage/allUsers")
        #expect(usage["error"]?["code"] == 403)

        // Deactivated: the live session is refused at once, and a new login too.
        let id = created["id"]!
        let updated = try await s.rpc.result("admin/users/update", ["id": id, "is_active": false])
        #expect(updated["is_active"] == false)
        let refused = try await bob.rpc.call("users/me")
        #expect(refused["error"]?["code"] == 403)
        #expect(refused["error"]?["data"]?["type"] == "inactive_user")
        let relogin = try await bob.rpc.call("login/accessToken", ["username": "bob@example.com", "password": "bob-password"])
        #expect(relogin["error"]?["data"]?["type"] == "inactive_user")

        let missing = try await s.rpc.call("admin/users/update", ["id": "00000000-0000-0000-0000-000000000000", "is_active": true])
        #expect(missing["error"]?["code"] == 404)
    }

    @Test("a secret key shorter than 32 bytes is refused at start-up with a clear message")
    func shortSecret() async throws {
        let s = try ServerProcess(env: ["LLMRPC_SECRET_KEY": "short"], stdinFile: "/dev/null")
        #expect(await s.waitForExit() != 0)
        #expect(s.stderrText.contains("LLMRPC_SECRET_KEY must be at least 32 bytes"))
        #expect(!s.stderrText.contains("short\""))
    }

    @Test("llmrpc users create reads the password from stdin")
    func cliCreateUser() async throws {
        let dir = ServerProcess.makeDataDir()
        let pwFile = dir + "/pw"
        try "cli-password-1\n".write(toFile: pwFile, atomically: true, encoding: .utf8)
        let create = try ServerProcess(args: ["users", "create", "--email", "carol@example.com", "--superuser"],
                                       dataDir: dir, stdinFile: pwFile)
        #expect(await create.waitForExit() == 0)
        #expect(create.rpc.lines.first?.contains("carol@example.com") == true)
        #expect(!create.stderrText.contains("cli-password-1"))
        let s = try ServerProcess(dataDir: dir)
        try await s.rpc.login("carol@example.com", "cli-password-1")
        #expect(try await s.rpc.result("users/me")["is_superuser"] == true)
    }
}
