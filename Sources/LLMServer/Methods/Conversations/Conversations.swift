import JSONRPC
import LLMDomain
import LLMJSON
import LLMStore

/// `conversations/list`: the caller's conversations, newest first; `count` is the total.
struct ListConversationsMethod: RPCMethod {
    static let name = "conversations/list"
    static let access = MethodAccess.user

    struct Params: RPCParams {
        var skip: Int
        var limit: Int
        init(_ p: JSONRPC.Params) throws {
            skip = try p.int("skip", default: 0, range: 0...Int(Int32.max))
            limit = try p.int("limit", default: 100, range: 1...1000)
        }
    }

    static func handle(_ params: Params, _ ctx: MethodContext) async throws -> JSONValue {
        let (items, total) = try ctx.db.listConversations(userId: ctx.caller.id, skip: params.skip, limit: params.limit)
        return ["data": .array(items.map { .object(ConversationJSON.summary($0)) }), "count": .int(total)]
    }
}

/// `conversations/get`: one of the caller's conversations with its messages; others' are `404`.
struct GetConversationMethod: RPCMethod {
    static let name = "conversations/get"
    static let access = MethodAccess.user

    struct Params: RPCParams {
        var id: String
        init(_ p: JSONRPC.Params) throws { id = try p.string("id").lowercased() }
    }

    static func handle(_ params: Params, _ ctx: MethodContext) async throws -> JSONValue {
        let (c, messages) = try ctx.db.conversation(id: params.id, userId: ctx.caller.id)
        var o = ConversationJSON.summary(c)
        o["messages"] = .array(messages.map { m in
            var mo: JSONObject = [
                "id": .string(m.id), "role": .string(m.role.rawValue), "content": .string(m.content),
                "input_tokens": .optional(m.inputTokens), "output_tokens": .optional(m.outputTokens),
                "cost": .money(m.cost), "created_at": .string(Timestamps.rfc3339(m.createdAt)),
            ]
            if let tc = m.toolCallsJSON, let v = try? JSONParser.parse(tc) { mo["tool_calls"] = v }
            if let tid = m.toolCallId { mo["tool_call_id"] = .string(tid) }
            return .object(mo)
        })
        return .object(o)
    }
}

/// `conversations/delete`: removes the conversation and its messages; its usage rows stay.
struct DeleteConversationMethod: RPCMethod {
    static let name = "conversations/delete"
    static let access = MethodAccess.user

    struct Params: RPCParams {
        var id: String
        init(_ p: JSONRPC.Params) throws { id = try p.string("id").lowercased() }
    }

    static func handle(_ params: Params, _ ctx: MethodContext) async throws -> JSONValue {
        try ctx.db.deleteConversation(id: params.id, userId: ctx.caller.id)
        return ["id": .string(params.id), "deleted": true]
    }
}

enum ConversationJSON {
    static func summary(_ c: ConversationRecord) -> JSONObject {
        ["id": .string(c.id), "model_id": .string(c.modelId), "title": .string(c.title),
         "created_at": .string(Timestamps.rfc3339(c.createdAt)), "updated_at": .string(Timestamps.rfc3339(c.updatedAt))]
    }
}
