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
        if let events = e.withData({ Self.commonChunk($0) }) {
            out += events
        } else {
            Self.anyChunk(e.data, atEnd: atEnd, into: &out)
        }
    }

    /// The events of any chunk, from its parsed JSON.
    static func anyChunk(_ data: String, atEnd: Bool, into out: inout [ChatEvent]) {
        guard let chunk = try? JSONParser.parse(data), chunk.objectValue != nil else {
            if !atEnd { out.append(.error(ProviderJSON.malformedEvent())) }
            return
        }
        if chunk.present("error") != nil {
            out.append(.error(OpenAIMapping.error(chunk, rawBody: Array(data.utf8), status: 200, headers: [], key: nil)))
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

    /// The events of the common chunk, read without building its JSON tree (the tree and its
    /// release were three quarters of a streamed chunk's cost): choices with text, refusal or
    /// reasoning deltas and a finish reason, a null usage. Anything else — tool calls, a usage
    /// object, an error, a duplicate or escaped key, an unexpected type, malformed JSON — gives
    /// nil, and the full parse (`anyChunk`) reads the chunk. When it answers, it answers what
    /// the full parse would.
    static func commonChunk(_ bytes: UnsafeBufferPointer<UInt8>) -> [ChatEvent]? {
        var out: [ChatEvent] = []
        let common = JSONScanner.read(bytes) { s in
            try s.readObject(Keys.chunk) { s, member in
                if member == 0 { return try s.readArray { s in try commonChoice(&s, into: &out) } }
                try s.null()  // usage, error
                return true
            }
        }
        return common ? out : nil
    }

    /// The members the fast path reads, by object.
    enum Keys {
        static let chunk: [StaticString] = ["choices", "usage", "error"]
        static let choice: [StaticString] = ["index", "delta", "finish_reason"]
    }

    /// One element of `choices` (see `commonChunk`); false: not the common shape.
    private static func commonChoice(_ s: inout JSONScanner, into out: inout [ChatEvent]) throws -> Bool {
        var index: Int? = nil, finish: String? = nil
        var delta = OpenAIMapping.TextFields()
        let common = try s.readObject(Keys.choice) { s, member in
            switch member {
            case 0: index = try s.integer()
            case 1: return try s.readObject(OpenAIMapping.TextFields.keys) { s, field in try delta.read(&s, field: field) }
            default: finish = try s.stringOrNull()
            }
            return true
        }
        guard common else { return false }
        guard (index ?? 0) == 0 else { return true }
        if let r = delta.reasoningText, !r.isEmpty { out.append(.reasoningDelta(r)) }
        if let t = delta.content, !t.isEmpty { out.append(.textDelta(t)) }
        if let t = delta.refusal, !t.isEmpty { out.append(.textDelta(t)) }
        if let reason = finish { out.append(.finish(OpenAIMapping.finishReason(reason))) }
        return true
    }
}
