import JSONRPC
import LLMJSON

/// `llm/chat/completions`: one answer, recorded with its usage and cost.
struct ChatCompletionsMethod: RPCMethod {
    static let name = "llm/chat/completions"
    static let skipsRecordBarrier = true
    static let checksSettingsInWrite = true
    static let runsOnHTTPThread = true
    static let access = MethodAccess.user

    static func handle(_ params: ChatParams, _ ctx: MethodContext) async throws -> JSONValue {
        try await ChatService(ctx: ctx, stream: false).run(params)
    }
}

/// `llm/chat/completions/stream`: chunk notifications while the answer is produced, then the
/// same result as the plain method (also on cancellation, with `finish_reason: "cancelled"`).
struct ChatCompletionsStreamMethod: RPCMethod {
    static let name = "llm/chat/completions/stream"
    static let skipsRecordBarrier = true
    static let checksSettingsInWrite = true
    static let runsOnHTTPThread = true
    static let access = MethodAccess.user
    static let cancelsOnInputEnd = true

    static func handle(_ params: ChatParams, _ ctx: MethodContext) async throws -> JSONValue {
        try await ChatService(ctx: ctx, stream: true).run(params)
    }
}
