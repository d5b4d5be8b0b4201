// Shared by every fuzz target (compiled into each one; not part of the package).
#if canImport(Glibc)
import Glibc
#endif

/// A small deterministic PRNG (SplitMix64), seeded from the input itself so a crashing input
/// replays exactly, with the same chunk boundaries.
struct SplitMix64 {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    mutating func below(_ n: Int) -> Int { n <= 1 ? 0 : Int(next() % UInt64(n)) }
}

/// FNV-1a over the input: the seed of its chunking.
func fnv1a(_ bytes: [UInt8]) -> UInt64 {
    var h: UInt64 = 0xCBF2_9CE4_8422_2325
    for b in bytes { h = (h ^ UInt64(b)) &* 0x0000_0100_0000_01B3 }
    return h
}

/// Splits `bytes` into chunks: mostly short ones (1 to 8 bytes, to cut CRLFs, UTF-8 characters
/// and tokens), sometimes long ones, and sometimes empty ones.
func randomChunks(_ bytes: [UInt8], _ rng: inout SplitMix64) -> [[UInt8]] {
    var out: [[UInt8]] = []
    var i = 0
    while i < bytes.count {
        let n: Int
        switch rng.below(8) {
        case 0: n = 0
        case 1: n = 1 + rng.below(256)
        default: n = 1 + rng.below(8)
        }
        let end = min(bytes.count, i + n)
        out.append(Array(bytes[i..<end]))
        i = end
    }
    return out
}

/// Stops the run with a message; libFuzzer saves the input that got here.
func check(_ condition: @autoclosure () -> Bool, _ message: @autoclosure () -> String,
           file: StaticString = #file, line: UInt = #line) {
    if !condition() { fatalError("invariant violated: \(message())", file: file, line: line) }
}

/// Whether `FUZZ_SKIP` (comma-separated) names this known issue: a fuzzing run can then look past
/// it while it is open. `--regress` never sets it.
func skip(_ issue: String) -> Bool {
    guard let v = getenv("FUZZ_SKIP") else { return false }
    return String(cString: v).split(separator: ",").contains { $0 == issue }
}
