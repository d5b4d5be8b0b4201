/// Gemini bodies: `:generateContent` (JSON), `:streamGenerateContent?alt=sse` (`data:` + CRLF, no
/// terminator) and `:streamGenerateContent` without `alt=sse` (one JSON array, streamed element by element).
enum GeminiRenderer {
    enum Mode {
        case unary
        case sse
        case jsonArray
    }

    static let responseID = "3w4Vad6yF-y1vdIP_q_zgAw"
    static let jsonContentType = "application/json; charset=UTF-8"

    // MARK: Answers

    private static func finishReason(_ a: FakeAnswer) -> String {
        a.finish == .length ? "MAX_TOKENS" : "STOP"
    }

    /// Running totals: `candidates`/`thoughts` so far.
    static func usage(_ u: FakeUsage, candidates: Int, thoughts: Int) -> String {
        let prompt = u.input + u.cacheRead
        var s = "{\"promptTokenCount\":\(prompt),\"candidatesTokenCount\":\(candidates),\"totalTokenCount\":\(prompt + candidates + thoughts)"
        if u.cacheRead > 0 { s += ",\"cachedContentTokenCount\":\(u.cacheRead)" }
        if thoughts > 0 { s += ",\"thoughtsTokenCount\":\(thoughts)" }
        s += "}"
        return s
    }

    private static func response(parts: [String], finish: String?, usage: String, model: String) -> String {
        let finishField = finish.map { ",\"finishReason\":\"\($0)\"" } ?? ""
        return "{\"candidates\":[{\"content\":{\"parts\":[\(parts.joined(separator: ","))],\"role\":\"model\"}\(finishField),\"index\":0}],"
            + "\"usageMetadata\":\(usage),\"modelVersion\":\(JSONText.quoted(model)),\"responseId\":\"\(responseID)\"}"
    }

    private static func textPart(_ text: String) -> String { "{\"text\":\(JSONText.quoted(text))}" }
    private static func thoughtPart(_ text: String) -> String { "{\"text\":\(JSONText.quoted(text)),\"thought\":true}" }
    private static func callPart(_ tool: FakeAnswer.Tool) -> String {
        let id = tool.id.map { "\"id\":\(JSONText.quoted($0))," } ?? ""
        let signature = tool.thoughtSignature.map { ",\"thoughtSignature\":\(JSONText.quoted($0))" } ?? ""
        return "{\"functionCall\":{\(id)\"name\":\(JSONText.quoted(tool.name)),\"args\":\(tool.arguments)}\(signature)}"
    }

    static func answer(_ a: FakeAnswer, model: String, mode: Mode) -> FakePlan {
        let candidates = a.usage.output - a.usage.reasoning
        let thoughts = a.usage.reasoning
        if mode == .unary {
            if a.ending == .errorMidStream { return internalError(mode: mode) }
            var parts: [String] = []
            if !a.reasoning.isEmpty { parts.append(thoughtPart(a.reasoning.joined())) }
            if !a.text.isEmpty || a.tool == nil { parts.append(textPart(a.text.joined())) }
            if let tool = a.tool { parts.append(callPart(tool)) }
            let body = response(parts: parts, finish: finishReason(a), usage: usage(a.usage, candidates: candidates, thoughts: thoughts), model: model)
            if a.ending == .dropBeforeUsage { return .truncated(body: body, contentType: jsonContentType) }
            return .json(status: 200, body: body, contentType: jsonContentType)
        }

        // One chunk per piece; the last carries finishReason and the final totals.
        enum Piece { case thought(String), text(String), call(FakeAnswer.Tool) }
        var pieces: [Piece] = a.reasoning.map { .thought($0) } + a.text.map { .text($0) }
        if let tool = a.tool { pieces.append(.call(tool)) }
        if a.ending == .dropBeforeUsage || pieces.isEmpty { pieces.append(.text("")) }
        let thoughtPieces = a.reasoning.count
        let answerPieces = pieces.count - thoughtPieces

        var steps: [FakeStep] = []
        var seenThoughts = 0
        var seenAnswer = 0
        for (i, piece) in pieces.enumerated() {
            let isLast = i == pieces.count - 1
            if a.ending == .dropBeforeUsage && isLast {
                steps.append(.close)
                break
            }
            let part: String
            switch piece {
            case .thought(let t): part = thoughtPart(t); seenThoughts += 1
            case .text(let t): part = textPart(t); seenAnswer += 1
            case .call(let tool): part = callPart(tool); seenAnswer += 1
            }
            let runningThoughts = thoughtPieces == 0 ? thoughts : thoughts * seenThoughts / thoughtPieces
            let runningCandidates = isLast ? candidates : (answerPieces == 0 ? 0 : candidates * seenAnswer / answerPieces)
            let chunk = response(parts: [part], finish: isLast && a.ending == .complete ? finishReason(a) : nil,
                                 usage: usage(a.usage, candidates: runningCandidates, thoughts: isLast ? thoughts : runningThoughts),
                                 model: model)
            steps += a.pause(afterDeltas: i)
            steps.append(.body(frame(chunk, first: i == 0, mode: mode)))
            if a.ending == .errorMidStream && isLast {
                let error = errorBody(code: 500, message: "An internal error has occurred. Please retry or report in https://developers.generativeai.google/guide/troubleshooting", status: "INTERNAL")
                steps.append(.body(frame(error, first: false, mode: mode)))
            }
        }
        if mode == .jsonArray && a.ending != .dropBeforeUsage { steps.append(.body("]")) }
        let contentType = mode == .sse ? "text/event-stream" : jsonContentType
        return FakePlan(status: 200, headers: [("content-type", contentType)], contentLength: nil, streaming: true, steps: steps)
    }

