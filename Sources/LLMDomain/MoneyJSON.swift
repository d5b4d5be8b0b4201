import LLMJSON

extension JSONValue {
    /// Dollars as an exact JSON number.
    public static func money(_ m: Money) -> JSONValue { .number(JSONNumber(literal: m.decimalString)) }
    public static func money(_ m: Money?) -> JSONValue { m.map { .money($0) } ?? .null }
    /// Dollars per million tokens as an exact JSON number.
    public static func price(_ p: PricePerMillion?) -> JSONValue {
        p.map { .number(JSONNumber(literal: $0.decimalString)) } ?? .null
    }
}
