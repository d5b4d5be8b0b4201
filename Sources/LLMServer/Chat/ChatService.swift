import FoundationEssentials
import JSONRPC
import LLMCatalog
import LLMDomain
import LLMHTTP
import LLMJSON
import LLMProviders
import LLMStore
import Logging

/// One chat request from params to recorded result: model and key selection, context, budget
/// reservation, the upstream call with retries, streaming to the client, usage and cost, and the
/// one-transaction record. Used by both chat methods.
struct ChatService {
    let ctx: MethodContext
    let stream: Bool

    var services: Services { ctx.services }
    var db: AppDatabase { ctx.db }

    /// Upper bound of a non-streamed answer's size.
    static let maxBodyBytes = 64 * 1024 * 1024

    func run(_ params: ChatParams) async throws -> JSONValue {
        services.memory.requestStarted()
        defer { services.memory.requestEnded() }
        let userID = ctx.caller.id
        var user = ctx.caller
        // The generation the cached rows used below belong to (or a later one).
        var rowsGeneration = db.settingsCacheGeneration
        var p: Prepared
        do {
            p = try await prepare(params, user: user)
        } catch where services.config.usageLogging {
            // The settings came from memory unchecked (see `checksSettingsInWrite`): a refusal
            // (no such model, no key...) is only given once they are known to be current.
            let before = db.settingsCacheGeneration
            try db.refreshSettingsCache()
            if db.settingsCacheGeneration == before { throw error }
            rowsGeneration = db.settingsCacheGeneration
            user = try ServerHandler.activeUser(id: userID, session: ctx.session, services: services)
            p = try await prepare(params, user: user)
        }
        try services.limiter.admit(userID: userID, stream: stream)
        defer { if stream { services.limiter.streamEnded(userID: userID) } }

        let started = Date()
        // LLMRPC_USAGE_LOGGING=off (a benchmarking knob) skips the ledger and the conversation store.
        var usageID: String? = nil
        // The upstream call, started before the in-flight row is written when nothing has to be
        // reserved first (see `startsBeforeInFlightRow`).
        var early: PendingResponse? = nil
        if services.config.usageLogging {
            if Self.startsBeforeInFlightRow(user: user) {
                // Only with settings known to be current (one tiny read): a key, model or user
                // changed meanwhile must not be used for a call, even one cancelled right after.
                try db.refreshSettingsCache()
                if db.settingsCacheGeneration == rowsGeneration {
                    early = try services.http.start(Self.httpRequest(p.upstream))
                }
            }
            // The user, model and key came from memory at the cache's generation; the pending
            // write checks it and, if settings changed meanwhile, everything is resolved again.
            var attempts = 0
            while true {
                var pending = PendingUsage(
                    userId: userID, modelId: p.model.id, modelName: p.model.modelName, provider: p.model.provider,
                    keySource: p.keySource == .user ? .user : .system, stream: stream, prices: p.model.prices,
                    reservation: p.reservation ?? .zero, createdAt: started)
                pending.settingsGeneration = rowsGeneration
                do {
                    usageID = try await db.beginUsage(pending)
                    break
                } catch let stale as StaleSettings where attempts < 3 {
                    // Settings changed since the tiny read: resolved again. A call started early
                    // goes on if it is still the same request (for a user still without a
                    // budget); otherwise it is cancelled and made again, after the row.
                    attempts += 1
                    db.adoptSettingsGeneration(stale.current)
                    rowsGeneration = db.settingsCacheGeneration
                    let sent = p.upstream
                    do {
                        user = try ServerHandler.activeUser(id: userID, session: ctx.session, services: services)
                        p = try await prepare(params, user: user)
                    } catch {
                        early?.cancel()
                        throw error
                    }
                    if early != nil && !(Self.startsBeforeInFlightRow(user: user) && p.upstream == sent) {
                        early?.cancel()
                        early = nil
                    }
                } catch {
                    early?.cancel()
                    throw error
                }
            }
        }

        var outcome = Outcome()
        do {
            try await call(p.upstream, early: early, adapter: p.adapter, key: p.key, provider: p.model.provider,
                           outcome: &outcome)
        } catch {
            return try await finish(error: error, outcome: outcome, usageID: usageID, params: params, model: p.model,
                                    pricing: p.pricing, keySource: p.keySource, started: started,
                                    estimatedInput: p.estimatedInput)
        }
        return try await record(outcome: outcome, status: .completed, usageID: usageID, params: params, model: p.model,
                                pricing: p.pricing, keySource: p.keySource, started: started,
                                estimatedInput: p.estimatedInput)
    }

