import FoundationEssentials
import LLMDomain
import LLMJSON

/// A row of `conversations`.
public struct ConversationRecord: Sendable, Equatable {
    public var id: String
    public var userId: String
    public var modelId: String
    public var title: String
    public var createdAt: Date
    public var updatedAt: Date

    init(row: Row) {
        id = row["id"]
        userId = row["user_id"]
        modelId = row["model_id"]
        title = row["title"]
        createdAt = Timestamp.date(row["created_at"])
        updatedAt = Timestamp.date(row["updated_at"])
    }
}

/// A row of `llm_messages`: one message of a conversation, in `seq` order.
public struct MessageRecord: Sendable, Equatable {
    public var id: String
    public var conversationId: String
    /// 0, 1, 2, ... within the conversation.
    public var seq: Int
    public var role: ChatMessage.Role
    public var content: String
    /// Assistant tool calls as OpenAI-shaped JSON text
    /// (`[{"id","type":"function","function":{"name","arguments"}}]`), or nil.
    public var toolCallsJSON: String?
    public var toolCallId: String?
    /// Assistant messages: the request's uncached input tokens and its output tokens.
    public var inputTokens: Int?
    public var outputTokens: Int?
    /// Assistant messages: the request's total cost; nil when unpriced and for other roles.
    public var cost: Money?
    public var createdAt: Date

    init(row: Row) throws {
        id = row["id"]
        conversationId = row["conversation_id"]
        seq = row["seq"]
        guard let role = ChatMessage.Role(rawValue: row["role"]) else {
            throw DomainError(.storage, "Unknown message role in llm_messages")
        }
        self.role = role
        content = row["content"]
        toolCallsJSON = row["tool_calls_json"]
        toolCallId = row["tool_call_id"]
        inputTokens = row["input_tokens"]
        outputTokens = row["output_tokens"]
        cost = (row["cost_pico"] as Int64?).map(Money.init(picodollars:))
        createdAt = Timestamp.date(row["created_at"])
    }

    /// The tool calls decoded from `toolCallsJSON` (empty when none or unreadable).
    public var toolCalls: [ToolCall] {
        guard let json = toolCallsJSON, let calls = (try? JSONParser.parse(json))?.arrayValue else { return [] }
        return calls.compactMap { call in
            guard let id = call["id"]?.stringValue, let function = call["function"],
                  let name = function["name"]?.stringValue else { return nil }
            return ToolCall(id: id, name: name, arguments: function["arguments"]?.stringValue ?? "")
        }
    }

    /// The message in the unified chat format, for building a request's context.
    public var chatMessage: ChatMessage {
        ChatMessage(role: role, content: content, toolCalls: toolCalls, toolCallId: toolCallId)
    }

    /// `calls` as the JSON text stored in `tool_calls_json`; nil when there are none.
    static func toolCallsJSON(_ calls: [ToolCall]) -> String? {
        guard !calls.isEmpty else { return nil }
        let array: [JSONValue] = calls.map { call in
            .object(JSONObject([
                ("id", .string(call.id)),
                ("type", .string("function")),
                ("function", .object(JSONObject([("name", .string(call.name)),
                                                 ("arguments", .string(call.arguments))]))),
            ]))
        }
        return JSONWriter.string(.array(array))
    }
}
