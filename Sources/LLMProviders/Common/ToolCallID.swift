/// Unique ids for tool calls a provider left without one.
enum ToolCallID {
    /// "call_" and 24 random hex digits.
    static func make() -> String {
        var g = SystemRandomNumberGenerator()
        let a = g.next() as UInt64, b = g.next() as UInt32
        return "call_" + hex(a, width: 16) + hex(UInt64(b), width: 8)
    }

    private static func hex(_ v: UInt64, width: Int) -> String {
        let s = String(v, radix: 16)
        return String(repeating: "0", count: max(0, width - s.count)) + s
    }
}
