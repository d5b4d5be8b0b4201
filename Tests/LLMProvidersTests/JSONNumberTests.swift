import LLMJSON
import Testing

/// JSONNumber keeps its literal; equal values (whatever the spelling) must be equal and hash
/// alike, since request ids (RPCID) are dictionary keys.
@Suite struct JSONNumberTests {
    @Test(arguments: [
        ["7", "7.0", "7e0", "70e-1", "0.7e1"],
        ["-3", "-3.00", "-0.3e1"],
        ["0", "-0", "0.0", "0e5"],
        ["0.25", "2.5e-1", "25e-2"],
        ["12345678901234567890", "1.234567890123456789e19"],
    ])
    func equalSpellingsAreEqualAndHashAlike(_ spellings: [String]) {
        let numbers = spellings.map(JSONNumber.init(literal:))
        for a in numbers {
            for b in numbers {
                #expect(a == b, "\(a) == \(b)")
                #expect(a.hashValue == b.hashValue, "hash(\(a)) == hash(\(b))")
            }
        }
        #expect(Set(numbers).count == 1)
    }

    @Test func differentValuesStayApart() {
        let numbers = ["1", "2", "1.5", "-1", "1e3", "999", "0.1"].map(JSONNumber.init(literal:))
        #expect(Set(numbers).count == 7)
        var seen: [JSONNumber: Int] = [:]
        for (i, n) in numbers.enumerated() { seen[n] = i }
        #expect(seen[JSONNumber(literal: "1000")] == 4)
        #expect(seen[JSONNumber(literal: "15e-1")] == 2)
    }
}
