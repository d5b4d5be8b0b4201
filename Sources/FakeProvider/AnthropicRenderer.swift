import Foundation

/// Anthropic Messages API bodies: `POST /v1/messages`, JSON or `event:`+`data:` SSE.
enum AnthropicRenderer {
    static let messageID = "msg_4QpJur2dWWDjF6C758FbBw5vm12BaVipnK"
    static let requestID = "req_011CSHoEeqs5C35K2UUqR7Fy"
    static let toolID = "toolu_01NRLabsLyVHZPKxbKvkfSMn"
    static let signature = "c3ludGhldGljLXNpZ25hdHVyZS1maXh0dXJlLWEtbm90LWEtcmVhbC1zaWduYXR1cmU="
    static let streamContentType = "text/event-stream; charset=utf-8"

    // MARK: Answers

    static func answer(_ a: FakeAnswer, model: String, stream: Bool) -> FakePlan {
        stream ? streamed(a, model: model) : whole(a, model: model)
    }

    private static func stopReason(_ a: FakeAnswer) -> String {
        if a.tool != nil { return "tool_use" }
        return a.finish == .length ? "max_tokens" : "end_turn"
    }

    private static func usageFields(_ u: FakeUsage, output: Int) -> String {
        var s = "\"input_tokens\":\(u.input)"
        if u.cacheRead != 0 || u.cacheWrite != 0 {
            s += ",\"cache_creation_input_tokens\":\(u.cacheWrite),\"cache_read_input_tokens\":\(u.cacheRead)"
        }
        s += ",\"output_tokens\":\(output)"
        return s
    }

    private static func whole(_ a: FakeAnswer, model: String) -> FakePlan {
        if a.ending == .errorMidStream { return overloaded() }
        var blocks: [String] = []
        if !a.reasoning.isEmpty {
            blocks.append("{\"type\":\"thinking\",\"thinking\":\(JSONText.quoted(a.reasoning.joined())),\"signature\":\"\(signature)\"}")
        }
        if !a.text.isEmpty || a.tool == nil {
            blocks.append("{\"type\":\"text\",\"text\":\(JSONText.quoted(a.text.joined()))}")
        }
        if let tool = a.tool {
            blocks.append("{\"type\":\"tool_use\",\"id\":\(JSONText.quoted(tool.id ?? toolID)),\"name\":\(JSONText.quoted(tool.name)),\"input\":\(tool.arguments)}")
        }
        let body = "{\"id\":\"\(messageID)\",\"type\":\"message\",\"role\":\"assistant\",\"model\":\(JSONText.quoted(model)),"
            + "\"content\":[\(blocks.joined(separator: ","))],\"stop_reason\":\"\(stopReason(a))\",\"stop_sequence\":null,"
            + "\"usage\":{\(usageFields(a.usage, output: a.usage.output))}}"
        if a.ending == .dropBeforeUsage { return .truncated(body: body) }
        return .json(status: 200, body: body, headers: [("request-id", requestID)])
    }

    private static func event(_ name: String, _ data: String) -> FakeStep {
        .body("event: \(name)\ndata: \(data)\n\n")
    }

