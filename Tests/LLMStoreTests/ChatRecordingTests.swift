import Foundation
import LLMDomain
import Testing
@testable import LLMStore

@Suite struct ChatRecordingTests {
    let db: AppDatabase
    let user: UserRecord
    let model: ModelRecord

    init() throws {
        db = try AppDatabase.makeTemporary()
        user = try Fixture.user(db)
        model = try Fixture.model(db)  // $3/M in, $15/M out
    }

    /// 1000 in, 500 out at $3/$15 per million: 0.003 + 0.0075.
    let usage = Usage(inputTokens: 1000, outputTokens: 500)
    let cost = UsageCost(input: Money(picodollars: 3_000_000_000), output: Money(picodollars: 7_500_000_000))

    @Test func beginUsageWritesAPendingRowWithThePricesUsed() throws {
        let id = try db.beginUsage(Fixture.pending(user, model, reservation: Fixture.usd("0.02")))
        let row = try #require(try db.usage(id: id))
        #expect(row.status == .pending && row.userId == user.id && row.modelId == model.id)
        #expect(row.modelName == "claude-test" && row.provider == .anthropic && row.keySource == .user)
        #expect(row.prices.input?.picodollarsPerToken == 3_000_000)
        #expect(row.prices.output?.picodollarsPerToken == 15_000_000)
        #expect(row.reserved == Money(picodollars: 20_000_000_000) && row.cost == nil && !row.priced)
        #expect(row.serverPid == getpid())
        #expect(throws: DomainError(.userNotFound, "User not found")) {
            var p = Fixture.pending(user, model)
            p.userId = "ghost"
            _ = try db.beginUsage(p)
        }
    }

    @Test func settleChatWritesConversationMessagesAndUsageTogether() throws {
        let usageId = try db.beginUsage(Fixture.pending(user, model, reservation: Fixture.usd("0.5")))
        let call = ToolCall(id: "call_1", name: "lookup", arguments: "{\"q\":\"x\"}")
        let longQuestion = "  Hello   there,\n" + String(repeating: "é", count: 100)
        let (conversationId, assistantId) = try db.settleChat(ChatSettlement(
            usageId: usageId, conversationId: nil,
            messages: [ChatMessage(role: .system, content: "Be brief."), ChatMessage(role: .user, content: longQuestion)],
            assistant: ChatMessage(role: .assistant, content: "Hi!", toolCalls: [call]),
            usage: usage, cost: cost, latencyMs: 321))
        let assistantMessageId = try #require(assistantId)

        let (conversation, messages) = try db.conversation(id: conversationId, userId: user.id)
        #expect(conversation.title == "Hello there, " + String(repeating: "é", count: 67))
        #expect(conversation.title.count == 80)
        #expect(conversation.modelId == model.id && conversation.userId == user.id)
        #expect(messages.map(\.seq) == [0, 1, 2])
        #expect(messages.map(\.role) == [.system, .user, .assistant])
        #expect(messages[2].id == assistantMessageId && messages[2].content == "Hi!")
        #expect(messages[2].toolCalls == [call])
        #expect(messages[2].toolCallsJSON
                == #"[{"id":"call_1","type":"function","function":{"name":"lookup","arguments":"{\"q\":\"x\"}"}}]"#)
        #expect(messages[2].inputTokens == 1000 && messages[2].outputTokens == 500)
        #expect(messages[2].cost == Money(picodollars: 10_500_000_000))
        #expect(messages[1].cost == nil && messages[1].inputTokens == nil && messages[1].toolCallsJSON == nil)

        let row = try #require(try db.usage(id: usageId))
        #expect(row.status == .completed && row.priced && row.reserved == .zero && row.latencyMs == 321)
        #expect(row.cost == cost && row.cost?.total == Money(picodollars: 10_500_000_000))
        #expect(row.usage == usage && row.conversationId == conversationId && row.messageId == assistantMessageId)
        #expect(row.completedAt != nil)
    }

    @Test func appendingToAConversationContinuesItsSequence() throws {
        let first = try db.beginUsage(Fixture.pending(user, model))
        let (cid, _) = try db.settleChat(ChatSettlement(
            usageId: first, conversationId: nil, messages: [ChatMessage(role: .user, content: "One")],
            assistant: ChatMessage(role: .assistant, content: "1"), usage: usage, cost: cost))
        let second = try db.beginUsage(Fixture.pending(user, model))
        let (same, _) = try db.settleChat(ChatSettlement(
            usageId: second, conversationId: cid,
            messages: [ChatMessage(role: .tool, content: "result", toolCallId: "call_9"),
                       ChatMessage(role: .user, content: "Two")],
            assistant: ChatMessage(role: .assistant, content: "2"), usage: usage, cost: nil))
        #expect(same == cid)
        let history = try db.conversationHistory(id: cid, userId: user.id)
        #expect(history.map(\.content) == ["One", "1", "result", "Two", "2"])
        #expect(history.map(\.seq) == [0, 1, 2, 3, 4])
        #expect(history[2].chatMessage == ChatMessage(role: .tool, content: "result", toolCallId: "call_9"))
        #expect(history[4].cost == nil)
        #expect(try db.usage(id: second)?.priced == false)
        #expect(try db.conversation(id: cid, userId: user.id).0.title == "One")
        // Settling twice is refused.
        #expect(throws: DomainError(.conflict, "Usage record \(second) is already settled (completed)")) {
            _ = try db.settleChat(ChatSettlement(usageId: second, conversationId: cid, messages: [], assistant: nil,
                                                 usage: usage, cost: nil))
        }
    }

    @Test func anotherUsersConversationIsNotFoundAndNothingIsWritten() throws {
        let other = try Fixture.user(db, "other@example.com")
        let theirs = try db.beginUsage(Fixture.pending(other, model))
        let (cid, _) = try db.settleChat(ChatSettlement(
            usageId: theirs, conversationId: nil, messages: [ChatMessage(role: .user, content: "Mine")],
            assistant: ChatMessage(role: .assistant, content: "ok"), usage: usage, cost: cost))
        let mine = try db.beginUsage(Fixture.pending(user, model))
        #expect(throws: DomainError(.conversationNotFound, "Conversation not found")) {
            _ = try db.settleChat(ChatSettlement(
                usageId: mine, conversationId: cid, messages: [ChatMessage(role: .user, content: "Sneaky")],
                assistant: ChatMessage(role: .assistant, content: "no"), usage: usage, cost: cost))
        }
        #expect(try Fixture.count(db, "SELECT COUNT(*) FROM llm_messages") == 2)
        #expect(try db.usage(id: mine)?.status == .pending)
        #expect(throws: DomainError(.conversationNotFound, "Conversation not found")) {
            _ = try db.conversation(id: cid, userId: user.id)
        }
        #expect(throws: DomainError(.conversationNotFound, "Conversation not found")) {
            try db.deleteConversation(id: cid, userId: user.id)
        }
        #expect(try db.listConversations(userId: user.id, skip: 0, limit: 10).total == 0)
    }

    @Test func aFailureInTheMiddleOfSettleChatLeavesNothing() throws {
        let usageId = try db.beginUsage(Fixture.pending(user, model, reservation: Fixture.usd("0.1")))
        // The conversation and messages are inserted, then settling the row as 'pending' fails.
        #expect(throws: DomainError(.badRequest, "A usage record cannot be settled as pending")) {
            _ = try db.settleChat(ChatSettlement(
                usageId: usageId, conversationId: nil, messages: [ChatMessage(role: .user, content: "Hi")],
                assistant: ChatMessage(role: .assistant, content: "Hello"), status: .pending, usage: usage, cost: cost))
        }
        #expect(try Fixture.count(db, "SELECT COUNT(*) FROM conversations") == 0)
        #expect(try Fixture.count(db, "SELECT COUNT(*) FROM llm_messages") == 0)
        let row = try #require(try db.usage(id: usageId))
        #expect(row.status == .pending && row.reserved == Fixture.usd("0.1") && row.conversationId == nil)
        // An unknown usage id: nothing either.
        #expect(throws: DomainError(.notFound, "Usage record nope not found")) {
            _ = try db.settleChat(ChatSettlement(
                usageId: "nope", conversationId: nil, messages: [ChatMessage(role: .user, content: "Hi")],
                assistant: nil, usage: usage, cost: cost))
        }
        #expect(try Fixture.count(db, "SELECT COUNT(*) FROM conversations") == 0)
    }

    @Test func settleUsageRecordsAFailure() throws {
        let usageId = try db.beginUsage(Fixture.pending(user, model, reservation: Fixture.usd("0.1")))
        try db.settleUsage(id: usageId, UsageSettlement(
            status: .failed, errorType: "upstream_error", upstreamStatus: 500, cost: UsageCost(input: .zero, output: .zero),
            latencyMs: 40))
        let row = try #require(try db.usage(id: usageId))
        #expect(row.status == .failed && row.errorType == "upstream_error" && row.upstreamStatus == 500)
        #expect(row.usage == .zero && row.priced && row.cost?.total == .zero && row.reserved == .zero)
        #expect(row.conversationId == nil && row.messageId == nil && row.latencyMs == 40)
        #expect(try Fixture.count(db, "SELECT COUNT(*) FROM conversations") == 0)
    }

    @Test func deletingAConversationKeepsItsUsage() throws {
        let usageId = try db.beginUsage(Fixture.pending(user, model))
        let (cid, mid) = try db.settleChat(ChatSettlement(
            usageId: usageId, conversationId: nil, messages: [ChatMessage(role: .user, content: "Hi")],
            assistant: ChatMessage(role: .assistant, content: "Hello"), usage: usage, cost: cost))
        try db.deleteConversation(id: cid, userId: user.id)
        #expect(try Fixture.count(db, "SELECT COUNT(*) FROM llm_messages") == 0)
        #expect(try db.listConversations(userId: user.id, skip: 0, limit: 10).total == 0)
        let row = try #require(try db.usage(id: usageId))
        #expect(row.conversationId == cid && row.messageId == mid && row.cost == cost)
        let report = try db.usageReport(userId: user.id, from: .distantPast, to: .distantFuture)
        #expect(report.totals.requests == 1 && report.totals.totalCost == Money(picodollars: 10_500_000_000))
    }

    @Test func conversationsAreListedMostRecentFirst() throws {
        var ids: [String] = []
        for (i, t) in ["2026-11-01T00:00:00.000Z", "2026-11-03T00:00:00.000Z", "2026-11-02T00:00:00.000Z"].enumerated() {
            let u = try db.beginUsage(Fixture.pending(user, model))
            ids.append(try db.settleChat(ChatSettlement(
                usageId: u, conversationId: nil, messages: [ChatMessage(role: .user, content: "c\(i)")],
                assistant: nil, usage: .zero, cost: nil, completedAt: Fixture.date(t))).conversationId)
        }
        let page = try db.listConversations(userId: user.id, skip: 0, limit: 2)
        #expect(page.total == 3)
        #expect(page.items.map(\.id) == [ids[1], ids[2]])
        #expect(page.items.map(\.title) == ["c1", "c2"])
    }
}
