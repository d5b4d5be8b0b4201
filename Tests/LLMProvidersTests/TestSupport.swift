import LLMDomain
import LLMJSON
@testable import LLMProviders

/// A small deterministic generator, so random splits are reproducible.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// How a body is cut into the pieces fed to a parser.
enum Split: CustomStringConvertible, CaseIterable {
    case whole, byteByByte, random1, random2, random3

    var description: String {
        switch self {
        case .whole: return "whole"
        case .byteByByte: return "byte by byte"
        case .random1: return "random seed 1"
        case .random2: return "random seed 2"
        case .random3: return "random seed 3"
        }
    }

    func pieces(_ bytes: [UInt8]) -> [[UInt8]] {
        switch self {
        case .whole: return [bytes]
        case .byteByByte: return bytes.map { [$0] }
        case .random1, .random2, .random3:
            let seed: UInt64 = self == .random1 ? 1 : self == .random2 ? 2 : 3
            var g = SplitMix64(seed: seed)
            var out: [[UInt8]] = []
            var i = 0
            while i < bytes.count {
                let n = Int.random(in: 1...17, using: &g)
                out.append(Array(bytes[i..<min(bytes.count, i + n)]))
                i += n
            }
            return out
        }
    }
}

/// The result of replaying a body through a stream parser.
struct Replay {
    var events: [ChatEvent]
    var completed: Bool
    var acc: ChatEventAccumulator

    var usageEvents: [Usage] { events.compactMap { if case .usage(let u) = $0 { return u } else { return nil } } }
    var errors: [ProviderError] { acc.errors }
}

func replay(_ provider: Provider, _ body: String, split: Split = .whole) -> Replay {
    replay(provider, Array(body.utf8), split: split)
}

func replay(_ provider: Provider, _ body: [UInt8], split: Split = .whole) -> Replay {
    var parser = ProviderAdapters.adapter(for: provider).makeStreamParser()
    var events: [ChatEvent] = []
    for piece in split.pieces(body) { events += parser.feed(piece) }
    events += parser.finish()
    var acc = ChatEventAccumulator()
    acc.add(events)
    return Replay(events: events, completed: parser.completed, acc: acc)
}

func parsedBody(_ r: UpstreamRequest) throws -> JSONValue { try JSONParser.parse(r.body) }

func bytes(_ s: String) -> [UInt8] { Array(s.utf8) }

func header(_ name: String, _ r: UpstreamRequest) -> String? {
    r.headers.first { $0.0.lowercased() == name.lowercased() }?.1
}
