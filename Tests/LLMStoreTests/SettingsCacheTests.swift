import Foundation
import LLMDomain
import Testing
@testable import LLMStore

/// The in-memory users/models/keys: served from memory while nothing changed, read again
/// after any change, whether made through this AppDatabase or by another process.
@Suite struct SettingsCacheTests {
    /// A second AppDatabase on the same file stands for another process.
    static func twoHandles() throws -> (AppDatabase, AppDatabase, cleanup: () -> Void) {
        let path = NSTemporaryDirectory() + "llmrpc-cache-\(UUID().uuidString).sqlite3"
        let a = try AppDatabase(path: path), b = try AppDatabase(path: path)
        return (a, b, { for s in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + s) } })
    }

    @Test func everySettingsTableBumpsTheGeneration() throws {
        let db = try AppDatabase.makeTemporary()
        var last = try db.settingsGeneration()
        func bumped(_ what: String) throws {
            let now = try db.settingsGeneration()
            #expect(now > last, "\(what) did not bump the generation")
            last = now
        }
        let u = try Fixture.user(db); try bumped("user insert")
        _ = try db.updateUser(id: u.id, isActive: false); try bumped("user update")
        let m = try Fixture.model(db); try bumped("model insert")
        _ = try db.updateModel(id: m.id, ModelChanges(isActive: false)); try bumped("model update")
        try db.setUserKey(userId: u.id, provider: .openai, ciphertext: [1], nonce: [2], masterKeyId: "k"); try bumped("user key insert")
        try db.deleteUserKey(userId: u.id, provider: .openai); try bumped("user key delete")
        try db.setSystemKey(provider: .openai, ciphertext: [1], nonce: [2], masterKeyId: "k"); try bumped("system key insert")
        try db.deleteSystemKey(provider: .openai); try bumped("system key delete")
        try db.deleteModel(id: m.id); try bumped("model delete")
        // Usage and conversations are not settings: they do not bump it.
        let m2 = try Fixture.model(db, .openai, "gpt-test"); last = try db.settingsGeneration()
        let u2 = try Fixture.user(db, "b@example.com"); last = try db.settingsGeneration()
        _ = try db.beginUsage(Fixture.pending(u2, m2))
        #expect(try db.settingsGeneration() == last)
    }

    @Test func aChangeByAnotherProcessIsSeenAtTheNextRefresh() throws {
        let (a, b, cleanup) = try Self.twoHandles()
        defer { cleanup() }
        let u = try Fixture.user(a)
        let m = try Fixture.model(a, .openai, "gpt-test", input: "1", output: "2")

        try a.refreshSettingsCache()
        #expect(try a.cachedUser(id: u.id)?.isActive == true)
        #expect(try a.cachedModel(name: "gpt-test")?.prices.input == Fixture.price("1"))
        #expect(try a.cachedModel(id: m.id)?.isActive == true)
        #expect(try a.cachedKeys(userId: u.id, provider: .openai).user == nil)

        // Another process changes all four.
        _ = try b.updateUser(id: u.id, isActive: false)
        _ = try b.updateModel(id: m.id, ModelChanges(inputPrice: .some(Fixture.price("5")), isActive: false))
        try b.setUserKey(userId: u.id, provider: .openai, ciphertext: [9], nonce: [8], masterKeyId: "k")

        // Until the refresh, this request's view stays the one it started with.
        #expect(try a.cachedUser(id: u.id)?.isActive == true)
        try a.refreshSettingsCache()
        #expect(try a.cachedUser(id: u.id)?.isActive == false)
        #expect(try a.cachedModel(name: "gpt-test")?.prices.input == Fixture.price("5"))
        #expect(try a.cachedModel(id: m.id)?.isActive == false)
        #expect(try a.cachedKeys(userId: u.id, provider: .openai).user?.ciphertext == [9])

        // A deleted user and model are gone after the next refresh.
        try b.pool.write { db in
            try db.execute(sql: "DELETE FROM users WHERE id = ?", arguments: [u.id])
            try db.execute(sql: "DELETE FROM llm_models WHERE id = ?", arguments: [m.id])
        }
        try a.refreshSettingsCache()
        #expect(try a.cachedUser(id: u.id) == nil)
        #expect(try a.cachedModel(name: "gpt-test") == nil)
        #expect(try a.cachedModel(id: m.id) == nil)
    }

    @Test func aRowReadBeforeAChangeIsNeverKeptAfterIt() throws {
        let (a, b, cleanup) = try Self.twoHandles()
        defer { cleanup() }
        let u = try Fixture.user(a)
        try a.refreshSettingsCache()
        let old = try a.settingsGeneration()
        _ = try b.updateUser(id: u.id, fullName: .some("New"))
        // A lookup that misses reads the row and the generation together: the row it read is
        // newer than the cache's generation, so it is returned but not kept.
        #expect(try a.cachedUser(id: u.id)?.fullName == "New")
        #expect(a.settingsCache.lookup { $0.users[u.id] } == nil)
        #expect(a.settingsCache.state.withLock { $0.generation } == old)
        try a.refreshSettingsCache()
        #expect(try a.cachedUser(id: u.id)?.fullName == "New")
        #expect(a.settingsCache.lookup { $0.users[u.id] }??.fullName == "New")
    }
}
