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
        var data = e.data
        if let events = data.withUTF8({ Self.commonChunk($0) }) {
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
        var s = JSONScanner(bytes)
        var out: [ChatEvent] = []
        do {
            try s.beginObject()
            var sawChoices = false
            while let key = try s.nextKey() {
                guard key.isPlain else { return nil }
                if key == "choices" {
                    guard !sawChoices else { return nil }
                    sawChoices = true
                    try s.beginArray()
                    while try s.nextElement() {
                        guard try commonChoice(&s, into: &out) else { return nil }
                    }
                } else if key == "usage" || key == "error" {
                    guard s.peek() == .null else { return nil }
                    try s.skipValue()
                } else {
                    try s.skipValue()
                }
            }
            try s.finish()
        } catch {
            return nil
        }
        return out
    }

    /// One element of `choices` (see `commonChunk`); false: not the common shape.
    private static func commonChoice(_ s: inout JSONScanner, into out: inout [ChatEvent]) throws -> Bool {
        var index: Int? = nil
        var content: String? = nil, refusal: String? = nil, reasoningContent: String? = nil, reasoning: String? = nil
        var finish: String? = nil
        var seen: UInt8 = 0
        func first(_ bit: UInt8) -> Bool {
            defer { seen |= bit }
            return seen & bit == 0
        }
        try s.beginObject()
        while let key = try s.nextKey() {
            guard key.isPlain else { return false }
            if key == "index" {
                guard first(1) else { return false }
                index = try s.integer()
            } else if key == "delta" {
                guard first(2) else { return false }
                try s.beginObject()
                while let k = try s.nextKey() {
                    guard k.isPlain else { return false }
                    if k == "content" {
                        guard first(4) else { return false }
                        content = try s.stringOrNull()
                    } else if k == "refusal" {
                        guard first(8) else { return false }
                        refusal = try s.stringOrNull()
                    } else if k == "reasoning_content" {
                        guard first(16) else { return false }
                        reasoningContent = try s.stringOrNull()
                    } else if k == "reasoning" {
                        guard first(32) else { return false }
                        reasoning = try s.stringOrNull()
                    } else if k == "tool_calls" {
                        guard s.peek() == .null else { return false }
                        try s.skipValue()
                    } else {
                        try s.skipValue()
                    }
                }
            } else if key == "finish_reason" {
                guard first(64) else { return false }
                finish = try s.stringOrNull()
            } else {
                try s.skipValue()
            }
        }
        guard (index ?? 0) == 0 else { return true }
        if let r = reasoningContent ?? reasoning, !r.isEmpty { out.append(.reasoningDelta(r)) }
        if let t = content, !t.isEmpty { out.append(.textDelta(t)) }
        if let t = refusal, !t.isEmpty { out.append(.textDelta(t)) }
        if let reason = finish { out.append(.finish(OpenAIMapping.finishReason(reason))) }
        return true
    }
}
