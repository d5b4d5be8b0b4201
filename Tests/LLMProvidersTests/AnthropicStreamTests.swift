import Foundation
import LLMDomain
import Testing
@testable import LLMProviders

@Suite struct AnthropicStreamTests {
    @Test func fixtureEnding() {
        #expect(Fixtures.anthropicBasic.hasSuffix("data: {\"type\":\"message_stop\"}"))
        #expect(Fixtures.anthropicTrailingBlankLine.hasSuffix("message_stop\"}\n\n"))
    }

    @Test(arguments: Split.allCases) func basicFixture(split: Split) {
        let r = replay(.anthropic, Fixtures.anthropicBasic, split: split)
        #expect(r.events == [
            .usage(Usage(inputTokens: 11, outputTokens: 1)),
            .textDelta("Hello"), .textDelta(" there"), .textDelta("!"),
            .finish(.stop),
            .usage(Usage(inputTokens: 11, outputTokens: 6)),
        ])
        #expect(r.completed)
        #expect(r.acc.response == ChatResponse(text: "Hello there!", finishReason: .stop, usage: Usage(inputTokens: 11, outputTokens: 6)))
    }

    @Test func basicFixtureCompletesOnlyWhenMessageStopIsDispatched() {
        var p = AnthropicStreamParser()
        _ = p.feed(Array(Fixtures.anthropicBasic.utf8))
        #expect(!p.completed)  // the last event has no blank line after it yet
        _ = p.finish()
        #expect(p.completed)
    }

    @Test(arguments: Split.allCases) func toolUseFixture(split: Split) {
        let r = replay(.anthropic, Fixtures.anthropicToolUse, split: split)
        #expect(r.events == [
            .usage(Usage(inputTokens: 377, outputTokens: 1)),
            .textDelta("I"), .textDelta("'ll check the current weather in Paris for you."),
            .toolCallDelta(index: 0, id: "toolu_01NRLabsLyVHZPKxbKvkfSMn", name: "get_weather", arguments: ""),
            .toolCallDelta(index: 0, id: nil, name: nil, arguments: "{\"locati"),
            .toolCallDelta(index: 0, id: nil, name: nil, arguments: "on\": \"P"),
            .toolCallDelta(index: 0, id: nil, name: nil, arguments: "ar"),
            .toolCallDelta(index: 0, id: nil, name: nil, arguments: "is\"}"),
            .finish(.toolCalls),
            .usage(Usage(inputTokens: 377, outputTokens: 65)),
        ])
        #expect(r.completed)
        #expect(r.acc.response == ChatResponse(
            text: "I'll check the current weather in Paris for you.",
            toolCalls: [ToolCall(id: "toolu_01NRLabsLyVHZPKxbKvkfSMn", name: "get_weather", arguments: "{\"location\": \"Paris\"}")],
            finishReason: .toolCalls, usage: Usage(inputTokens: 377, outputTokens: 65)))
    }

    @Test(arguments: Split.allCases) func thinkingRefusalFixtureWithTrailingSpaces(split: Split) {
        let r = replay(.anthropic, Fixtures.anthropicThinkingRefusal, split: split)
        #expect(r.errors == [])
        #expect(r.acc.reasoning == "Simple educ")
        #expect(r.acc.text == "Hi")
        #expect(r.acc.finishReason == .contentFilter)
        #expect(r.acc.usage == Usage(inputTokens: 28, outputTokens: 106, reasoningTokens: 67))
        #expect(r.completed)
    }

    @Test func cacheBucketsAndCumulativeDeltasAreReplacedNotSummed() {
        let s = """
        event: message_start
        data: {"type":"message_start","message":{"id":"msg_1","usage":{"input_tokens":50,"cache_creation_input_tokens":1000,"cache_read_input_tokens":2000,"output_tokens":1}}}

        event: content_block_start
        data: {"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}

        event: content_block_delta
        data: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"ok"}}

        event: message_delta
        data: {"type":"message_delta","delta":{"stop_reason":null},"usage":{"output_tokens":10}}

        event: message_delta
        data: {"type":"message_delta","delta":{"stop_reason":"max_tokens","stop_sequence":null},"usage":{"output_tokens":25,"cache_read_input_tokens":2048}}

        event: message_stop
        data: {"type":"message_stop"}


        """
        let r = replay(.anthropic, s)
        #expect(r.usageEvents == [
            Usage(inputTokens: 50, outputTokens: 1, cacheReadInputTokens: 2000, cacheCreationInputTokens: 1000),
            Usage(inputTokens: 50, outputTokens: 10, cacheReadInputTokens: 2000, cacheCreationInputTokens: 1000),
            Usage(inputTokens: 50, outputTokens: 25, cacheReadInputTokens: 2048, cacheCreationInputTokens: 1000),
        ])
        #expect(r.acc.finishReason == .length)
        #expect(r.acc.usage?.totalTokens == 50 + 2048 + 1000 + 25)
        #expect(r.completed)
    }

    @Test func toolIndexCountsOnlyToolUseBlocks() {
        let s = """
        event: content_block_start
        data: {"type":"content_block_start","index":0,"content_block":{"type":"thinking","thinking":"","signature":""}}

        event: content_block_delta
        data: {"type":"content_block_delta","index":0,"delta":{"type":"thinking_delta","thinking":"Let me think"}}

        event: content_block_start
        data: {"type":"content_block_start","index":1,"content_block":{"type":"tool_use","id":"toolu_a","name":"f","input":{}}}

        event: content_block_delta
        data: {"type":"content_block_delta","index":1,"delta":{"type":"input_json_delta","partial_json":"{\\"a\\":1}"}}

        event: content_block_start
        data: {"type":"content_block_start","index":2,"content_block":{"type":"text","text":""}}

        event: content_block_start
        data: {"type":"content_block_start","index":3,"content_block":{"type":"tool_use","id":"toolu_b","name":"g","input":{}}}

        event: content_block_delta
        data: {"type":"content_block_delta","index":3,"delta":{"type":"input_json_delta","partial_json":"{}"}}


        """
        let r = replay(.anthropic, s)
        #expect(r.events == [
            .reasoningDelta("Let me think"),
            .toolCallDelta(index: 0, id: "toolu_a", name: "f", arguments: ""),
            .toolCallDelta(index: 0, id: nil, name: nil, arguments: "{\"a\":1}"),
            .toolCallDelta(index: 1, id: "toolu_b", name: "g", arguments: ""),
            .toolCallDelta(index: 1, id: nil, name: nil, arguments: "{}"),
        ])
        #expect(!r.completed)
    }

    @Test(arguments: Split.allCases) func errorEventMidStream(split: Split) {
        let head = Fixtures.anthropicToolUse.components(separatedBy: "event: content_block_stop")[0]
        let r = replay(.anthropic, head + Fixtures.anthropicErrorEvent, split: split)
        #expect(r.acc.text == "I'll check the current weather in Paris for you.")
        #expect(r.errors == [ProviderError(kind: .overloaded, status: 200, message: "Overloaded")])
        #expect(r.acc.usage == Usage(inputTokens: 377, outputTokens: 1))
        #expect(!r.completed)
    }

    @Test func truncatedBeforeMessageDelta() {
        let cut = Fixtures.anthropicBasic.components(separatedBy: "event: message_delta")[0]
        let r = replay(.anthropic, cut)
        #expect(r.acc.text == "Hello there!")
        #expect(r.acc.finishReason == nil)
        #expect(r.acc.usage == Usage(inputTokens: 11, outputTokens: 1))
        #expect(!r.completed)
    }

    @Test func truncatedMidEventIsTruncationNotAnError() {
        let full = Array(Fixtures.anthropicTrailingBlankLine.utf8)
        // Cut inside the message_delta line: its half JSON is dropped at finish().
        let cut = full.count - 60
        let r = replay(.anthropic, Array(full[0..<cut]))
        #expect(r.errors == [])
        #expect(r.acc.finishReason == nil)
        #expect(r.acc.text == "Hello there!")
        #expect(!r.completed)
    }

    @Test func malformedCompleteEventIsAnErrorEvenAtTheEnd() {
        let r = replay(.anthropic, Fixtures.anthropicBasic + "\n\nevent: message_delta\ndata: {\"type\":\n\n")
        #expect(r.errors == [ProviderError(kind: .server, status: 200, message: "malformed stream event")])
        #expect(r.completed)
    }

    @Test func malformedJSONThenMoreEvents() {
        let s = "event: content_block_delta\ndata: {not json\n\n" + Fixtures.anthropicBasic
        let r = replay(.anthropic, s)
        #expect(r.events.first == .error(ProviderError(kind: .server, status: 200, message: "malformed stream event")))
        #expect(r.acc.text == "Hello there!")
        #expect(r.completed)
    }

    @Test func unknownEventsAndPingsAreIgnored() {
        let s = "event: ping\ndata: {\"type\": \"ping\"}\n\nevent: brand_new_event\ndata: not even json\n\n"
            + "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"future_delta\",\"x\":1}}\n\n"
        #expect(replay(.anthropic, s).events == [])
    }

    @Test(arguments: [
        ("end_turn", FinishReason.stop), ("stop_sequence", .stop), ("max_tokens", .length), ("tool_use", .toolCalls),
        ("refusal", .contentFilter), ("model_context_window_exceeded", .length), ("pause_turn", .stop),
    ]) func finishReasons(raw: String, expected: FinishReason) {
        let s = "event: message_delta\ndata: {\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"\(raw)\"},\"usage\":{\"output_tokens\":3}}\n\n"
        #expect(replay(.anthropic, s).acc.finishReason == expected)
    }
}
