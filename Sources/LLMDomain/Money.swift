import Foundation

/// An exact amount of US dollars, counted in picodollars (1e-12 USD) as a 64-bit integer.
/// Prices per million tokens with up to six decimals are whole picodollars per token, so every
/// cost is an exact integer product and SQL sums stay exact. Range: about ±9.2 million USD.
public struct Money: Sendable, Hashable, Comparable, Codable, CustomStringConvertible {
    public var picodollars: Int64
    public init(picodollars: Int64) { self.picodollars = picodollars }

    public static let zero = Money(picodollars: 0)
    static let scale = Decimal(sign: .plus, exponent: 12, significand: 1)

    /// nil when `usd` has more than 12 decimals or is out of range.
    public init?(usd: Decimal) {
        let scaled = usd * Money.scale
        var s = scaled
        var r = Decimal()
        NSDecimalRound(&r, &s, 0, .plain)
        guard r == scaled, let i = Int64(exactly: NSDecimalNumber(decimal: r).int64Value),
              Decimal(i) == r else { return nil }
        self.picodollars = i
    }

    /// Exact decimal dollars ("0.0105").
    public var usd: Decimal { Decimal(picodollars) / Money.scale }
    public var description: String { "\(usd)" }

    public static func + (a: Money, b: Money) -> Money { Money(picodollars: a.picodollars + b.picodollars) }
    public static func - (a: Money, b: Money) -> Money { Money(picodollars: a.picodollars - b.picodollars) }
    public static func < (a: Money, b: Money) -> Bool { a.picodollars < b.picodollars }
}

/// A price in USD per million tokens, kept exactly as picodollars per token
/// ($3/M = 3,000,000 pico/token). Prices with more than six decimals per million are refused.
public struct PricePerMillion: Sendable, Hashable, Codable, CustomStringConvertible {
    public var picodollarsPerToken: Int64
    public init(picodollarsPerToken: Int64) { self.picodollarsPerToken = picodollarsPerToken }

    static let perMillionScale = Decimal(sign: .plus, exponent: 6, significand: 1)

    /// From dollars per million tokens; nil if negative, too precise or too large.
    public init?(usdPerMillion: Decimal) {
        guard usdPerMillion >= 0 else { return nil }
        let scaled = usdPerMillion * PricePerMillion.perMillionScale
        var s = scaled
        var r = Decimal()
        NSDecimalRound(&r, &s, 0, .plain)
        guard r == scaled, r < Decimal(Int64.max / 1_000_000_000) else { return nil }
        self.picodollarsPerToken = NSDecimalNumber(decimal: r).int64Value
    }

    /// From dollars per single token (LiteLLM's unit, "3e-06"); nil if not exact in picodollars.
    public init?(usdPerToken: Decimal) {
        self.init(usdPerMillion: usdPerToken * PricePerMillion.perMillionScale)
    }

    public var usdPerMillion: Decimal { Decimal(picodollarsPerToken) / PricePerMillion.perMillionScale }
    public var description: String { "\(usdPerMillion)/M" }

    /// The exact cost of `tokens` tokens at this price.
    public func cost(tokens: Int) -> Money {
        Money(picodollars: Int64(tokens) * picodollarsPerToken)
    }
}

/// Exact decimal text from a fixed-point integer, without Decimal arithmetic (which is slow):
/// `fixedPoint(3_750_000, scale: 6)` is "3.75", `fixedPoint(-5, scale: 12)` is "-0.000000000005".
public func fixedPointString(_ value: Int64, scale: Int) -> String {
    let negative = value < 0
    let magnitude = value.magnitude
    var digits = String(magnitude)
    if digits.count <= scale { digits = String(repeating: "0", count: scale - digits.count + 1) + digits }
    let split = digits.index(digits.endIndex, offsetBy: -scale)
    var whole = String(digits[..<split])
    var fraction = String(digits[split...])
    while fraction.last == "0" { fraction.removeLast() }
    if whole.isEmpty { whole = "0" }
    let text = fraction.isEmpty ? whole : whole + "." + fraction
    return negative ? "-" + text : text
}

extension Money {
    /// Exact dollars as decimal text ("0.0105").
    public var decimalString: String { fixedPointString(picodollars, scale: 12) }
}

extension PricePerMillion {
    /// Exact dollars per million tokens as decimal text ("0.075").
    public var decimalString: String { fixedPointString(picodollarsPerToken, scale: 6) }
}
