import Foundation
import LLMHTTP
import LLMJSON

/// The baseline: the same upstream call the gateway makes, made by the bench itself with
/// LLMHTTP's `HTTPClient` (the client library the gateway uses), so the difference isolates
/// the gateway. Plain answers are parsed as JSON; streams are split into SSE events and every
/// content delta counts as one chunk, as the gateway forwards it.
final class DirectClient: @unchecked Sendable {
    let http = HTTPClient(configuration: .init(connectTimeout: 10, idleTimeout: 60))
    let url: String

    static let headers: [(String, String)] = [
        ("Authorization", "Bearer " + GatewaySetup.systemKey),
        ("content-type", "application/json"),
        ("Expect", ""),
    ]
    /// The body the gateway's OpenAI adapter sends for `Bench.chatParams`.
    static let plainBody = Array(#"{"model":"bench-model","messages":[{"role":"user","content":"Hello"}],"max_completion_tokens":100}"#.utf8)
    static let streamBody = Array(#"{"model":"bench-model","messages":[{"role":"user","content":"Hello"}],"max_completion_tokens":100,"stream":true,"stream_options":{"include_usage":true}}"#.utf8)
    static let contentDelta = Array(#""delta":{"content":"#.utf8)

    init(openAIBaseURL: String) {
        url = openAIBaseURL + "/chat/completions"
    }

    struct Result {
        var ok = false
        var sentNs: UInt64 = 0
        var firstChunkNs: UInt64 = 0
        var lastChunkNs: UInt64 = 0
        var doneNs: UInt64 = 0
        var chunks = 0
        var gaps: [UInt64] = []

        var latencyNs: UInt64 { doneNs &- sentNs }
        var ttfcNs: UInt64 { firstChunkNs &- sentNs }
    }

    /// One non-streamed completion, parsed.
    func plain() async -> Result {
        var r = Result()
        r.sentNs = nowNs()
        do {
            let resp = try await http.send(HTTPRequest(url: url, method: "POST", headers: Self.headers, body: Self.plainBody))
            let body = try await resp.body.collect(maxBytes: 1 << 24)
            let v = try JSONParser.parse(body)
            r.ok = resp.status == 200 && v["choices"] != nil
        } catch {
            r.ok = false
        }
        r.doneNs = nowNs()
        return r
    }

    /// One streamed completion: SSE events split on blank lines, content deltas counted.
    func stream(keepGaps: Bool = false) async -> Result {
        var r = Result()
        r.sentNs = nowNs()
        var sawDone = false
        do {
            let resp = try await http.send(HTTPRequest(url: url, method: "POST", headers: Self.headers, body: Self.streamBody))
            var pending: [UInt8] = []
            for try await bytes in resp.body {
                let now = nowNs()
                pending.append(contentsOf: bytes)
                // Complete events end with "\n\n".
                var start = 0
                var i = 0
                let n = pending.count
                while i + 1 < n {
                    if pending[i] == 0x0A && pending[i + 1] == 0x0A {
                        let isContent = pending.withUnsafeBufferPointer { b in
                            find(Self.contentDelta, in: UnsafeBufferPointer(rebasing: b[start..<i])) != nil
                        }
                        if isContent {
                            if r.firstChunkNs == 0 { r.firstChunkNs = now } else if keepGaps { r.gaps.append(now - r.lastChunkNs) }
                            r.lastChunkNs = now
                            r.chunks += 1
                        } else if i - start == 12, pending[start..<i].elementsEqual("data: [DONE]".utf8) {
                            sawDone = true
                        }
                        start = i + 2
                        i += 2
                    } else {
                        i += 1
                    }
                }
                if start > 0 { pending.removeFirst(start) }
            }
            r.ok = resp.status == 200 && sawDone
        } catch {
            r.ok = false
        }
        r.doneNs = nowNs()
        return r
    }
}