    /// Whether the upstream call may start before the in-flight usage row is committed: when
    /// the user has no monthly budget, there is nothing to reserve, and the row is written while
    /// the provider works (~60 k instructions and a WAL write off the time to the first token).
    /// Nothing the call returns reaches the client before the row is in (the response is
    /// awaited after it), so an answer seen always has its row; a process killed in the
    /// ~0.05 ms between the two leaves none for a call nobody saw. With a budget, the row
    /// (the reservation, checked against the budget in the same transaction) comes first.
    /// The cache is checked to be current first (one tiny read); the write checks it again
    /// (settings changed in between: the call goes on only if it is still the same request).
    static func startsBeforeInFlightRow(user: UserRecord) -> Bool {
        user.monthlyBudget == nil
    }

    static func httpRequest(_ upstream: UpstreamRequest) -> HTTPRequest {
        HTTPRequest(url: upstream.url, method: upstream.method, headers: upstream.headers, body: upstream.body)
    }

    /// Everything decided before the upstream call: model, key, context, limits, the request.
    struct Prepared {
        var model: ModelRecord
        var key: SecretKey
        var keySource: KeyResolver.Source
        var estimatedInput: Int
        var pricing: ModelPricing
        var reservation: Money?
        var adapter: any ProviderAdapter
        var upstream: UpstreamRequest
    }

    private func prepare(_ params: ChatParams, user: UserRecord) async throws -> Prepared {
        let model = try resolveModel(params.model)
        let (key, keySource) = try KeyResolver(services: services).resolve(userID: user.id, provider: model.provider)

        // Context: stored history (if continuing a conversation) then this request's messages.
        var context = params.messages
        if let cid = params.conversationID {
            await db.writesSettled()  // the previous exchange of this conversation may still be on its way
            let history = try db.conversationHistory(id: cid, userId: user.id)
            context = history.map(\.chatMessage) + params.messages
        }
        let estimatedInput = TokenEstimator.estimate(messages: context)
        if let window = model.contextWindow, estimatedInput > window {
            throw DomainError(.contextWindowExceeded,
                              "The prompt (about \(estimatedInput) tokens) exceeds \(model.modelName)'s context window of \(window) tokens",
                              extra: ["context_window": String(window), "estimated_input_tokens": String(estimatedInput)])
        }
        let maxTokens = params.maxTokens ?? model.maxOutputTokens.map { min($0, 4096) } ?? 4096
        if let cap = model.maxOutputTokens, params.maxTokens ?? 0 > cap {
            throw DomainError.invalidParams("max_tokens", "'max_tokens' exceeds \(model.modelName)'s maximum output of \(cap) tokens")
        }
        let pricing = model.pricing
        let reservation = CostCalculator.worstCase(inputTokens: estimatedInput, maxOutputTokens: maxTokens, pricing: pricing)

        let request = ChatRequest(model: model.modelName, messages: context, maxTokens: maxTokens,
                                  temperature: params.temperature, topP: params.topP, stop: params.stop,
                                  tools: params.tools, toolChoice: params.toolChoice)
        let adapter = ProviderAdapters.adapter(for: model.provider)
        let baseURL = services.config.baseURLs[model.provider]!
        let upstream = try adapter.makeRequest(request, apiKey: key, baseURL: baseURL, stream: stream)
        return Prepared(model: model, key: key, keySource: keySource, estimatedInput: estimatedInput, pricing: pricing,
                        reservation: reservation, adapter: adapter, upstream: upstream)
    }

