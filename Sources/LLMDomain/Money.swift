import FoundationEssentials
import LLMJSON

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
        guard let i = (usd * Money.scale).exactInt64 else { return nil }
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
        guard let i = (usdPerMillion * PricePerMillion.perMillionScale).exactInt64,
              i < Int64.max / 1_000_000_000 else { return nil }
        self.picodollarsPerToken = i
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
    // Digits from the right into a stack buffer, then the text written once into the string
    // (two arrays and a copy per amount were ~1.8 k instructions; a chat answer writes three).
    withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 24 + max(0, scale)) { digits in
        var magnitude = value.magnitude
        var n = 0
        repeat {
            digits[n] = UInt8(48 + magnitude % 10)
            magnitude /= 10
            n += 1
        } while magnitude > 0
        while n <= scale { digits[n] = 48; n += 1 }  // at least one digit before the point
        var fractionEnd = 0  // trailing zeros of the fraction are dropped
        while fractionEnd < scale && digits[fractionEnd] == 48 { fractionEnd += 1 }
        let length = (value < 0 ? 1 : 0) + (n - scale) + (fractionEnd < scale ? 1 + scale - fractionEnd : 0)
        return String(unsafeUninitializedCapacity: length) { out in
            var o = 0
            if value < 0 { out[o] = UInt8(ascii: "-"); o += 1 }
            for i in stride(from: n - 1, through: scale, by: -1) { out[o] = digits[i]; o += 1 }
            if fractionEnd < scale {
                out[o] = UInt8(ascii: "."); o += 1
                for i in stride(from: scale - 1, through: fractionEnd, by: -1) { out[o] = digits[i]; o += 1 }
            }
            return o
        }
    }
}

extension Money {
    /// Exact dollars as decimal text ("0.0105").
    public var decimalString: String { fixedPointString(picodollars, scale: 12) }
}

extension PricePerMillion {
    /// Exact dollars per million tokens as decimal text ("0.075").
    public var decimalString: String { fixedPointString(picodollarsPerToken, scale: 6) }
}
