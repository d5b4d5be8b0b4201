import LLMDomain
import LLMJSON

/// Anthropic's SSE stream → unified events. Text, thinking and tool-input deltas pass through;
/// usage starts from `message_start` and each `message_delta` replaces the fields it carries.
public struct AnthropicStreamParser: ProviderStreamParser {
    private var sse = SSEParser()
    private var counters = AnthropicMapping.Counters()
    /// Content block index → tool call index (counted among tool_use blocks only).
    private var toolIndexByBlock: [Int: Int] = [:]
    public private(set) var completed = false

    private static let known: Set<String> = [
        "message_start", "content_block_start", "content_block_delta", "content_block_stop",
        "message_delta", "message_stop", "error",
    ]

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
        if let name = e.event, !Self.known.contains(name) { return }  // ping and future event types
        if e.event == nil || e.event == "content_block_delta" {
            if let events = e.withData({ Self.commonDelta($0, eventName: e.event) }) {
                out += events
                return
            }
        }
        anyEvent(e, atEnd: atEnd, into: &out)
    }

    /// The events of any event, from its parsed JSON.
    mutating func anyEvent(_ e: SSEEvent, atEnd: Bool, into out: inout [ChatEvent]) {
        guard let json = try? JSONParser.parse(e.data), json.objectValue != nil else {
            if !atEnd { out.append(.error(ProviderJSON.malformedEvent())) }
            return
        }
        switch e.event ?? json.string("type") ?? "" {
        case "message_start":
            if let u = json["message"]?.present("usage") {
                counters.merge(u)
                out.append(.usage(counters.usage))
            }
        case "content_block_start":
            let block = json["content_block"] ?? .null
            let index = json.int("index") ?? 0
            switch block.string("type") {
            case "tool_use":
                let toolIndex = toolIndexByBlock.count
                toolIndexByBlock[index] = toolIndex
                out.append(.toolCallDelta(index: toolIndex, id: block.string("id") ?? ToolCallID.make(),
                                          name: block.string("name") ?? "", arguments: ""))
            case "text":
                if let t = block.string("text"), !t.isEmpty { out.append(.textDelta(t)) }
            case "thinking":
                if let t = block.string("thinking"), !t.isEmpty { out.append(.reasoningDelta(t)) }
            default: break
            }
        case "content_block_delta":
            let d = json["delta"] ?? .null
            switch d.string("type") {
            case "text_delta":
                if let t = d.string("text"), !t.isEmpty { out.append(.textDelta(t)) }
            case "thinking_delta":
                if let t = d.string("thinking"), !t.isEmpty { out.append(.reasoningDelta(t)) }
            case "input_json_delta":
                if let p = d.string("partial_json"), !p.isEmpty, let i = json.int("index"), let toolIndex = toolIndexByBlock[i] {
                    out.append(.toolCallDelta(index: toolIndex, id: nil, name: nil, arguments: p))
                }
            default: break  // signature_delta, citations_delta
            }
        case "message_delta":
            if let reason = json["delta"]?.string("stop_reason") {
                out.append(.finish(AnthropicMapping.finishReason(reason)))
            }
            if let u = json.present("usage") {
                counters.merge(u)
                out.append(.usage(counters.usage))
            }
        case "message_stop":
            completed = true
        case "error":
            out.append(.error(AnthropicMapping.error(json, rawBody: Array(e.data.utf8), status: 200, headers: [], key: nil)))
        default:
            break
        }
    }

    /// The events of the common event, a text or thinking `content_block_delta`, read without
    /// building its JSON tree (most of a streamed chunk's cost). Anything else — another event
    /// type, a tool-input delta (it needs the block's tool index), a duplicate or escaped key,
    /// an unexpected type, malformed JSON — gives nil, and the full parse reads the event. When
    /// it answers, it answers what the full parse would. `eventName`: the SSE `event:` field.
    static func commonDelta(_ bytes: UnsafeBufferPointer<UInt8>, eventName: String?) -> [ChatEvent]? {
        var type: String? = nil, deltaType: String? = nil, text: String? = nil, thinking: String? = nil
        let common = JSONScanner.read(bytes) { s in
            try s.readObject(eventName == nil ? Keys.event : Keys.namedEvent) { s, member in
                if member == 1 {
                    type = try s.string()
                    return true
                }
                return try s.readObject(Keys.delta) { s, field in
                    switch field {
                    case 0: deltaType = try s.string()
                    case 1: text = try s.stringOrNull()
                    default: thinking = try s.stringOrNull()
                    }
                    return true
                }
            }
        }
        guard common else { return nil }
        guard (eventName ?? type) == "content_block_delta" else { return nil }
        switch deltaType {
        case "text_delta": return text.map { $0.isEmpty ? [] : [.textDelta($0)] } ?? []
        case "thinking_delta": return thinking.map { $0.isEmpty ? [] : [.reasoningDelta($0)] } ?? []
        case "input_json_delta": return nil
        default: return []
        }
    }

    /// The members `commonDelta` reads, by object (the JSON's own type only without an `event:`).
    enum Keys {
        static let event: [StaticString] = ["delta", "type"]
        static let namedEvent: [StaticString] = ["delta"]
        static let delta: [StaticString] = ["type", "text", "thinking"]
    }
}
