/// OpenAI Chat Completions bodies: `POST /v1/chat/completions`, JSON or `data:`-only SSE + `[DONE]`.
enum OpenAIRenderer {
    static let completionID = "chatcmpl-B9MBs8CjcvOU2jLn4n570S5qMJKcT"
    static let created = 1741569952
    static let toolID = "call_c91SqDXlYFuETYv8mUHzz6pp"
    static let requestID = "req_fake0123456789abcdef"
    static let streamContentType = "text/event-stream; charset=utf-8"

    // MARK: Answers

    static func answer(_ a: FakeAnswer, model: String, stream: Bool, includeUsage: Bool) -> FakePlan {
        stream ? streamed(a, model: model, includeUsage: includeUsage) : whole(a, model: model)
    }

    private static func finishReason(_ a: FakeAnswer) -> String {
        if a.tool != nil { return "tool_calls" }
        return a.finish == .length ? "length" : "stop"
    }

    static func usage(_ u: FakeUsage) -> String {
        let prompt = u.input + u.cacheRead + u.cacheWrite
        var details = "\"cached_tokens\":\(u.cacheRead)"
        if u.cacheWrite > 0 { details += ",\"cache_write_tokens\":\(u.cacheWrite)" }
        return "{\"prompt_tokens\":\(prompt),\"completion_tokens\":\(u.output),\"total_tokens\":\(prompt + u.output),"
            + "\"prompt_tokens_details\":{\(details)},\"completion_tokens_details\":{\"reasoning_tokens\":\(u.reasoning)}}"
    }

    private static func whole(_ a: FakeAnswer, model: String) -> FakePlan {
        if a.ending == .errorMidStream { return serverError() }
        let content = a.text.isEmpty && a.tool != nil ? "null" : JSONText.quoted(a.text.joined())
        var message = "{\"role\":\"assistant\",\"content\":\(content),\"refusal\":null,\"annotations\":[]"
        if let tool = a.tool {
            message += ",\"tool_calls\":[{\"id\":\(JSONText.quoted(tool.id ?? toolID)),\"type\":\"function\","
                + "\"function\":{\"name\":\(JSONText.quoted(tool.name)),\"arguments\":\(JSONText.quoted(tool.arguments))}}]"
        }
        message += "}"
        let body = "{\"id\":\"\(completionID)\",\"object\":\"chat.completion\",\"created\":\(created),\"model\":\(JSONText.quoted(model)),"
            + "\"choices\":[{\"index\":0,\"message\":\(message),\"logprobs\":null,\"finish_reason\":\"\(finishReason(a))\"}],"
            + "\"usage\":\(usage(a.usage)),\"service_tier\":\"default\"}"
        if a.ending == .dropBeforeUsage { return .truncated(body: body) }
        return .json(status: 200, body: body, headers: [("x-request-id", requestID)])
    }

