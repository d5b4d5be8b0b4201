import Foundation
import LLMDomain
import Testing
@testable import LLMStore

@Suite struct UserTests {
    @Test func createsAndFindsUsersByIdAndEmailCaseInsensitively() throws {
        let db = try AppDatabase.makeTemporary()
        let u = try db.createUser(email: "Ann@Example.com", fullName: "Ann", passwordHash: "h1", isSuperuser: false)
        #expect(u.id == u.id.lowercased() && UUID(uuidString: u.id) != nil)
        #expect(try db.user(id: u.id) == u)
        #expect(try db.user(email: "ann@example.COM")?.id == u.id)
        #expect(try db.user(email: "bob@example.com") == nil)
        #expect(u.isActive && !u.isSuperuser && u.monthlyBudget == nil && u.fullName == "Ann")
    }

    @Test func duplicateEmailInAnyCaseIsEmailExists() throws {
        let db = try AppDatabase.makeTemporary()
        _ = try db.createUser(email: "ann@example.com", fullName: nil, passwordHash: "h", isSuperuser: false)
        #expect(throws: DomainError(.emailExists, "A user with this email already exists")) {
            _ = try db.createUser(email: "ANN@example.com", fullName: nil, passwordHash: "h", isSuperuser: true)
        }
        #expect(try db.listUsers(skip: 0, limit: 10).total == 1)
    }

    @Test func updateChangesOnlyTheGivenFields() throws {
        let db = try AppDatabase.makeTemporary()
        let u = try db.createUser(email: "a@x.io", fullName: "A", passwordHash: "h", isSuperuser: false)
        let v = try db.updateUser(id: u.id, isActive: false, monthlyBudget: .some(Fixture.usd("12.5")))
        #expect(!v.isActive && v.fullName == "A" && v.passwordHash == "h" && !v.isSuperuser)
        #expect(v.monthlyBudget == Money(picodollars: 12_500_000_000_000))
        let w = try db.updateUser(id: u.id, passwordHash: "h2", fullName: .some(nil), monthlyBudget: .some(nil))
        #expect(w.fullName == nil && w.passwordHash == "h2" && w.monthlyBudget == nil && !w.isActive)
        #expect(throws: DomainError(.userNotFound, "User not found")) {
            _ = try db.updateUser(id: "no-such-id", isActive: true)
        }
    }

    @Test func listUsersPagesAndCountsAll() throws {
        let db = try AppDatabase.makeTemporary()
        for i in 0..<5 { _ = try Fixture.user(db, "u\(i)@x.io") }
        let page = try db.listUsers(skip: 1, limit: 2)
        #expect(page.total == 5)
        #expect(page.users.count == 2)
        let all = try db.listUsers(skip: 0, limit: 100).users.map(\.email)
        #expect(Set(all) == Set((0..<5).map { "u\($0)@x.io" }))
        #expect(Array(all[1...2]) == page.users.map(\.email))
    }

    @Test func firstSuperuserIsCreatedOnceEvenByRacingInstances() throws {
        let one = try AppDatabase.makeTemporary()
        let two = try AppDatabase(path: one.path)
        let created = Collected<Bool>()
        onThreads(8) { i in
            let db = i % 2 == 0 ? one : two
            created.append(try! db.ensureFirstSuperuser(email: "admin@example.com") { "hash" })
        }
        #expect(created.all.filter { $0 }.count == 1)
        let admin = try #require(try one.user(email: "admin@example.com"))
        #expect(admin.isSuperuser && admin.isActive)
        var hashed = false
        #expect(try one.ensureFirstSuperuser(email: "ADMIN@example.com") { hashed = true; return "x" } == false)
        #expect(!hashed)
    }

    @Test func loginFailuresAreCountedPerUsernameInAWindow() throws {
        let db = try AppDatabase.makeTemporary()
        let t0 = Fixture.date("2026-11-28T10:00:00.000Z")
        for minute in [0, 5, 10, 14, 20] {
            try db.recordLoginFailure(username: "Ann@x.io", at: t0.addingTimeInterval(Double(minute) * 60))
        }
        try db.recordLoginFailure(username: "bob@x.io", at: t0)
        let since = t0.addingTimeInterval(20 * 60 - 15 * 60)  // 15 minutes before the last one
        #expect(try db.loginFailureCount(username: "ann@x.io", since: since) == 4)
        #expect(try db.loginFailureCount(username: "ann@x.io", since: t0) == 5)
        #expect(try db.pruneLoginFailures(before: t0.addingTimeInterval(60)) == 2)
        try db.clearLoginFailures(username: "ANN@X.IO")
        #expect(try db.loginFailureCount(username: "ann@x.io", since: .distantPast) == 0)
        #expect(try db.loginFailureCount(username: "bob@x.io", since: .distantPast) == 0)
    }
}
