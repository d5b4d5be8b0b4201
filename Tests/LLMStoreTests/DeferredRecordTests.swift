import Foundation
import LLMDomain
import Synchronization
import Testing
@testable import LLMStore

/// A chat's record committed after its answer: the ids come at once, the rows after
/// `writesSettled()`; a record that cannot be written keeps the usage right and makes later
/// records wait again.
@Suite struct DeferredRecordTests {
    let usage = Usage(inputTokens: 1000, outputTokens: 500)
    let cost = UsageCost(input: Money(picodollars: 3_000_000_000), output: Money(picodollars: 7_500_000_000))

    @Test func idsComeAtOnceAndTheRowsAreThereOnceSettled() async throws {
        let db = try AppDatabase.makeTemporary()
        let user = try Fixture.user(db), model = try Fixture.model(db)
        let failures = Mutex<[String]>([])
        var expected: [(usage: String, conversation: String, message: String?)] = []
        for i in 0..<50 {
            let usageId = try await db.beginUsage(Fixture.pending(user, model, reservation: Fixture.usd("0.5")))
            let ids = db.settleChatDeferred(ChatSettlement(
                usageId: usageId, conversationId: nil, messages: [ChatMessage(role: .user, content: "Q\(i)")],
                assistant: ChatMessage(role: .assistant, content: "A\(i)"), usage: usage, cost: cost, latencyMs: 5)) { e in
                if let e { failures.withLock { $0.append("\(e)") } }
            }
            expected.append((usageId, ids.conversationId, ids.assistantMessageId))
        }
        await db.writesSettled()
        #expect(failures.withLock { $0 }.isEmpty)
        for (i, e) in expected.enumerated() {
            let row = try #require(try db.usage(id: e.usage))
            #expect(row.status == .completed && row.reserved == .zero && row.cost == cost)
            #expect(row.conversationId == e.conversation && row.messageId == e.message)
            let (_, messages) = try db.conversation(id: e.conversation, userId: user.id)
            #expect(messages.map(\.content) == ["Q\(i)", "A\(i)"])
            #expect(messages.last?.id == e.message)
        }
        #expect(!db.deferredRecordsFailing)
    }

    @Test func aRecordThatFailsKeepsTheUsageAndMakesLaterRecordsWait() async throws {
        let db = try AppDatabase.makeTemporary()
        let user = try Fixture.user(db), model = try Fixture.model(db)
        let first = try await db.beginUsage(Fixture.pending(user, model))
        let (cid, _) = try await db.settleChat(ChatSettlement(
            usageId: first, conversationId: nil, messages: [ChatMessage(role: .user, content: "One")],
            assistant: ChatMessage(role: .assistant, content: "1"), usage: usage, cost: cost))
        // The conversation is deleted while the next exchange is on its way.
        let second = try await db.beginUsage(Fixture.pending(user, model))
        try db.deleteConversation(id: cid, userId: user.id)
        let failures = Mutex<[DomainError.Kind]>([])
        _ = db.settleChatDeferred(ChatSettlement(
            usageId: second, conversationId: cid, messages: [ChatMessage(role: .user, content: "Two")],
            assistant: ChatMessage(role: .assistant, content: "2"), usage: usage, cost: cost)) { e in
            if let e { failures.withLock { $0.append((e as? DomainError)?.kind ?? .storage) } }
        }
        await db.writesSettled()
        #expect(failures.withLock { $0 } == [.conversationNotFound])
        // The money is recorded all the same, without the messages.
        let row = try #require(try db.usage(id: second))
        #expect(row.status == .completed && row.cost == cost && row.reserved == .zero && row.messageId == nil)
        #expect(db.deferredRecordsFailing)
        // A record that waits and succeeds ends that mode.
        let third = try await db.beginUsage(Fixture.pending(user, model))
        _ = try await db.settleChat(ChatSettlement(
            usageId: third, conversationId: nil, messages: [ChatMessage(role: .user, content: "Three")],
            assistant: ChatMessage(role: .assistant, content: "3"), usage: usage, cost: cost))
        #expect(!db.deferredRecordsFailing)
    }
}
