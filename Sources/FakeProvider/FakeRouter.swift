/// Routes a complete request to a provider, checks its auth and body the way the real API does,
/// picks the scenario and renders the reply.
struct FakeRouter: Sendable {
    let state: FakeServerState
    /// nil: any non-empty key is accepted.
    let acceptedKeys: Set<String>?

    func reply(method: String, uri: String, headers: [(String, String)], body: [UInt8], connectionID: Int) -> FakeReply {
        let (path, query) = split(uri)
        let route = Route(method: method, path: path, query: query)
        state.record(provider: route?.provider, method: method, path: uri, headers: headers, body: body, connectionID: connectionID)
        guard let route else {
            return .respond(.json(status: 404, body: "{\"error\":{\"message\":\"Not found\",\"type\":\"not_found\"}}"))
        }
        switch route {
        case .anthropic: return anthropic(headers: headers, body: body)
        case .openai: return openai(headers: headers, body: body)
        case let .google(model, mode, queryKey): return google(model: model, mode: mode, queryKey: queryKey, headers: headers, body: body)
        }
    }

    // MARK: Providers

    private func anthropic(headers: [(String, String)], body: [UInt8]) -> FakeReply {
        guard let key = header("x-api-key", headers), !key.isEmpty else {
            return .respond(AnthropicRenderer.error(status: 401, type: "authentication_error", message: "x-api-key header is required"))
        }
        guard isAccepted(key) else {
            return .respond(AnthropicRenderer.error(status: 401, type: "authentication_error", message: "invalid x-api-key"))
        }
        guard header("anthropic-version", headers) != nil else {
            return .respond(AnthropicRenderer.error(status: 400, type: "invalid_request_error", message: "anthropic-version: header is required"))
        }
        guard let scan = RequestBodyScan(body) else {
            return .respond(AnthropicRenderer.error(status: 400, type: "invalid_request_error", message: "There was an error parsing the body"))
        }
        guard scan.has("max_tokens") else {
            return .respond(AnthropicRenderer.error(status: 400, type: "invalid_request_error", message: "max_tokens: Field required"))
        }
        let model = scan.string("model") ?? "claude-3-opus-latest"
        let stream = scan.isTrue("stream")
        let scenario = state.nextScenario(for: .anthropic)
        switch scenario {
        case .rateLimited(let seconds): return .respond(AnthropicRenderer.rateLimited(retryAfterSeconds: seconds))
        case .overloaded: return .respond(AnthropicRenderer.overloaded())
        case .insufficientQuota: return .respond(AnthropicRenderer.insufficientQuota())
        default:
            if let answer = scenario.answer { return .respond(AnthropicRenderer.answer(answer, model: model, stream: stream)
                .held(at: answer.gateBeforeBody(streaming: stream))) }
            return transport(scenario, streamContentType: stream ? AnthropicRenderer.streamContentType : nil)
        }
    }

    private func openai(headers: [(String, String)], body: [UInt8]) -> FakeReply {
        guard let authorization = header("authorization", headers), !authorization.isEmpty else {
            return .respond(OpenAIRenderer.missingKey())
        }
        let key = authorization.lowercased().hasPrefix("bearer ") ? String(authorization.dropFirst(7)) : ""
        guard !key.isEmpty, isAccepted(key) else {
            return .respond(OpenAIRenderer.invalidKey())
        }
        guard let scan = RequestBodyScan(body) else {
            return .respond(OpenAIRenderer.error(status: 400, message: "We could not parse the JSON body of your request. The OpenAI API expects a JSON payload, but what was sent was not valid JSON.",
                                                 type: "invalid_request_error", code: nil))
        }
        let model = scan.string("model") ?? "gpt-4o-mini"
        let stream = scan.isTrue("stream")
        let includeUsage = scan.object("stream_options")?.isTrue("include_usage") ?? false
        let scenario = state.nextScenario(for: .openai)
        switch scenario {
        case .rateLimited(let seconds): return .respond(OpenAIRenderer.rateLimited(retryAfterSeconds: seconds))
        case .overloaded: return .respond(OpenAIRenderer.overloaded())
        case .insufficientQuota: return .respond(OpenAIRenderer.insufficientQuota())
        default:
            if let answer = scenario.answer {
                return .respond(OpenAIRenderer.answer(answer, model: model, stream: stream, includeUsage: includeUsage)
                    .held(at: answer.gateBeforeBody(streaming: stream)))
            }
            return transport(scenario, streamContentType: stream ? OpenAIRenderer.streamContentType : nil)
        }
    }

