import FoundationEssentials

// FoundationEssentials' Decimal has no NSDecimalRound and no NSDecimalNumber. These two
// helpers do what the code used them for, on the Decimal's positional text ("-12.345"),
// which is exact.
extension Decimal {
    /// The value as an Int64 when it is a whole number in range; nil otherwise (and for NaN).
    public var exactInt64: Int64? {
        let text = description
        guard let dot = text.firstIndex(of: ".") else { return Int64(text) }
        guard text[text.index(after: dot)...].allSatisfy({ $0 == "0" }) else { return nil }
        return Int64(text[..<dot])
    }

    /// Rounded to at most `scale` decimal places, halves away from zero (NSDecimalRound's `.plain`).
    public func rounded(scale: Int) -> Decimal {
        let text = description
        guard let dot = text.firstIndex(of: ".") else { return self }
        let fraction = text.utf8[text.utf8.index(after: dot)...]
        guard fraction.count > scale else { return self }
        let negative = text.hasPrefix("-")
        // The digits kept, as one string of ASCII digits without the point, then rounded up
        // in place when the first dropped digit is 5 or more.
        var digits = Array(text.utf8[text.utf8.index(text.startIndex, offsetBy: negative ? 1 : 0)..<dot])
        digits += fraction.prefix(scale)
        if fraction.dropFirst(scale).first! >= UInt8(ascii: "5") {
            var i = digits.count - 1
            while i >= 0 && digits[i] == UInt8(ascii: "9") { digits[i] = UInt8(ascii: "0"); i -= 1 }
            if i >= 0 { digits[i] += 1 } else { digits.insert(UInt8(ascii: "1"), at: 0) }
        }
        var out = negative ? "-" : ""
        out += String(decoding: digits.dropLast(scale), as: UTF8.self)
        if scale > 0 { out += "." + String(decoding: digits.suffix(scale), as: UTF8.self) }
        return Decimal(string: out) ?? self
    }
}