    /// An SSE event with CRLF line ends, or an array element (`[` before the first, `,\r\n` before others).
    private static func frame(_ json: String, first: Bool, mode: Mode) -> String {
        switch mode {
        case .sse: return "data: " + json + "\r\n\r\n"
        case .jsonArray: return (first ? "[" : ",\r\n") + json
        case .unary: return json
        }
    }

    // MARK: Errors

    static func errorBody(code: Int, message: String, status: String, details: String? = nil) -> String {
        let detailsField = details.map { ",\"details\":\($0)" } ?? ""
        return "{\"error\":{\"code\":\(code),\"message\":\(JSONText.quoted(message)),\"status\":\"\(status)\"\(detailsField)}}"
    }

    /// An error response; in JSON-array streaming mode the error object comes wrapped in an array.
    static func error(httpStatus: Int, body: String, mode: Mode) -> FakePlan {
        .json(status: httpStatus, body: mode == .jsonArray ? "[" + body + "]" : body, contentType: jsonContentType)
    }

    static func invalidKey(mode: Mode) -> FakePlan {
        let message = "API key not valid. Please pass a valid API key."
        let details = "[{\"@type\":\"type.googleapis.com/google.rpc.ErrorInfo\",\"reason\":\"API_KEY_INVALID\",\"domain\":\"googleapis.com\","
            + "\"metadata\":{\"service\":\"generativelanguage.googleapis.com\"}},"
            + "{\"@type\":\"type.googleapis.com/google.rpc.LocalizedMessage\",\"locale\":\"en-US\",\"message\":\(JSONText.quoted(message))}]"
        return error(httpStatus: 400, body: errorBody(code: 400, message: message, status: "INVALID_ARGUMENT", details: details), mode: mode)
    }

    static func missingKey(mode: Mode) -> FakePlan {
        error(httpStatus: 403, body: errorBody(code: 403, message: "Method doesn't allow unregistered callers (callers without established identity). Please use API Key or other form of API consumer identity to call this API.", status: "PERMISSION_DENIED"), mode: mode)
    }

    static func rateLimited(retryAfterSeconds: Int?, mode: Mode) -> FakePlan {
        var details = "[{\"@type\":\"type.googleapis.com/google.rpc.Help\",\"links\":[{\"description\":\"Learn more about Gemini API quotas\",\"url\":\"https://ai.google.dev/gemini-api/docs/rate-limits\"}]}"
        if let seconds = retryAfterSeconds {
            details += ",{\"@type\":\"type.googleapis.com/google.rpc.RetryInfo\",\"retryDelay\":\"\(seconds)s\"}"
        }
        details += "]"
        let message = "You exceeded your current quota, please check your plan and billing details. For more information on this error, head to: https://ai.google.dev/gemini-api/docs/rate-limits. To monitor your current usage, head to: https://ai.dev/rate-limit. "
        return error(httpStatus: 429, body: errorBody(code: 429, message: message, status: "RESOURCE_EXHAUSTED", details: details), mode: mode)
    }

    static func overloaded(mode: Mode) -> FakePlan {
        error(httpStatus: 503, body: errorBody(code: 503, message: "The model is overloaded. Please try again later.", status: "UNAVAILABLE"), mode: mode)
    }

    static func internalError(mode: Mode) -> FakePlan {
        error(httpStatus: 500, body: errorBody(code: 500, message: "An internal error has occurred. Please retry or report in https://developers.generativeai.google/guide/troubleshooting", status: "INTERNAL"), mode: mode)
    }

    static func badRequest(_ message: String, mode: Mode) -> FakePlan {
        error(httpStatus: 400, body: errorBody(code: 400, message: message, status: "INVALID_ARGUMENT"), mode: mode)
    }
}
