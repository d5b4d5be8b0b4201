import LLMDomain
import LLMJSON

/// OpenAI's `data:`-only stream → unified events. Usage comes only in the final `choices: []`
/// chunk (with `stream_options.include_usage`); `data: [DONE]` is the normal end.
public struct OpenAIStreamParser: ProviderStreamParser {
    private var sse = SSEParser()
    public private(set) var completed = false

    public init() {}

    public mutating func feed(_ bytes: [UInt8]) -> [ChatEvent] { handle(sse.feed(bytes), atEnd: false) }
    /// An unreadable event cut off by the end of the body is truncation (`completed` stays false), not an error event.
    public mutating func finish() -> [ChatEvent] { handle(sse.finish(), atEnd: true) }

    private mutating func handle(_ events: [SSEEvent], atEnd: Bool) -> [ChatEvent] {
        var out: [ChatEvent] = []
        for e in events { handle(e, atEnd: atEnd, into: &out) }
        return out
    }

    private mutating func handle(_ e: SSEEvent, atEnd: Bool, into out: inout [ChatEvent]) {
        if e.data.hasPrefix("[DONE]") {
            completed = true
            return
        }
        guard let chunk = try? JSONParser.parse(e.data), chunk.objectValue != nil else {
            if !atEnd { out.append(.error(ProviderJSON.malformedEvent())) }
            return
        }
        if chunk.present("error") != nil {
            out.append(.error(OpenAIMapping.error(chunk, rawBody: Array(e.data.utf8), status: 200, headers: [], key: nil)))
            return
        }
        for choice in chunk.array("choices") where (choice.int("index") ?? 0) == 0 {
            let d = choice["delta"] ?? .null
            if let r = d.string("reasoning_content") ?? d.string("reasoning"), !r.isEmpty { out.append(.reasoningDelta(r)) }
            if let t = d.string("content"), !t.isEmpty { out.append(.textDelta(t)) }
            if let t = d.string("refusal"), !t.isEmpty { out.append(.textDelta(t)) }
            for c in d.array("tool_calls") {
                let f = c["function"] ?? .null
                out.append(.toolCallDelta(index: c.int("index") ?? 0, id: c.string("id"), name: f.string("name"),
                                          arguments: f.string("arguments") ?? ""))
            }
            if let reason = choice.string("finish_reason") { out.append(.finish(OpenAIMapping.finishReason(reason))) }
        }
        if let u = chunk.present("usage") { out.append(.usage(OpenAIMapping.usage(u))) }
    }
}
