import LLMDomain
import LLMJSON

/// Gemini's `alt=sse` stream (CRLF, `data:` only, no terminator) → unified events.
/// Function calls arrive whole and become one tool-call delta each; `usageMetadata` holds
/// running totals (the last one wins). The stream is complete once a chunk with a
/// `finishReason` and usage was seen (a blocked prompt also ends it).
public struct GeminiStreamParser: ProviderStreamParser {
    private var sse = SSEParser()
    private var toolCount = 0
    private var finishSeen = false
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
        if let c = e.withData({ Self.commonChunk($0) }) {
            out += c.parts
            if let reason = c.finishReason {
                out.append(.finish(GeminiMapping.finishReason(reason, hasFunctionCall: toolCount > 0)))
                finishSeen = true
            }
            if let u = c.usage {
                out.append(.usage(u))
                if finishSeen { completed = true }
            }
            return
        }
        anyChunk(e, atEnd: atEnd, into: &out)
    }

    /// The events of any chunk, from its parsed JSON.
    mutating func anyChunk(_ e: SSEEvent, atEnd: Bool, into out: inout [ChatEvent]) {
        guard let chunk = try? JSONParser.parse(e.data), chunk.objectValue != nil else {
            if !atEnd { out.append(.error(ProviderJSON.malformedEvent())) }
            return
        }
        if chunk.present("error") != nil {
            out.append(.error(GeminiMapping.error(chunk, rawBody: Array(e.data.utf8), status: 200, headers: [], key: nil)))
            return
        }
        var finish: FinishReason?
        let candidates = chunk.array("candidates")
        if let c = candidates.first(where: { ($0.int("index") ?? 0) == 0 }) {
            var hasFunctionCall = false
            for p in c["content"]?.array("parts") ?? [] {
                switch GeminiMapping.part(p) {
                case .text(let t): if !t.isEmpty { out.append(.textDelta(t)) }
                case .thought(let t): if !t.isEmpty { out.append(.reasoningDelta(t)) }
                case .functionCall(let call):
                    out.append(.toolCallDelta(index: toolCount, id: call.id, name: call.name, arguments: call.arguments))
                    toolCount += 1
                    hasFunctionCall = true
                case .other: break
                }
            }
            if let reason = c.string("finishReason") {
                finish = GeminiMapping.finishReason(reason, hasFunctionCall: hasFunctionCall || toolCount > 0)
            }
        } else if candidates.isEmpty, chunk["promptFeedback"]?.string("blockReason") != nil {
            finish = .contentFilter
        }
        if let finish {
            out.append(.finish(finish))
            finishSeen = true
        }
        if let u = chunk.present("usageMetadata") {
            out.append(.usage(GeminiMapping.usage(u)))
            if finishSeen { completed = true }
        } else if finish == .contentFilter, candidates.isEmpty {
            completed = true
        }
    }

    /// What the common chunk holds: its text and thought deltas, its raw finish reason, its usage.
    struct CommonChunk {
        var parts: [ChatEvent] = []
        var finishReason: String? = nil
        var usage: Usage? = nil
    }

    /// The common chunk — at most one candidate, with text or thought parts, a finish reason,
    /// usage metadata — read without building its JSON tree (only `usageMetadata` is parsed
    /// whole, and mapped as the full parse maps it). Anything else — function calls, several
    /// candidates, prompt feedback, an error, a duplicate or escaped key, an unexpected type,
    /// malformed JSON — gives nil, and `anyChunk` reads the chunk. When it answers, `handle`
    /// turns it into what `anyChunk` would give.
    static func commonChunk(_ bytes: UnsafeBufferPointer<UInt8>) -> CommonChunk? {
        var out = CommonChunk()
        var candidates = 0
        let common = JSONScanner.read(bytes) { s in
            try s.readObject(Keys.chunk) { s, member in
                switch member {
                case 0:
                    return try s.readArray { s in
                        candidates += 1
                        return try candidates == 1 && commonCandidate(&s, into: &out)
                    }
                case 1:
                    out.usage = try s.objectOrNull().map(GeminiMapping.usage)
                case 2: try s.null()  // error
                default: return false  // promptFeedback
                }
                return true
            }
        }
        return common ? out : nil
    }

    /// The members the fast path reads, by object.
    enum Keys {
        static let chunk: [StaticString] = ["candidates", "usageMetadata", "error", "promptFeedback"]
        static let candidate: [StaticString] = ["index", "finishReason", "content"]
        static let content: [StaticString] = ["parts"]
        static let part: [StaticString] = ["text", "thought", "functionCall"]
    }

    /// The one candidate (see `commonChunk`); false: not the common shape.
    private static func commonCandidate(_ s: inout JSONScanner, into out: inout CommonChunk) throws -> Bool {
        var index: Int? = nil, finish: String? = nil
        var parts: [ChatEvent] = []
        let common = try s.readObject(Keys.candidate) { s, member in
            switch member {
            case 0: index = try s.integer()
            case 1: finish = try s.stringOrNull()
            default:
                return try s.readObject(Keys.content) { s, _ in
                    try s.readArray { s in try commonPart(&s, into: &parts) }
                }
            }
            return true
        }
        guard common else { return false }
        guard (index ?? 0) == 0 else { return true }
        out.parts = parts
        out.finishReason = finish
        return true
    }

    /// One text or thought part; false: a function call or anything unexpected.
    private static func commonPart(_ s: inout JSONScanner, into parts: inout [ChatEvent]) throws -> Bool {
        var text: String? = nil, thought = false
        let common = try s.readObject(Keys.part) { s, member in
            switch member {
            case 0: text = try s.stringOrNull()
            case 1: if s.peek() == .bool { thought = try s.bool() } else { try s.skipValue() }
            default: try s.null()  // functionCall: null only
            }
            return true
        }
        guard common else { return false }
        if let text, !text.isEmpty { parts.append(thought ? .reasoningDelta(text) : .textDelta(text)) }
        return true
    }
}
