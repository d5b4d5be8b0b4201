import LLMDomain
import Testing

/// Exact decimal text of money (scale 12) and prices (scale 6).
@Suite struct FixedPointTests {
    @Test func knownValues() {
        #expect(fixedPointString(0, scale: 12) == "0")
        #expect(fixedPointString(5, scale: 12) == "0.000000000005")
        #expect(fixedPointString(1_000_000_000_000, scale: 12) == "1")
        #expect(fixedPointString(10_500_000_000, scale: 12) == "0.0105")
        #expect(fixedPointString(-1_500_000, scale: 6) == "-1.5")
        #expect(fixedPointString(75_000, scale: 6) == "0.075")
        #expect(fixedPointString(123_000_000, scale: 6) == "123")
        #expect(fixedPointString(7, scale: 0) == "7")
        #expect(fixedPointString(Int64.max, scale: 12) == "9223372.036854775807")
        #expect(fixedPointString(Int64.min, scale: 12) == "-9223372.036854775808")
    }

    /// The same text as the plain string arithmetic it replaced, for many values.
    @Test func matchesStringArithmetic() {
        func reference(_ value: Int64, _ scale: Int) -> String {
            var digits = String(value.magnitude)
            if digits.count <= scale { digits = String(repeating: "0", count: scale - digits.count + 1) + digits }
            let split = digits.index(digits.endIndex, offsetBy: -scale)
            let whole = String(digits[..<split])
            var fraction = String(digits[split...])
            while fraction.last == "0" { fraction.removeLast() }
            let text = fraction.isEmpty ? whole : whole + "." + fraction
            return value < 0 ? "-" + text : text
        }
        var rng = SystemRandomNumberGenerator()
        for _ in 0..<20_000 {
            let magnitude = Int64.random(in: 0...Int64.max, using: &rng) >> Int64.random(in: 0...62, using: &rng)
            let value = Bool.random(using: &rng) ? magnitude : -magnitude
            for scale in [0, 6, 12] {
                #expect(fixedPointString(value, scale: scale) == reference(value, scale), "\(value) scale \(scale)")
            }
        }
    }
}
