import FakeProvider
import Testing

@Suite struct FakeServerBehaviourTests {
    @Test func baseURLs() async throws {
        try await withFakeServer { server in
            #expect(server.port > 0)
            #expect(server.baseURL == "http://127.0.0.1:\(server.port)")
            #expect(server.anthropicBaseURL == server.baseURL)
            #expect(server.openAIBaseURL == server.baseURL + "/v1")
            #expect(server.googleBaseURL == server.baseURL)
        }
    }

    @Test func queueIsFIFOPerProviderThenDefault() async throws {
        try await withFakeServer { server in
            server.enqueue(.httpError(status: 418, body: "first"), for: .openai)
            server.enqueue(.httpError(status: 419, body: "second"), for: .openai)
            server.enqueue(.httpError(status: 420, body: "anthropic"), for: .anthropic)
            server.setDefault(.httpError(status: 421, body: "default", headers: [("x-extra", "1")]), for: .openai)
            var statuses: [Int] = []
            for _ in 0..<3 {
                let response = try await exchange(port: server.port, path: "/v1/chat/completions", headers: openAIHeaders, body: "{}")
                statuses.append(response.status)
            }
            #expect(statuses == [418, 419, 421])
            let anthropic = try await exchange(port: server.port, path: "/v1/messages", headers: anthropicHeaders, body: #"{"max_tokens":1}"#)
            #expect(anthropic.status == 420)
            #expect(anthropic.text == "anthropic")
        }
    }

    @Test func requestsAreRecordedWithLowercasedHeadersAndBody() async throws {
        try await withFakeServer { server in
            _ = try await exchange(port: server.port, path: "/v1/messages",
                                   headers: [("X-Api-Key", "sk-1"), ("Anthropic-Version", "2023-06-01")], body: #"{"max_tokens":1}"#)
            _ = try await exchange(port: server.port, path: "/v1beta/models/g:generateContent?key=abc", headers: [], body: "{}")
            _ = try await exchange(port: server.port, path: "/nowhere", headers: [], body: "x")
            await server.waitForRequests(count: 3)
            let requests = server.requests
            #expect(requests.count == 3)
            #expect(requests.map(\.index) == [0, 1, 2])
            #expect(requests.map(\.provider) == [.anthropic, .google, nil])
            #expect(requests[0].method == "POST")
            #expect(requests[0].path == "/v1/messages")
            #expect(requests[0].header("x-api-key") == "sk-1")
            #expect(requests[0].headers.contains { $0.0 == "anthropic-version" && $0.1 == "2023-06-01" })
            #expect(requests[0].bodyString == #"{"max_tokens":1}"#)
            #expect(requests[1].path == "/v1beta/models/g:generateContent?key=abc")
        }
    }

    @Test func keepAliveServesTwoRequestsOnOneConnection() async throws {
        try await withFakeServer { server in
            let port = server.port
            let (first, second) = try await offPool {
                let connection = try RawConnection(port: port)
                defer { connection.close() }
                try connection.sendRequest(path: "/v1/chat/completions", headers: openAIHeaders, body: #"{"stream":true}"#)
                let first = try connection.readResponse()
                try connection.sendRequest(path: "/v1/chat/completions", headers: openAIHeaders, body: #"{}"#)
                return (first, try connection.readResponse())
            }
            #expect(first.chunkTexts.last == "data: [DONE]\n\n")
            #expect(second.status == 200)
            #expect(second.text.contains(#""content":"Hello there!""#))
            #expect(second.header("connection") == nil)
        }
    }

    @Test func waitForClientDisconnectResolvesAfterTheClientClosesMidStream() async throws {
        try await withFakeServer { server in
            server.enqueue(.slowStream(chunks: ["a", "b", "c"], usage: FakeUsage(input: 1, output: 3), chunkDelayMs: 60_000), for: .anthropic)
            let port = server.port
            let connection = try await offPool { try RawConnection(port: port) }
            try await offPool {
                try connection.sendRequest(path: "/v1/messages", headers: anthropicHeaders, body: #"{"max_tokens":5,"stream":true}"#)
            }
            await server.waitForRequests(count: 1)
            connection.close()
            await server.waitForClientDisconnect(requestIndex: 0)
            #expect(server.requests.count == 1)
        }
    }

    @Test func heldAnswersGoOnOnceTheirGateOpens() async throws {
        try await withFakeServer { server in
            let gate = FakeGate()
            server.enqueue(.held(chunks: ["Hel", "lo"], usage: FakeUsage(input: 1, output: 2), gate: gate), for: .openai)
            server.enqueue(.held(chunks: ["Hi"], usage: FakeUsage(input: 1, output: 1), gate: gate), for: .openai)
            let port = server.port
            let connection = try await offPool { try RawConnection(port: port) }
            try await offPool {
                try connection.sendRequest(path: "/v1/chat/completions", headers: openAIHeaders, body: #"{"stream":true}"#)
            }
            await server.waitForRequests(count: 1)
            gate.open()
            let streamed = try await offPool { try connection.readResponse() }
            #expect(streamed.status == 200)
            #expect(streamed.text.contains(#"{"content":"Hel"}"#) && streamed.text.contains(#"{"content":"lo"}"#))
            #expect(streamed.chunkTexts.last == "data: [DONE]\n\n")
            // An open gate holds nothing back.
            let plain = try await exchange(port: port, path: "/v1/chat/completions", headers: openAIHeaders, body: #"{}"#)
            #expect(plain.text.contains(#""content":"Hi""#))
        }
    }

    /// `.held(afterChunks: 1)`: a stream sends its first delta, then waits at the gate; every
    /// provider's format, the rest complete once the gate opens.
    @Test func streamsHeldAfterTheirFirstChunkGoOnOnceTheirGateOpens() async throws {
        try await withFakeServer { server in
            let cases: [(FakeProviderKind, String, [(String, String)], String, first: String, second: String)] = [
                (.anthropic, "/v1/messages", anthropicHeaders, #"{"max_tokens":5,"stream":true}"#,
                 #""text":"Hel""#, #""text":"lo""#),
                (.openai, "/v1/chat/completions", openAIHeaders, #"{"stream":true}"#, #"{"content":"Hel"}"#, #"{"content":"lo"}"#),
                (.google, "/v1beta/models/g:streamGenerateContent?alt=sse", geminiHeaders, "{}", #""text":"Hel""#, #""text":"lo""#),
            ]
            for (provider, path, headers, body, first, second) in cases {
                let gate = FakeGate()
                server.enqueue(.held(chunks: ["Hel", "lo"], usage: FakeUsage(input: 1, output: 2), gate: gate, afterChunks: 1),
                               for: provider)
                let port = server.port
                let connection = try await offPool { try RawConnection(port: port) }
                try await offPool { try connection.sendRequest(path: path, headers: headers, body: body) }
                let atFirst = try await offPool { try connection.readUntil(first) }
                #expect(!atFirst.contains(second), "\(provider)")
                gate.open()
                let streamed = try await offPool { try connection.readResponse() }
                #expect(streamed.status == 200)
                #expect(!streamed.truncated)
                let text = streamed.text
                let a = try #require(text.range(of: first), "\(provider)")
                let b = try #require(text.range(of: second), "\(provider)")
                #expect(a.upperBound <= b.lowerBound)
            }
        }
    }

    @Test func hangNeverAnswersUntilTheClientCloses() async throws {
        try await withFakeServer { server in
            server.enqueue(.hang, for: .google)
            let port = server.port
            let connection = try await offPool { try RawConnection(port: port) }
            try await offPool {
                try connection.sendRequest(path: "/v1beta/models/g:generateContent", headers: geminiHeaders, body: "{}")
            }
            await server.waitForRequests(count: 1)
            connection.close()
            await server.waitForClientDisconnect(requestIndex: 0)
        }
    }

    @Test func dropBeforeUsageClosesBeforeTheUsageEvent() async throws {
        try await withFakeServer { server in
            server.enqueue(.dropBeforeUsage(afterChunks: ["Hel"], usage: FakeUsage(input: 1, output: 1)), for: .anthropic)
            server.enqueue(.dropBeforeUsage(afterChunks: ["Hel"], usage: FakeUsage(input: 1, output: 1)), for: .openai)
            server.enqueue(.dropBeforeUsage(afterChunks: ["Hel"], usage: FakeUsage(input: 1, output: 1)), for: .google)
            let anthropic = try await exchange(port: server.port, path: "/v1/messages", headers: anthropicHeaders, body: #"{"max_tokens":1,"stream":true}"#)
            #expect(anthropic.truncated)
            #expect(anthropic.chunkTexts.last == "event: content_block_stop\ndata: {\"type\":\"content_block_stop\",\"index\":0}\n\n")
            #expect(!anthropic.text.contains("message_delta"))

            let openai = try await exchange(port: server.port, path: "/v1/chat/completions", headers: openAIHeaders,
                                            body: #"{"stream":true,"stream_options":{"include_usage":true}}"#)
            #expect(openai.truncated)
            #expect(openai.chunkTexts.count == 3)
            #expect(!openai.text.contains("[DONE]"))

            let google = try await exchange(port: server.port, path: "/v1beta/models/g:streamGenerateContent?alt=sse", headers: geminiHeaders, body: "{}")
            #expect(google.truncated)
            #expect(google.chunkTexts.count == 1)
            #expect(!google.text.contains("finishReason"))
        }
    }

    @Test func resetClosesRightAfterTheHead() async throws {
        try await withFakeServer { server in
            server.enqueue(.reset, for: .openai)
            let response = try await exchange(port: server.port, path: "/v1/chat/completions", headers: openAIHeaders, body: #"{"stream":true}"#)
            #expect(response.status == 200)
            #expect(response.truncated)
            #expect(response.body.isEmpty)
        }
    }

    @Test func hugeBodyHasExactlyTheRequestedLength() async throws {
        try await withFakeServer { server in
            let size = 1_000_003
            server.enqueue(.hugeBody(bytes: size), for: .openai)
            let response = try await exchange(port: server.port, path: "/v1/chat/completions", headers: openAIHeaders, body: "{}")
            #expect(response.status == 200)
            #expect(response.header("content-length") == String(size))
            #expect(response.body.count == size)
            #expect(response.text.hasPrefix(#"{"data":"aaa"#))
            #expect(response.text.hasSuffix(#"aaa"}"#))
        }
    }

    @Test func chunkDelaysAreScheduledAndKeepEveryEvent() async throws {
        try await withFakeServer { server in
            server.enqueue(.text(chunks: ["x", "y"], usage: FakeUsage(input: 1, output: 2), chunkDelayMs: 5), for: .openai)
            let response = try await exchange(port: server.port, path: "/v1/chat/completions", headers: openAIHeaders, body: #"{"stream":true}"#)
            #expect(response.chunkTexts.count == 5)
            #expect(response.chunkTexts[1].contains(#""delta":{"content":"x"}"#))
            #expect(response.chunkTexts[2].contains(#""delta":{"content":"y"}"#))
        }
    }

    @Test func expectContinueGetsAnInterimResponse() async throws {
        try await withFakeServer { server in
            let port = server.port
            let (interim, final) = try await offPool {
                let connection = try RawConnection(port: port)
                defer { connection.close() }
                let body = #"{"max_tokens":1}"#
                try connection.send("POST /v1/messages HTTP/1.1\r\nhost: x\r\nx-api-key: k\r\nanthropic-version: 2023-06-01\r\nexpect: 100-continue\r\ncontent-length: \(body.utf8.count)\r\n\r\n")
                let interim = try connection.readResponse()
                try connection.send(body)
                return (interim, try connection.readResponse())
            }
            #expect(interim.status == 100)
            #expect(final.status == 200)
        }
    }

    @Test func connectionCloseRequestIsHonoured() async throws {
        try await withFakeServer { server in
            let port = server.port
            let (response, eof) = try await offPool {
                let connection = try RawConnection(port: port)
                defer { connection.close() }
                try connection.sendRequest(path: "/v1/chat/completions", headers: openAIHeaders + [("connection", "close")], body: "{}")
                let response = try connection.readResponse()
                return (response, try connection.readsEOF())
            }
            #expect(response.status == 200)
            #expect(response.header("connection") == "close")
            #expect(eof)
        }
    }

    @Test func malformedBodyIsAProviderShaped400() async throws {
        try await withFakeServer { server in
            let response = try await exchange(port: server.port, path: "/v1/chat/completions", headers: openAIHeaders, body: "{not json")
            #expect(response.status == 400)
            #expect(response.text.hasPrefix(#"{"error":{"message":"We could not parse the JSON body"#))
        }
    }
}
