/// What the connection handler does for one request: a precomputed list of steps.
enum FakeReply {
    /// Read the request, never answer.
    case hang
    /// Send a response head, then run the steps in order.
    case respond(FakePlan)
}

/// A response: head, then steps. When the steps run out, the response is ended (chunked terminator).
struct FakePlan {
    var status: Int
    var headers: [(String, String)]
    /// Sets `content-length`; nil means chunked transfer encoding.
    var contentLength: Int?
    /// A stream flushes the head at once and each body step as its own write+flush;
    /// otherwise the whole response is flushed once at the end.
    var streaming: Bool
    var steps: [FakeStep]

    /// A complete JSON response with a content length.
    static func json(status: Int, body: String, headers: [(String, String)] = [], contentType: String = "application/json") -> FakePlan {
        FakePlan(status: status,
                 headers: [("content-type", contentType)] + headers,
                 contentLength: body.utf8.count,
                 streaming: false,
                 steps: [.body(body)])
    }
}

enum FakeStep {
    /// Write these bytes (flushed at once in a streaming plan).
    case body(String)
    /// Wait this long (an event-loop scheduled task) before the next step.
    case delay(milliseconds: Int)
    /// Write this many filler bytes, in bounded pieces, each after the previous was written.
    case filler(bytes: Int)
    /// Close the connection (no response end).
    case close
    /// Wait until the gate is opened.
    case gate(FakeGate)
}

/// A provider-neutral description of a successful (or deliberately broken) answer.
struct FakeAnswer {
    enum Ending {
        case complete
        /// The provider's in-stream error event after the content deltas.
        case errorMidStream
        /// Close the connection before the usage-bearing event.
        case dropBeforeUsage
    }

    struct Tool {
        var id: String?
        var name: String
        var argumentsChunks: [String]
        var thoughtSignature: String? = nil
        var arguments: String {
            let joined = argumentsChunks.joined()
            return joined.isEmpty ? "{}" : joined
        }
    }

    var text: [String]
    var reasoning: [String] = []
    var tool: Tool? = nil
    var usage: FakeUsage
    var finish: FakeFinish = .stop
    var delayMs: Int = 0
    var ending: Ending = .complete
    /// Nothing after the response head (and the first `gateAfterDeltas` deltas of a stream)
    /// until this gate opens.
    var gate: FakeGate? = nil
    var gateAfterDeltas = 0

    /// What a stream sends before its next content delta, `sent` deltas in: a slow stream's
    /// delay, and the gate where a held stream stops after its first deltas.
    func pause(afterDeltas sent: Int) -> [FakeStep] {
        var steps: [FakeStep] = []
        if delayMs > 0 { steps.append(.delay(milliseconds: delayMs)) }
        if let gate, gateAfterDeltas > 0, sent == gateAfterDeltas { steps.append(.gate(gate)) }
        return steps
    }

    /// The gate an answer waits at before its first body step: a held plain answer, or a
    /// stream held before its first delta.
    func gateBeforeBody(streaming: Bool) -> FakeGate? {
        gateAfterDeltas == 0 || !streaming ? gate : nil
    }
}

extension FakeScenario {
    /// The answer this scenario streams, or nil for the error / transport scenarios.
    var answer: FakeAnswer? {
        switch self {
        case let .text(chunks, usage, finish, delay, reasoning):
            return FakeAnswer(text: chunks, reasoning: reasoning, usage: usage, finish: finish, delayMs: delay)
        case let .toolCall(id, name, argumentsChunks, text, usage, signature):
            return FakeAnswer(text: text.map { [$0] } ?? [],
                              tool: .init(id: id, name: name, argumentsChunks: argumentsChunks, thoughtSignature: signature),
                              usage: usage)
        case let .errorMidStream(chunks, usage):
            return FakeAnswer(text: chunks, usage: usage, ending: .errorMidStream)
        case let .dropBeforeUsage(chunks, usage):
            return FakeAnswer(text: chunks, usage: usage, ending: .dropBeforeUsage)
        case let .slowStream(chunks, usage, delay):
            return FakeAnswer(text: chunks, usage: usage, delayMs: delay)
        case let .held(chunks, usage, gate, after):
            return FakeAnswer(text: chunks, usage: usage, gate: gate, gateAfterDeltas: after)
        case .httpError, .rateLimited, .overloaded, .insufficientQuota, .hang, .hugeBody, .reset:
            return nil
        }
    }
}

extension FakePlan {
    /// This plan, waiting at `gate` (if any) before its first body step.
    func held(at gate: FakeGate?) -> FakePlan {
        guard let gate else { return self }
        var plan = self
        plan.steps.insert(.gate(gate), at: 0)
        return plan
    }

    /// A non-streaming body cut in half, then the connection closed (content-length promises all of it).
    static func truncated(body: String, contentType: String = "application/json") -> FakePlan {
        let bytes = Array(body.utf8)
        let half = String(decoding: bytes[0..<(bytes.count / 2)], as: UTF8.self)
        return FakePlan(status: 200, headers: [("content-type", contentType)], contentLength: bytes.count,
                        streaming: false, steps: [.body(half), .close])
    }

    /// `.hugeBody`: `{"data":"aaaa…"}` of exactly `bytes` bytes.
    static func huge(bytes: Int) -> FakePlan {
        let prefix = "{\"data\":\""
        let suffix = "\"}"
        let steps: [FakeStep]
        if bytes >= prefix.utf8.count + suffix.utf8.count {
            steps = [.body(prefix), .filler(bytes: bytes - prefix.utf8.count - suffix.utf8.count), .body(suffix)]
        } else {
            steps = [.filler(bytes: max(0, bytes))]
        }
        return FakePlan(status: 200, headers: [("content-type", "application/json")], contentLength: max(0, bytes),
                        streaming: true, steps: steps)
    }

    /// `.reset`: a 200 head announcing a stream, then the connection closes.
    static func reset(contentType: String) -> FakePlan {
        FakePlan(status: 200, headers: [("content-type", contentType)], contentLength: nil, streaming: true, steps: [.close])
    }
}
