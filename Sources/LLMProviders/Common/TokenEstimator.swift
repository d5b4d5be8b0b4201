import LLMDomain

/// A rough token count for when a provider reports no usage (about 4 UTF-8 bytes per token).
public enum TokenEstimator {
    /// Tokens added per message for its role and framing.
    public static let perMessageOverhead = 4

    /// ceil(utf8 bytes / 4): 0 for "", at least 1 otherwise.
    public static func estimate(text: String) -> Int {
        let n = text.utf8.count
        return n == 0 ? 0 : (n + 3) / 4
    }

    /// Each message's content, tool-call names and arguments and tool-call id (without a
    /// signature it carries),
    /// plus `perMessageOverhead` per message.
    public static func estimate(messages: [ChatMessage]) -> Int {
        var total = 0
        for m in messages {
            total += perMessageOverhead + estimate(text: m.content)
            for c in m.toolCalls { total += estimate(text: c.name) + estimate(text: c.arguments) }
            // A Gemini thought signature carried in the id is opaque state, not text the model reads.
            if let id = m.toolCallId { total += estimate(text: ToolCallID.split(id).id) }
        }
        return total
    }
}
