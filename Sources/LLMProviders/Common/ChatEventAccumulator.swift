import LLMDomain

/// Folds a stream's `ChatEvent`s into the answer they add up to: text and reasoning
/// concatenated, tool-call fragments assembled by index, the latest usage snapshot and
/// finish reason kept, errors collected.
public struct ChatEventAccumulator: Sendable {
    public private(set) var text = ""
    public private(set) var reasoning = ""
    /// Tool calls in the order their first fragment arrived; `arguments` is the concatenation of the fragments.
    public private(set) var toolCalls: [ToolCall] = []
    /// The latest usage snapshot, nil until the provider sent one.
    public private(set) var usage: Usage?
    public private(set) var finishReason: FinishReason?
    public private(set) var errors: [ProviderError] = []
    private var slotByIndex: [Int: Int] = [:]

    public init() {}

    public mutating func add(_ event: ChatEvent) {
        switch event {
        case .textDelta(let t): text += t
        case .reasoningDelta(let t): reasoning += t
        case .toolCallDelta(let index, let id, let name, let arguments):
            let slot: Int
            if let s = slotByIndex[index] {
                slot = s
            } else {
                slot = toolCalls.count
                slotByIndex[index] = slot
                toolCalls.append(ToolCall(id: "", name: "", arguments: ""))
            }
            if let id, toolCalls[slot].id.isEmpty { toolCalls[slot].id = id }
            if let name, toolCalls[slot].name.isEmpty { toolCalls[slot].name = name }
            toolCalls[slot].arguments += arguments
        case .usage(let u): usage = u
        case .finish(let f): finishReason = f
        case .error(let e): errors.append(e)
        }
    }

    public mutating func add(_ events: [ChatEvent]) { for e in events { add(e) } }

    /// The answer so far; `finishReason` defaults to `.stop` when none was seen.
    public var response: ChatResponse {
        ChatResponse(text: text, reasoning: reasoning, toolCalls: toolCalls, finishReason: finishReason ?? .stop, usage: usage)
    }
}