    private static func streamed(_ a: FakeAnswer, model: String, includeUsage: Bool) -> FakePlan {
        let prefix = "data: {\"id\":\"\(completionID)\",\"object\":\"chat.completion.chunk\",\"created\":\(created),\"model\":\(JSONText.quoted(model)),\"choices\":["
        let suffix = includeUsage ? "],\"usage\":null}\n\n" : "]}\n\n"
        func chunk(_ delta: String, finish: String? = nil) -> FakeStep {
            let reason = finish.map { "\"\($0)\"" } ?? "null"
            return .body(prefix + "{\"index\":0,\"delta\":\(delta),\"logprobs\":null,\"finish_reason\":\(reason)}" + suffix)
        }
        var steps: [FakeStep] = []
        var deltas = 0
        func delayed(_ step: FakeStep) {
            steps += a.pause(afterDeltas: deltas)
            deltas += 1
            steps.append(step)
        }

        steps.append(chunk("{\"role\":\"assistant\",\"content\":\"\",\"refusal\":null}"))
        for piece in a.text { delayed(chunk("{\"content\":\(JSONText.quoted(piece))}")) }
        if a.ending == .errorMidStream {
            steps.append(.body("data: {\"error\":{\"message\":\"The server had an error while processing your request. Sorry about that!\",\"type\":\"server_error\",\"param\":null,\"code\":null}}\n\n"))
            return plan(steps)
        }
        if let tool = a.tool {
            delayed(chunk("{\"tool_calls\":[{\"index\":0,\"id\":\(JSONText.quoted(tool.id ?? toolID)),\"type\":\"function\",\"function\":{\"name\":\(JSONText.quoted(tool.name)),\"arguments\":\"\"}}]}"))
            for piece in tool.argumentsChunks {
                delayed(chunk("{\"tool_calls\":[{\"index\":0,\"function\":{\"arguments\":\(JSONText.quoted(piece))}}]}"))
            }
        }
        steps.append(chunk("{}", finish: finishReason(a)))
        if a.ending == .dropBeforeUsage {
            steps.append(.close)
            return plan(steps)
        }
        if includeUsage {
            steps.append(.body(prefix + "],\"usage\":\(usage(a.usage))}\n\n"))
        }
        steps.append(.body("data: [DONE]\n\n"))
        return plan(steps)
    }

    private static func plan(_ steps: [FakeStep]) -> FakePlan {
        FakePlan(status: 200, headers: [("content-type", streamContentType), ("x-request-id", requestID)],
                 contentLength: nil, streaming: true, steps: steps)
    }

    // MARK: Errors

    /// `{"error":{"message","type","param","code"}}` — all four keys, as the spec requires.
    static func error(status: Int, message: String, type: String, code: String?, headers: [(String, String)] = []) -> FakePlan {
        let codeJSON = code.map { JSONText.quoted($0) } ?? "null"
        let body = "{\"error\":{\"message\":\(JSONText.quoted(message)),\"type\":\(JSONText.quoted(type)),\"param\":null,\"code\":\(codeJSON)}}"
        return .json(status: status, body: body, headers: [("x-request-id", requestID)] + headers)
    }

    static func invalidKey() -> FakePlan {
        error(status: 401, message: "Incorrect API key provided. You can find your API key at https://platform.openai.com/account/api-keys.",
              type: "invalid_request_error", code: "invalid_api_key")
    }

    static func missingKey() -> FakePlan {
        error(status: 401, message: "You didn't provide an API key. You need to provide your API key in an Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY). You can obtain an API key from https://platform.openai.com/account/api-keys.",
              type: "invalid_request_error", code: nil)
    }

    static func rateLimited(retryAfterSeconds: Int?) -> FakePlan {
        let seconds = retryAfterSeconds ?? 1
        var headers: [(String, String)] = []
        if let retry = retryAfterSeconds { headers.append(("retry-after", String(retry))) }
        headers += [
            ("x-ratelimit-limit-requests", "60"),
            ("x-ratelimit-limit-tokens", "150000"),
            ("x-ratelimit-remaining-requests", "0"),
            ("x-ratelimit-remaining-tokens", "149984"),
            ("x-ratelimit-reset-requests", "\(seconds)s"),
            ("x-ratelimit-reset-tokens", "6m0s"),
        ]
        return error(status: 429, message: "Rate limit reached for requests", type: "requests", code: "rate_limit_exceeded", headers: headers)
    }

    static func overloaded() -> FakePlan {
        error(status: 503, message: "The server is overloaded or not ready yet.", type: "service_unavailable_error", code: "server_is_overloaded")
    }

    static func serverError() -> FakePlan {
        error(status: 500, message: "The server had an error while processing your request. Sorry about that!", type: "server_error", code: nil)
    }

    static func insufficientQuota() -> FakePlan {
        error(status: 429, message: "You exceeded your current quota, please check your plan and billing details. For more information on this error, read the docs: https://platform.openai.com/docs/guides/error-codes/api-errors.",
              type: "insufficient_quota", code: "insufficient_quota")
    }
}
