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
}
