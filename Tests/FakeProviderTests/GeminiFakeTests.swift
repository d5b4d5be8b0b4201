import FakeProvider
import Testing

@Suite struct GeminiFakeTests {
    static func element(_ text: String, candidates: Int, finish: Bool) -> String {
        #"{"candidates":[{"content":{"parts":[{"text":""# + text + #""}],"role":"model"}"# + (finish ? #","finishReason":"STOP""# : "")
            + #","index":0}],"usageMetadata":{"promptTokenCount":11,"candidatesTokenCount":"# + String(candidates)
            + #","totalTokenCount":"# + String(11 + candidates) + #"},"modelVersion":"gemini-2.5-flash","responseId":"3w4Vad6yF-y1vdIP_q_zgAw"}"#
    }

    @Test func sseStreamUsesCRLFRunningTotalsAndNoTerminator() async throws {
        try await withFakeServer { server in
            let response = try await exchange(port: server.port, path: "/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse",
                                              headers: geminiHeaders, body: #"{"contents":[]}"#)
            #expect(response.status == 200)
            #expect(response.header("content-type") == "text/event-stream")
            #expect(response.chunkTexts == [
                "data: " + Self.element("Hello", candidates: 2, finish: false) + "\r\n\r\n",
                "data: " + Self.element(" there", candidates: 4, finish: false) + "\r\n\r\n",
                "data: " + Self.element("!", candidates: 6, finish: true) + "\r\n\r\n",
            ])
        }
    }

    @Test func streamWithoutAltSSEIsOneJSONArray() async throws {
        try await withFakeServer { server in
            let response = try await exchange(port: server.port, path: "/v1beta/models/gemini-2.5-flash:streamGenerateContent",
                                              headers: geminiHeaders, body: "{}")
            #expect(response.status == 200)
            #expect(response.header("content-type") == "application/json; charset=UTF-8")
            #expect(response.text == "[" + Self.element("Hello", candidates: 2, finish: false) + ",\r\n"
                + Self.element(" there", candidates: 4, finish: false) + ",\r\n" + Self.element("!", candidates: 6, finish: true) + "]")
        }
    }

    @Test func generateContentWithQueryKeyCacheAndThoughts() async throws {
        try await withFakeServer(acceptedKeys: ["AIza-good"]) { server in
            server.enqueue(.text(chunks: ["Hi"], usage: FakeUsage(input: 10, output: 30, cacheRead: 24, reasoning: 20), reasoning: ["think"]), for: .google)
            let response = try await exchange(port: server.port, path: "/v1beta/models/gemini-2.5-pro:generateContent?key=AIza-good",
                                              headers: [("content-type", "application/json")], body: "{}")
            #expect(response.status == 200)
            #expect(response.text == #"{"candidates":[{"content":{"parts":[{"text":"think","thought":true},{"text":"Hi"}],"role":"model"},"finishReason":"STOP","index":0}],"usageMetadata":{"promptTokenCount":34,"candidatesTokenCount":10,"totalTokenCount":64,"cachedContentTokenCount":24,"thoughtsTokenCount":20},"modelVersion":"gemini-2.5-pro","responseId":"3w4Vad6yF-y1vdIP_q_zgAw"}"#)
        }
    }

    @Test func badKeyIs400APIKeyInvalid() async throws {
        try await withFakeServer(acceptedKeys: ["AIza-good"]) { server in
            let response = try await exchange(port: server.port, path: "/v1beta/models/gemini-2.5-flash:generateContent",
                                              headers: [("x-goog-api-key", "AIza-bad")], body: "{}")
            #expect(response.status == 400)
            #expect(response.text == #"{"error":{"code":400,"message":"API key not valid. Please pass a valid API key.","status":"INVALID_ARGUMENT","details":[{"@type":"type.googleapis.com/google.rpc.ErrorInfo","reason":"API_KEY_INVALID","domain":"googleapis.com","metadata":{"service":"generativelanguage.googleapis.com"}},{"@type":"type.googleapis.com/google.rpc.LocalizedMessage","locale":"en-US","message":"API key not valid. Please pass a valid API key."}]}}"#)
        }
    }

    @Test func rateLimitedOverloadedAndMidStreamError() async throws {
        try await withFakeServer { server in
            server.enqueue(.rateLimited(retryAfterSeconds: 5), for: .google)
            server.enqueue(.overloaded, for: .google)
            server.enqueue(.errorMidStream(afterChunks: ["Hel"], usage: FakeUsage(input: 1, output: 1)), for: .google)
            let path = "/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse"

            let limited = try await exchange(port: server.port, path: path, headers: geminiHeaders, body: "{}")
            #expect(limited.status == 429)
            #expect(limited.text.hasPrefix(#"{"error":{"code":429,"message":"You exceeded your current quota"#))
            #expect(limited.text.contains(#""status":"RESOURCE_EXHAUSTED""#))
            #expect(limited.text.contains(#"{"@type":"type.googleapis.com/google.rpc.RetryInfo","retryDelay":"5s"}"#))

            let overloaded = try await exchange(port: server.port, path: path, headers: geminiHeaders, body: "{}")
            #expect(overloaded.status == 503)
            #expect(overloaded.text == #"{"error":{"code":503,"message":"The model is overloaded. Please try again later.","status":"UNAVAILABLE"}}"#)

            let midStream = try await exchange(port: server.port, path: path, headers: geminiHeaders, body: "{}")
            #expect(midStream.status == 200)
            #expect(midStream.chunkTexts.count == 2)
            #expect(midStream.chunkTexts.last?.hasPrefix(#"data: {"error":{"code":500,"#) == true)
            #expect(midStream.chunkTexts.last?.hasSuffix("\r\n\r\n") == true)
        }
    }
}
