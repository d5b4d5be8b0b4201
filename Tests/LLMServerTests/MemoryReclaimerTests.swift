import LLMServer
import Synchronization
import Testing

@Suite struct MemoryReclaimerTests {
    @Test func memoryIsGivenBackOnceWhenABurstEnds() async throws {
        let trims = Atomic<Int>(0)
        let (stream, continuation) = AsyncStream<Void>.makeStream()
        let r = MemoryReclaimer(burst: 4) {
            trims.add(1, ordering: .relaxed)
            continuation.yield()
        }
        // Below the burst size: never.
        for _ in 0..<3 { r.requestStarted() }
        for _ in 0..<3 { r.requestEnded() }
        // A burst of 10: once, when the last one ends.
        for _ in 0..<10 { r.requestStarted() }
        for _ in 0..<9 { r.requestEnded() }
        r.requestEnded()
        var it = stream.makeAsyncIterator()
        _ = await it.next()
        #expect(trims.load(ordering: .relaxed) == 1)
        // The next small wave does not trim again.
        r.requestStarted(); r.requestEnded()
        r.requestStarted(); r.requestEnded()
        for _ in 0..<5 { r.requestStarted() }
        for _ in 0..<5 { r.requestEnded() }
        _ = await it.next()
        #expect(trims.load(ordering: .relaxed) == 2)
    }
}
