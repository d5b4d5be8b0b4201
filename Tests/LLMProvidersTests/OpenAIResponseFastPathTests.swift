import LLMDomain
import Testing
@testable import LLMProviders

/// The plain answer's fast path (`commonResponse`, no JSON tree but for `usage`) must answer
/// exactly what the full parse (`anyResponse`) answers, and give up (nil) on whatever else.
@Suite struct OpenAIResponseFastPathTests {
    func fast(_ text: String) -> ChatResponse? {
        Array(text.utf8).withUnsafeBufferPointer { OpenAIAdapter.commonResponse($0) }
    }

    func full(_ text: String) throws -> ChatResponse { try OpenAIAdapter.anyResponse(body: Array(text.utf8)) }

    static let real = #"""
    {
      "id": "chatcmpl-B9MHDbslfkBeAs8l4bebGdFOJ6PeG",
      "object": "chat.completion",
      "created": 1741570283,
      "model": "gpt-4o-2024-08-06",
      "choices": [
        {
          "index": 0,
          "message": {
            "role": "assistant",
            "content": "The image shows a wooden boardwalk path \"running\" through a lush green field.\n",
            "refusal": null,
            "annotations": []
          },
          "logprobs": null,
          "finish_reason": "stop"
        }
      ],
      "usage": {
        "prompt_tokens": 1117,
        "completion_tokens": 46,
        "total_tokens": 1163,
        "prompt_tokens_details": { "cached_tokens": 1024, "audio_tokens": 0 },
        "completion_tokens_details": { "reasoning_tokens": 12, "audio_tokens": 0, "accepted_prediction_tokens": 0, "rejected_prediction_tokens": 0 }
      },
      "service_tier": "default",
      "system_fingerprint": "fp_fc9f1d7035"
    }
    """#

    @Test(arguments: [
        (real, ChatResponse(providerMessageId: "chatcmpl-B9MHDbslfkBeAs8l4bebGdFOJ6PeG",
                            text: "The image shows a wooden boardwalk path \"running\" through a lush green field.\n",
                            finishReason: .stop,
                            usage: Usage(inputTokens: 93, outputTokens: 46, cacheReadInputTokens: 1024, reasoningTokens: 12))),
        (#"{"choices":[{"message":{"content":null,"refusal":"I can't help with that."},"finish_reason":"stop"}]}"#,
         ChatResponse(text: "I can't help with that.")),
        (#"{"id":null,"choices":[{"index":3,"message":{"content":"","reasoning_content":"think"},"finish_reason":"length"}],"usage":null}"#,
         ChatResponse(reasoning: "think", finishReason: .length)),
        (#"{"choices":[{"message":{"content":"x","reasoning":"r","tool_calls":null}}],"error":null}"#,
         ChatResponse(text: "x", reasoning: "r")),
        (#"{"choices":[],"usage":{"prompt_tokens":5,"completion_tokens":0,"prompt_tokens_details":{"cache_write_tokens":3}}}"#,
         ChatResponse(usage: Usage(inputTokens: 2, outputTokens: 0, cacheCreationInputTokens: 3))),
        (#"{"choices":[{"message":{"content":"caf\u00e9 😀"},"finish_reason":"content_filter"}]}"#,
         ChatResponse(text: "café 😀", finishReason: .contentFilter)),
    ] as [(String, ChatResponse)])
    func commonResponsesAreReadWithoutTheTree(_ text: String, _ expected: ChatResponse) throws {
        #expect(try full(text) == expected)
        #expect(fast(text) == expected)
    }

    /// Bodies left to the full parse: the fast path gives nil.
    @Test(arguments: [
        #"{"choices":[{"message":{"content":null,"tool_calls":[{"id":"call_1","type":"function","function":{"name":"f","arguments":"{}"}}]},"finish_reason":"tool_calls"}]}"#,
        #"{"choices":[{"message":{"content":"a"}},{"message":{"content":"b"}}]}"#,
        #"{"error":{"message":"boom","type":"server_error"}}"#,
        #"{"choices":[{"message":{"content":"a","content":"b"}}]}"#,
        #"{"choices":[{"message":{"\u0063ontent":"escaped"}}]}"#,
        #"{"choices":[{"message":{"content":7}}]}"#,
        #"{"choices":["text"]}"#,
        #"{"choices":{"message":{}}}"#,
        #"{"id":7,"choices":[]}"#,
        #"{"choices":[],"usage":5}"#,
        #"{"choices":[],"usage":{"prompt_tokens":1},"usage":null}"#,
        #"{"object":"chat.completion"}"#,
        #"{"choices":[]"#,
        #"{"choices":[]} x"#,
        "not json",
    ])
    func otherBodiesFallBackToTheFullParse(_ text: String) {
        #expect(fast(text) == nil)
    }

    @Test func everyPrefixOfARealBodyIsLeftToTheFullParse() {
        let bytes = Array(Self.real.utf8)
        var answered = 0
        for end in 1...bytes.count {
            if let r = bytes[0..<end].withUnsafeBufferPointer({ OpenAIAdapter.commonResponse($0) }) {
                answered += 1
                #expect(r == (try? OpenAIAdapter.anyResponse(body: Array(bytes[0..<end]))))
            }
        }
        #expect(answered == 1)
    }
}
