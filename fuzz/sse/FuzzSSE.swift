// fuzz-sse-<provider>: one provider adapter's stream parser, JSON response parser and error
// classifier on arbitrary bytes. The provider is chosen at compile time:
// -D FUZZ_ANTHROPIC, -D FUZZ_OPENAI or -D FUZZ_GEMINI.
//
// Invariants checked on every input:
// 1. No crash in `makeStreamParser().feed/finish`, `parseResponse(body:)`, `parseError(...)`.
// 2. The stream parser's events and `completed` do not depend on how the bytes are chunked:
//    whole == random chunks (+ empty chunks) == one byte at a time (short inputs).
// 3. `parseError` keeps the status, never returns the API key in its message, whatever the body
//    holds, and gives no negative retry delay.
// 4. The fast paths that read common chunks and answers without a JSON tree (`commonChunk`,
//    `commonDelta`, `commonResponse`) answer, whenever they answer, what the full parse gives.
import LLMDomain
import LLMJSON
@testable import LLMProviders

#if FUZZ_ANTHROPIC
let provider = Provider.anthropic
let apiKey = SecretKey("sk-ant-api03-FuzzKey0123456789abcdefABCDEF")
#elseif FUZZ_OPENAI
let provider = Provider.openai
let apiKey = SecretKey("sk-proj-FuzzKey0123456789abcdefABCDEF")
#else
let provider = Provider.google
let apiKey = SecretKey("AIzaSyFuzzKey0123456789abcdefABCDEFGHIJ")
#endif

let adapter = ProviderAdapters.adapter(for: provider)

/// Whether `id` is one the adapter made up for a tool call without one (`call_` and 24 random hex
/// digits, different on every run) rather than one read from the input.
func isGeneratedToolCallID(_ id: String, input: [UInt8]) -> Bool {
    let u = Array(id.utf8)
    guard u.count == 29, id.hasPrefix("call_"), u[5...].allSatisfy({ (0x30...0x39).contains($0) || (0x61...0x66).contains($0) })
    else { return false }
    return !input.indices.contains { i in input[i...].starts(with: u) }
}

func parse(_ chunks: [[UInt8]], input: [UInt8]) -> (events: [ChatEvent], completed: Bool) {
    var parser = adapter.makeStreamParser()
    var events: [ChatEvent] = []
    for c in chunks { events += parser.feed(c) }
    events += parser.finish()
    // Generated ids are random by design: compare them as one placeholder.
    events = events.map { e in
        if case .toolCallDelta(let index, let id?, let name, let arguments) = e, isGeneratedToolCallID(id, input: input) {
            return .toolCallDelta(index: index, id: "call_<generated>", name: name, arguments: arguments)
        }
        return e
    }
    return (events, parser.completed)
}

/// Describes a difference for the crash message.
func describe(_ r: (events: [ChatEvent], completed: Bool)) -> String {
    "completed=\(r.completed) events=\(r.events)"
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    var rng = SplitMix64(seed: fnv1a(bytes))
    // `FUZZ_SKIP=retry-after` also passes over Gemini bodies with a retry delay (same known issue).
    if skip("retry-after"), bytes.indices.contains(where: { bytes[$0...].starts(with: Array("etryDelay".utf8)) }) { return 0 }

    // 1-2. The stream parser.
    let whole = parse([bytes], input: bytes)
    let split = parse(randomChunks(bytes, &rng), input: bytes)
    check(split == whole, "chunked parse differs:\n whole: \(describe(whole))\n split: \(describe(split))")
    if bytes.count <= 1024 {
        let single = parse(bytes.map { [$0] }, input: bytes)
        check(single == whole, "byte-by-byte parse differs:\n whole: \(describe(whole))\n bytes: \(describe(single))")
    }

    // 1. The non-streaming body.
    _ = try? adapter.parseResponse(body: bytes)

    // 4. Fast paths against the full parse, event by event (each on a fresh parser).
    var sse = SSEParser()
    for e in sse.feed(bytes) + sse.finish() { checkFastPath(e) }
    #if FUZZ_OPENAI
    if let fast = bytes.withUnsafeBufferPointer({ OpenAIAdapter.commonResponse($0) }) {
        let full = try? OpenAIAdapter.anyResponse(body: bytes)
        check(full == fast, "commonResponse differs from the full parse:\n fast: \(fast)\n full: \(String(describing: full))")
    }
    #endif

    // 1, 3. The error classifier: a NUL byte, if any, separates a retry-after header value from the body.
    // Each header name in turn (`FUZZ_SKIP=retry-after` leaves the headers out, to look past a known issue).
    var headerSets: [[(String, String)]] = [[]]
    var body = bytes
    if let nul = bytes.firstIndex(of: 0) {
        let value = String(decoding: bytes[..<nul], as: UTF8.self)
        if !skip("retry-after") { headerSets = [[("Retry-After", value)], [("retry-after-ms", value)]] }
        body = Array(bytes[(nul + 1)...])
    }
    let status = [400, 401, 403, 404, 408, 413, 429, 500, 502, 503, 504, 529][rng.below(12)]
    for headers in headerSets {
        for key in [apiKey, nil] as [SecretKey?] {
            let e = adapter.parseError(status: status, headers: headers, body: body, apiKey: key)
            check(e.status == status, "status changed: \(e.status) != \(status)")
            if key != nil { check(!e.message.contains(apiKey.reveal), "the API key leaked into the message: \(e.message)") }
            if let ms = e.retryAfterMs { check(ms >= 0, "negative retryAfterMs \(ms)") }
        }
    }
    return 0
}

/// Invariant 4 for one event: where the provider's fast path answers, the full parse agrees.
func checkFastPath(_ e: SSEEvent) {
    #if FUZZ_OPENAI
    if e.data.hasPrefix("[DONE]") { return }
    guard let fast = e.withData({ OpenAIStreamParser.commonChunk($0) }) else { return }
    var full: [ChatEvent] = []
    OpenAIStreamParser.anyChunk(e.data, atEnd: false, into: &full)
    check(fast == full, "OpenAI commonChunk differs:\n data: \(e.data)\n fast: \(fast)\n full: \(full)")
    #elseif FUZZ_ANTHROPIC
    guard e.event == nil || e.event == "content_block_delta",
          let fast = e.withData({ AnthropicStreamParser.commonDelta($0, eventName: e.event) }) else { return }
    var parser = AnthropicStreamParser()
    var full: [ChatEvent] = []
    parser.anyEvent(e, atEnd: false, into: &full)
    check(fast == full, "Anthropic commonDelta differs:\n event: \(String(describing: e.event)) data: \(e.data)\n fast: \(fast)\n full: \(full)")
    #else
    guard e.withData({ GeminiStreamParser.commonChunk($0) }) != nil else { return }
    // Through `feed` (which takes the fast path) and through the full parse, on fresh parsers.
    var viaFeed = GeminiStreamParser()
    let text = e.data.split(separator: "\n", omittingEmptySubsequences: false).map { "data: " + $0 }.joined(separator: "\n") + "\n\n"
    let fast = viaFeed.feed(Array(text.utf8))
    var viaFull = GeminiStreamParser()
    var full: [ChatEvent] = []
    viaFull.anyChunk(e, atEnd: false, into: &full)
    check(fast == full && viaFeed.completed == viaFull.completed,
          "Gemini commonChunk differs:\n data: \(e.data)\n fast: \(fast) \(viaFeed.completed)\n full: \(full) \(viaFull.completed)")
    #endif
}
