import LLMJSON

/// A request id, echoed back exactly as received (a string or a number literal).
public enum RPCID: Sendable, Hashable, CustomStringConvertible {
    case number(JSONNumber)
    case string(String)

    public init?(_ value: JSONValue) {
        switch value {
        case .string(let s): self = .string(s)
        case .number(let n): self = .number(n)
        default: return nil
        }
    }

    public var json: JSONValue {
        switch self {
        case .number(let n): return .number(n)
        case .string(let s): return .string(s)
        }
    }

    public var description: String { JSONWriter.string(json) }
}