    private static func streamed(_ a: FakeAnswer, model: String) -> FakePlan {
        var steps: [FakeStep] = []
        steps.append(event("message_start",
            "{\"type\":\"message_start\",\"message\":{\"id\":\"\(messageID)\",\"type\":\"message\",\"role\":\"assistant\",\"content\":[],"
            + "\"model\":\(JSONText.quoted(model)),\"stop_reason\":null,\"stop_sequence\":null,"
            + "\"usage\":{\(usageFields(a.usage, output: min(1, a.usage.output)))}}}"))
        var index = 0
        var pinged = false

        func startBlock(_ contentBlock: String) {
            steps.append(event("content_block_start", "{\"type\":\"content_block_start\",\"index\":\(index),\"content_block\":\(contentBlock)}"))
            if !pinged {
                steps.append(event("ping", "{\"type\": \"ping\"}"))
                pinged = true
            }
        }
        var deltas = 0
        func delta(_ delta: String) {
            steps += a.pause(afterDeltas: deltas)
            deltas += 1
            steps.append(event("content_block_delta", "{\"type\":\"content_block_delta\",\"index\":\(index),\"delta\":\(delta)}"))
        }
        func stopBlock() {
            steps.append(event("content_block_stop", "{\"type\":\"content_block_stop\",\"index\":\(index)}"))
            index += 1
        }

        if !a.reasoning.isEmpty {
            startBlock("{\"type\":\"thinking\",\"thinking\":\"\",\"signature\":\"\"}")
            for piece in a.reasoning { delta("{\"type\":\"thinking_delta\",\"thinking\":\(JSONText.quoted(piece))}") }
            steps.append(event("content_block_delta", "{\"type\":\"content_block_delta\",\"index\":\(index),\"delta\":{\"type\":\"signature_delta\",\"signature\":\"\(signature)\"}}"))
            stopBlock()
        }
        if !a.text.isEmpty || a.tool == nil {
            startBlock("{\"type\":\"text\",\"text\":\"\"}")
            for piece in a.text { delta("{\"type\":\"text_delta\",\"text\":\(JSONText.quoted(piece))}") }
            if a.ending == .errorMidStream {
                steps.append(event("error", "{\"type\": \"error\", \"error\": {\"type\": \"overloaded_error\", \"message\": \"Overloaded\"}}"))
                return plan(steps)
            }
            stopBlock()
        }
        if let tool = a.tool {
            startBlock("{\"type\":\"tool_use\",\"id\":\(JSONText.quoted(tool.id ?? toolID)),\"name\":\(JSONText.quoted(tool.name)),\"input\":{}}")
            for piece in [""] + tool.argumentsChunks { delta("{\"type\":\"input_json_delta\",\"partial_json\":\(JSONText.quoted(piece))}") }
            stopBlock()
        }
        if a.ending == .dropBeforeUsage {
            steps.append(.close)
            return plan(steps)
        }
        steps.append(event("message_delta",
            "{\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"\(stopReason(a))\",\"stop_sequence\":null},\"usage\":{\"output_tokens\":\(a.usage.output)}}"))
        steps.append(event("message_stop", "{\"type\":\"message_stop\"}"))
        return plan(steps)
    }

    private static func plan(_ steps: [FakeStep]) -> FakePlan {
        FakePlan(status: 200, headers: [("content-type", streamContentType), ("cache-control", "no-cache"), ("request-id", requestID)],
                 contentLength: nil, streaming: true, steps: steps)
    }

    // MARK: Errors

    /// `{"type":"error","error":{"type","message"},"request_id"}` with the given status.
    static func error(status: Int, type: String, message: String, headers: [(String, String)] = []) -> FakePlan {
        let body = "{\"type\":\"error\",\"error\":{\"type\":\"\(type)\",\"message\":\(JSONText.quoted(message))},\"request_id\":\"\(requestID)\"}"
        return .json(status: status, body: body, headers: [("request-id", requestID)] + headers)
    }

    static func overloaded() -> FakePlan {
        error(status: 529, type: "overloaded_error", message: "Overloaded")
    }

    static func rateLimited(retryAfterSeconds: Int?) -> FakePlan {
        let reset = rfc3339(secondsFromNow: retryAfterSeconds ?? 60)
        var headers: [(String, String)] = []
        if let seconds = retryAfterSeconds { headers.append(("retry-after", String(seconds))) }
        headers += [
            ("anthropic-ratelimit-requests-limit", "50"),
            ("anthropic-ratelimit-requests-remaining", "0"),
            ("anthropic-ratelimit-requests-reset", reset),
            ("anthropic-ratelimit-tokens-limit", "90000"),
            ("anthropic-ratelimit-tokens-remaining", "0"),
            ("anthropic-ratelimit-tokens-reset", reset),
            ("anthropic-ratelimit-input-tokens-limit", "80000"),
            ("anthropic-ratelimit-input-tokens-remaining", "0"),
            ("anthropic-ratelimit-input-tokens-reset", reset),
            ("anthropic-ratelimit-output-tokens-limit", "10000"),
            ("anthropic-ratelimit-output-tokens-remaining", "0"),
            ("anthropic-ratelimit-output-tokens-reset", reset),
        ]
        return error(status: 429, type: "rate_limit_error",
                     message: "This request would exceed the rate limit for your organization of 50 requests per minute. Please try again later.",
                     headers: headers)
    }

    static func insufficientQuota() -> FakePlan {
        error(status: 400, type: "invalid_request_error",
              message: "Your credit balance is too low to access the Anthropic API. Please go to Plans & Billing to upgrade or purchase credits.")
    }

    private static func rfc3339(secondsFromNow: Int) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        return formatter.string(from: Date().addingTimeInterval(TimeInterval(secondsFromNow)))
    }
}