    // MARK: Model

    private func resolveModel(_ ref: ChatParams.ModelRef) throws -> ModelRecord {
        let found: ModelRecord?
        switch ref {
        case .id(let id): found = try db.cachedModel(id: id)
        case .name(let n): found = try db.cachedModel(name: n)
        }
        guard let m = found else { throw DomainError(.modelNotFound, "No such model") }
        guard m.isActive else { throw DomainError(.modelInactive, "The model \(m.modelName) is not active") }
        if stream, !m.supportsStreaming {
            throw DomainError(.badRequest, "The model \(m.modelName) does not support streaming")
        }
        return m
    }

    // MARK: Upstream

    /// What came back so far: text, tool calls, usage, finish reason.
    struct Outcome {
        var text = ""
        var reasoning = ""
        var toolCalls: [Int: ToolCall] = [:]
        var finish: FinishReason = .stop
        var usage: Usage? = nil
        var usageFinal = false
        var outputStarted = false
        var upstreamStatus: Int? = nil

        mutating func apply(_ e: ChatEvent) {
            switch e {
            case .textDelta(let t): text += t
            case .reasoningDelta(let r): reasoning += r
            case .toolCallDelta(let i, let id, let name, let args):
                var c = toolCalls[i] ?? ToolCall(id: "", name: "", arguments: "")
                if let id, !id.isEmpty { c.id = id }
                if let name, !name.isEmpty { c.name = name }
                c.arguments += args
                toolCalls[i] = c
            case .usage(let u): usage = u
            case .finish(let f): finish = f
            case .error: break
            }
        }

        var orderedToolCalls: [ToolCall] { toolCalls.keys.sorted().map { toolCalls[$0]! } }
    }

    /// The upstream call (`early`: its first attempt, already started), with retries.
    private func call(_ upstream: UpstreamRequest, early: PendingResponse?, adapter: any ProviderAdapter, key: SecretKey,
                      provider: Provider, outcome: inout Outcome) async throws {
        let deadline = Date().addingTimeInterval(10)
        var attempt = 0
        var early = early
        while true {
            if Task.isCancelled { early?.cancel() }
            try Task.checkCancellation()
            let response: HTTPResponse
            if let started = early {
                early = nil
                response = try await started.response()
            } else {
                response = try await services.http.send(Self.httpRequest(upstream))
            }
            outcome.upstreamStatus = response.status
            services.logger.debug("upstream answered", metadata: ["status": "\(response.status)"])
            if !(200..<300).contains(response.status) {
                let body = (try? await response.body.collect(maxBytes: 1024 * 1024)) ?? []
                let perr = adapter.parseError(status: response.status, headers: response.headers, body: body, apiKey: key)
                let wait = perr.retryAfterMs ?? (500 << attempt)
                if perr.isRetryable, attempt < 2, Date().addingTimeInterval(Double(wait) / 1000) < deadline {
                    attempt += 1
                    services.logger.notice("retrying upstream", metadata: [
                        "provider": "\(provider.rawValue)", "status": "\(response.status)", "attempt": "\(attempt)"])
                    try await Task.sleep(nanoseconds: UInt64(wait) * 1_000_000)
                    continue
                }
                throw UpstreamFailure.provider(perr)
            }
            if stream {
                try await consumeStream(response.body, adapter: adapter, outcome: &outcome)
            } else {
                let body = try await response.body.collect(maxBytes: Self.maxBodyBytes)
                let r = try adapter.parseResponse(body: body)
                outcome.text = r.text
                outcome.reasoning = r.reasoning
                for (i, c) in r.toolCalls.enumerated() { outcome.toolCalls[i] = c }
                outcome.finish = r.finishReason
                outcome.usage = r.usage
                outcome.usageFinal = r.usage != nil
            }
            return
        }
    }