    private func google(model: String, mode: GeminiRenderer.Mode, queryKey: String?, headers: [(String, String)], body: [UInt8]) -> FakeReply {
        guard let key = header("x-goog-api-key", headers) ?? queryKey, !key.isEmpty else {
            return .respond(GeminiRenderer.missingKey(mode: mode))
        }
        guard isAccepted(key) else {
            return .respond(GeminiRenderer.invalidKey(mode: mode))
        }
        guard RequestBodyScan(body) != nil else {
            return .respond(GeminiRenderer.badRequest("Invalid JSON payload received.", mode: mode))
        }
        let scenario = state.nextScenario(for: .google)
        switch scenario {
        case .rateLimited(let seconds): return .respond(GeminiRenderer.rateLimited(retryAfterSeconds: seconds, mode: mode))
        case .overloaded: return .respond(GeminiRenderer.overloaded(mode: mode))
        case .insufficientQuota: return .respond(GeminiRenderer.rateLimited(retryAfterSeconds: nil, mode: mode))
        default:
            if let answer = scenario.answer { return .respond(GeminiRenderer.answer(answer, model: model, mode: mode)
                .held(at: answer.gateBeforeBody(streaming: mode != .unary))) }
            return transport(scenario, streamContentType: mode == .sse ? "text/event-stream" : nil)
        }
    }

    /// The provider-independent scenarios: raw responses, hangs, huge bodies, resets.
    private func transport(_ scenario: FakeScenario, streamContentType: String?) -> FakeReply {
        switch scenario {
        case .hang:
            return .hang
        case let .httpError(status, body, extra):
            let hasType = extra.contains { $0.0.lowercased() == "content-type" }
            let headers = hasType ? extra : [("content-type", "application/json")] + extra
            return .respond(FakePlan(status: status, headers: headers, contentLength: body.utf8.count, streaming: false, steps: [.body(body)]))
        case .hugeBody(let bytes):
            return .respond(.huge(bytes: bytes))
        case .reset:
            return .respond(.reset(contentType: streamContentType ?? "application/json"))
        default:
            return .respond(.json(status: 500, body: "{\"error\":\"unhandled fake scenario\"}"))
        }
    }

    // MARK: Helpers

    private func isAccepted(_ key: String) -> Bool {
        acceptedKeys?.contains(key) ?? true
    }

    private func header(_ name: String, _ headers: [(String, String)]) -> String? {
        headers.first { $0.0 == name }?.1
    }

    private func split(_ uri: String) -> (Substring, Substring) {
        guard let mark = uri.firstIndex(of: "?") else { return (uri[...], "") }
        return (uri[..<mark], uri[uri.index(after: mark)...])
    }

    private enum Route {
        case anthropic
        case openai
        case google(model: String, mode: GeminiRenderer.Mode, queryKey: String?)

        init?(method: String, path: Substring, query: Substring) {
            guard method == "POST" else { return nil }
            switch path {
            case "/v1/messages": self = .anthropic
            case "/v1/chat/completions": self = .openai
            default:
                let prefix = "/v1beta/models/"
                guard path.hasPrefix(prefix), let colon = path.lastIndex(of: ":") else { return nil }
                let model = path[path.index(path.startIndex, offsetBy: prefix.count)..<colon]
                let action = path[path.index(after: colon)...]
                var alt: Substring?
                var key: Substring?
                for pair in query.split(separator: "&") {
                    if pair.hasPrefix("alt=") { alt = pair.dropFirst(4) }
                    if pair.hasPrefix("key=") { key = pair.dropFirst(4) }
                }
                let mode: GeminiRenderer.Mode
                switch action {
                case "generateContent": mode = .unary
                case "streamGenerateContent": mode = alt == "sse" ? .sse : .jsonArray
                default: return nil
                }
                guard !model.isEmpty else { return nil }
                self = .google(model: String(model), mode: mode, queryKey: key.map(String.init))
            }
        }

        var provider: FakeProviderKind {
            switch self {
            case .anthropic: return .anthropic
            case .openai: return .openai
            case .google: return .google
            }
        }
    }
}
