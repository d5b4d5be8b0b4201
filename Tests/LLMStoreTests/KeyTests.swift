import Foundation
import LLMDomain
import Testing
@testable import LLMStore

@Suite struct KeyTests {
    @Test func userKeysAreSetReplacedAndDeleted() throws {
        let db = try AppDatabase.makeTemporary()
        let u = try Fixture.user(db)
        try db.setUserKey(userId: u.id, provider: .anthropic, ciphertext: [1, 2, 3], nonce: [9], masterKeyId: "k1")
        try db.setUserKey(userId: u.id, provider: .openai, ciphertext: [4], nonce: [8], masterKeyId: "k1")
        try db.setUserKey(userId: u.id, provider: .anthropic, ciphertext: [5, 6], nonce: [7], masterKeyId: "k2")
        var keys = try db.userKeys(userId: u.id)
        #expect(keys.count == 2)
        #expect(keys[.anthropic]?.ciphertext == [5, 6] && keys[.anthropic]?.nonce == [7])
        #expect(keys[.anthropic]?.masterKeyId == "k2")
        try db.deleteUserKey(userId: u.id, provider: .anthropic)
        keys = try db.userKeys(userId: u.id)
        #expect(Array(keys.keys) == [.openai])
        try db.deleteUserKey(userId: u.id, provider: nil)
        #expect(try db.userKeys(userId: u.id).isEmpty)
        #expect(throws: DomainError(.userNotFound, "User not found")) {
            try db.setUserKey(userId: "ghost", provider: .google, ciphertext: [1], nonce: [1], masterKeyId: "k")
        }
    }

    @Test func systemKeysAreSetAndDeleted() throws {
        let db = try AppDatabase.makeTemporary()
        for p in Provider.allCases {
            try db.setSystemKey(provider: p, ciphertext: [UInt8(p.rawValue.count)], nonce: [0], masterKeyId: "m")
        }
        #expect(try db.systemKeys().count == 3)
        #expect(try db.systemKeys()[.google]?.ciphertext == [6])
        try db.deleteSystemKey(provider: .google)
        #expect(Set(try db.systemKeys().keys) == [.anthropic, .openai])
        try db.deleteSystemKey(provider: nil)
        #expect(try db.systemKeys().isEmpty)
    }

    @Test func reencryptionRewritesEveryKeyInOneTransaction() throws {
        let db = try AppDatabase.makeTemporary()
        let a = try Fixture.user(db, "a@x.io"), b = try Fixture.user(db, "b@x.io")
        try db.setUserKey(userId: a.id, provider: .anthropic, ciphertext: [1], nonce: [1], masterKeyId: "old")
        try db.setUserKey(userId: b.id, provider: .openai, ciphertext: [2], nonce: [2], masterKeyId: "old")
        try db.setSystemKey(provider: .google, ciphertext: [3], nonce: [3], masterKeyId: "old")
        let owners = Collected<String>()
        let n = try db.reencryptAllKeys(newMasterKeyId: "new") { owner, provider, ciphertext, nonce in
            owners.append("\(owner)/\(provider.rawValue)")
            return (ciphertext.map { $0 + 100 }, nonce.map { $0 + 50 })
        }
        #expect(n == 3)
        #expect(Set(owners.all) == ["user:\(a.id)/anthropic", "user:\(b.id)/openai", "system/google"])
        #expect(try db.userKeys(userId: a.id)[.anthropic] .map { [$0.ciphertext, $0.nonce] } == [[101], [51]])
        #expect(try db.userKeys(userId: b.id)[.openai]?.masterKeyId == "new")
        #expect(try db.systemKeys()[.google].map { [$0.ciphertext, $0.nonce] } == [[103], [53]])
        #expect(try db.systemKeys()[.google]?.masterKeyId == "new")
    }

    @Test func reencryptionFailingOnTheSecondKeyChangesNothing() throws {
        struct Boom: Error {}
        let db = try AppDatabase.makeTemporary()
        let a = try Fixture.user(db, "a@x.io")
        try db.setUserKey(userId: a.id, provider: .anthropic, ciphertext: [1], nonce: [1], masterKeyId: "old")
        try db.setUserKey(userId: a.id, provider: .openai, ciphertext: [2], nonce: [2], masterKeyId: "old")
        try db.setSystemKey(provider: .google, ciphertext: [3], nonce: [3], masterKeyId: "old")
        let before = (try db.userKeys(userId: a.id), try db.systemKeys())
        var calls = 0
        #expect(throws: Boom.self) {
            _ = try db.reencryptAllKeys(newMasterKeyId: "new") { _, _, _, _ in
                calls += 1
                if calls == 2 { throw Boom() }
                return ([42], [42])
            }
        }
        #expect(calls == 2)
        #expect(try db.userKeys(userId: a.id) == before.0)
        #expect(try db.systemKeys() == before.1)
    }
}