    private func consumeStream(_ body: HTTPBody, adapter: any ProviderAdapter, outcome: inout Outcome) async throws {
        var parser = adapter.makeStreamParser()
        var seq = 0
        let requestID = ctx.rpc.request.id?.json ?? .null
        // {"jsonrpc":"2.0","method":"llm/chat/completions/chunk","params":{"request_id":<id>,"seq":
        var chunkPrefix = Array(#"{"jsonrpc":"2.0","method":"llm/chat/completions/chunk","params":{"request_id":"#.utf8)
        JSONWriter.write(requestID, into: &chunkPrefix)
        chunkPrefix += Array(#","seq":"#.utf8)
        /// A text or reasoning delta's notification, serialised directly (same bytes as the
        /// JSONValue it replaces: `..."seq":N,"delta":{"content":"..."}}}`).
        func textChunk(_ key: StaticString, _ text: String) -> [UInt8] {
            var line = chunkPrefix
            line.reserveCapacity(chunkPrefix.count + text.utf8.count + 40)
            line += String(seq).utf8
            line += #","delta":{""#.utf8
            line += UnsafeBufferPointer(start: key.utf8Start, count: key.utf8CodeUnitCount)
            line += #"":"#.utf8
            JSONWriter.writeString(text, into: &line)
            line += "}}}\n".utf8
            return line
        }
        func forward(_ events: [ChatEvent], _ outcome: inout Outcome) async throws {
            for e in events {
                if case .error(let perr) = e { throw UpstreamFailure.midStream(perr) }
                outcome.apply(e)
                let line: [UInt8]?
                switch e {
                case .textDelta(let t): line = textChunk("content", t)
                case .reasoningDelta(let r): line = textChunk("reasoning", r)
                case .toolCallDelta(let i, let id, let name, let args):
                    let delta: JSONValue = ["tool_calls": [["index": .int(i), "id": .optional(id), "name": .optional(name),
                                                            "arguments": .string(args)]]]
                    line = JSONWriter.line(["jsonrpc": "2.0", "method": "llm/chat/completions/chunk",
                                            "params": ["request_id": requestID, "seq": .int(seq), "delta": delta]])
                default: line = nil
                }
                if let line {
                    await ctx.rpc.waitUntilWritable()
                    ctx.rpc.notifyRaw(line: line)
                    seq += 1
                    outcome.outputStarted = true
                }
            }
        }
        do {
            for try await chunk in body {
                services.logger.trace("upstream bytes", metadata: ["count": "\(chunk.count)"])
                try await forward(parser.feed(chunk), &outcome)
                if Task.isCancelled { throw CancellationError() }
            }
        } catch let e as HTTPError where e.kind == .transport || e.kind == .bodyTooLarge {
            // The connection broke after the 200: what arrived is kept, the stream is truncated.
            _ = try? await forward(parser.finish(), &outcome)
            throw UpstreamFailure.truncated
        }
        try await forward(parser.finish(), &outcome)
        if !parser.completed { throw UpstreamFailure.truncated }
        outcome.usageFinal = outcome.usage != nil
    }

    enum UpstreamFailure: Error {
        case provider(ProviderError)
        case midStream(ProviderError)
        case truncated
    }

    // MARK: Results and records

    /// The usage to bill: the provider's final numbers, else what it said so far topped up by an
    /// estimate of what was received.
    private func billedUsage(_ o: Outcome, estimatedInput: Int) -> (Usage, estimated: Bool) {
        if o.usageFinal, let u = o.usage { return (u, false) }
        var u = o.usage ?? Usage()
        if u.inputTokens + u.cacheReadInputTokens + u.cacheCreationInputTokens == 0 { u.inputTokens = estimatedInput }
        let receivedText = o.text + o.reasoning + o.orderedToolCalls.map { $0.name + $0.arguments }.joined()
        let estOut = receivedText.isEmpty ? 0 : TokenEstimator.estimate(text: receivedText)
        u.outputTokens = max(u.outputTokens, estOut)
        if !o.reasoning.isEmpty { u.reasoningTokens = max(u.reasoningTokens, TokenEstimator.estimate(text: o.reasoning)) }
        return (u, true)
    }

    private func finish(error: Error, outcome: Outcome, usageID: String?, params: ChatParams, model: ModelRecord,
                        pricing: ModelPricing, keySource: KeyResolver.Source, started: Date,
                        estimatedInput: Int) async throws -> JSONValue {
        let cancelled = error is CancellationError || (error as? HTTPError)?.kind == .cancelled || Task.isCancelled
        if cancelled {
            var o = outcome
            o.finish = .cancelled
            if stream {
                return try await record(outcome: o, status: .cancelled, usageID: usageID, params: params, model: model,
                                  pricing: pricing, keySource: keySource, started: started, estimatedInput: estimatedInput)
            }
            let (usage, _) = billedUsage(o, estimatedInput: estimatedInput)
            let cost = CostCalculator.cost(usage: usage, pricing: pricing)
            if let usageID { try await db.settleUsage(id: usageID, UsageSettlement(status: .cancelled, errorType: "cancelled",
                                                            upstreamStatus: o.upstreamStatus, usage: usage,
                                                            usageEstimated: true, cost: cost.stored,
                                                            latencyMs: Self.ms(since: started))) }
            throw CancellationError()
        }

        let provider = model.provider
        var wire: RPCError
        var consumed = false
        switch error {
        case UpstreamFailure.provider(let perr):
            wire = ErrorMapping.upstream(perr, provider: provider)
        case UpstreamFailure.midStream(let perr):
            consumed = true
            wire = ErrorMapping.upstream(perr, provider: provider)
            if perr.kind != .overloaded {
                wire = RPCError(code: 502, message: "The provider failed mid-stream", type: "upstream_error",
                                extra: wire.data)
            }
        case UpstreamFailure.truncated:
            consumed = true
            wire = RPCError(code: 502, message: "The provider's stream ended before its end", type: "upstream_truncated",
                            extra: ["provider": .string(provider.rawValue)])
        case let h as HTTPError:
            consumed = outcome.outputStarted
            wire = ErrorMapping.transport(h, provider: provider)
        case let p as ProviderError:
            consumed = true
            wire = ErrorMapping.upstream(p, provider: provider)
        default:
            wire = ErrorMapping.wire(error)
        }
        if outcome.outputStarted { wire.data["retryable"] = .bool(false) }
        let (usage, estimated) = consumed ? billedUsage(outcome, estimatedInput: estimatedInput) : (Usage(), false)
        let cost = CostCalculator.cost(usage: usage, pricing: pricing)
        if let usageID { try await db.settleUsage(id: usageID, UsageSettlement(status: .failed, errorType: wire.type,
                                                        upstreamStatus: outcome.upstreamStatus, usage: usage,
                                                        usageEstimated: estimated, cost: cost.stored,
                                                        latencyMs: Self.ms(since: started))) }
        wire.data["usage"] = ChatJSON.usage(usage)
        wire.data["cost"] = ChatJSON.cost(cost)
        wire.data["usage_estimated"] = .bool(estimated)
        services.logger.notice("chat failed", metadata: ["provider": "\(provider.rawValue)", "type": "\(wire.type)"])
        throw ChatFailure(wire: wire)
    }

    private func record(outcome o: Outcome, status: UsageStatus, usageID: String?, params: ChatParams, model: ModelRecord,
                        pricing: ModelPricing, keySource: KeyResolver.Source, started: Date,
                        estimatedInput: Int) async throws -> JSONValue {
        let (usage, estimated) = billedUsage(o, estimatedInput: estimatedInput)
        let cost = CostCalculator.cost(usage: usage, pricing: pricing)
        let calls = o.orderedToolCalls.map { c -> ToolCall in
            var c = c
            if c.id.isEmpty { c.id = "call_" + UUID().uuidString.replacing("-", with: "").lowercased() }
            return c
        }
        let finish: FinishReason = (o.finish == .stop && !calls.isEmpty) ? .toolCalls : o.finish
        // The record joins the next group commit; the answer does not wait for it (see
        // `AppDatabase.settleChatDeferred`: later requests of this process wait for it).
        // After a failed deferred record, records wait again, so the client sees the error.
        // The "chat" log line is written once the request is recorded: an operator (or a test in
        // another process) who sees it can read the record.
        let logger = services.logger
        // One preformatted message, not a metadata dictionary: the same "key=value" text in a
        // fixed order, for a fifth of the cost (hashing seven keys, then walking them).
        let logLine: Logger.Message = """
            chat status=\(status.rawValue) provider=\(model.provider.rawValue) model=\(model.modelName) \
            input_tokens=\(usage.inputTokens) output_tokens=\(usage.outputTokens) \
            latency_ms=\(Self.ms(since: started)) key_source=\(keySource.rawValue)
            """
        var ids: (conversationId: String, assistantMessageId: String?)? = nil
        if let usageID {
            let settlement = ChatSettlement(
                usageId: usageID, conversationId: params.conversationID, messages: params.messages,
                assistant: ChatMessage(role: .assistant, content: o.text, toolCalls: calls),
                status: status, upstreamStatus: o.upstreamStatus, usage: usage, usageEstimated: estimated,
                cost: cost.stored, latencyMs: Self.ms(since: started))
            if db.deferredRecordsFailing {
                ids = try await db.settleChat(settlement)
                logger.info(logLine)
            } else {
                ids = db.settleChatDeferred(settlement) { error in
                    if let error {
                        logger.error("a chat's conversation could not be recorded; its usage is recorded alone",
                                     metadata: ["usage_id": "\(usageID)", "type": "\(ErrorMapping.wire(error).type)"])
                    }
                    logger.info(logLine)
                }
            }
        } else {
            logger.info(logLine)
        }
        return [
            "id": .optional(ids?.assistantMessageId), "conversation_id": .optional(ids?.conversationId),
            "model_id": .string(model.id), "model": .string(model.modelName), "provider": .string(model.provider.rawValue),
            "message": ["role": "assistant", "content": .string(o.text),
                        "tool_calls": calls.isEmpty ? .null : ChatJSON.toolCalls(calls),
                        "reasoning": o.reasoning.isEmpty ? .null : .string(o.reasoning)],
            "finish_reason": .string(finish.rawValue),
            "usage": ChatJSON.usage(usage),
            "cost": ChatJSON.cost(cost),
            "key_source": .string(keySource.rawValue),
            "usage_estimated": .bool(estimated),
        ]
    }

    static func ms(since d: Date) -> Int { Int(Date().timeIntervalSince(d) * 1000) }
}

/// JSON shapes shared by the chat results and errors.
enum ChatJSON {
    static func usage(_ u: Usage) -> JSONValue {
        ["input_tokens": .int(u.inputTokens), "output_tokens": .int(u.outputTokens),
         "cache_read_input_tokens": .int(u.cacheReadInputTokens),
         "cache_creation_input_tokens": .int(u.cacheCreationInputTokens),
         "reasoning_tokens": .int(u.reasoningTokens), "total_tokens": .int(u.totalTokens)]
    }

    static func cost(_ c: Cost) -> JSONValue {
        ["input_cost": .money(c.inputCost), "output_cost": .money(c.outputCost),
         "total_cost": .money(c.totalCost), "currency": "USD", "priced": .bool(c.priced)]
    }

    static func toolCalls(_ calls: [ToolCall]) -> JSONValue {
        .array(calls.map { ["id": .string($0.id), "type": "function",
                            "function": ["name": .string($0.name), "arguments": .string($0.arguments)]] })
    }
}
