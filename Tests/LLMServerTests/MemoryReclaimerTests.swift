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

    @Test func sequentialRequestsTrimEveryNAndOnlyAfterTheirRecords() async throws {
        let log = Mutex<[String]>([])
        let (stream, continuation) = AsyncStream<Void>.makeStream()
        let r = MemoryReclaimer(burst: 100, every: 3, trim: {
            log.withLock { $0.append("trim") }
            continuation.yield()
        }, settled: {
            log.withLock { $0.append("settled") }
        })
        // One at a time: never a burst, but every third request ends with a trim.
        for _ in 0..<2 { r.requestStarted(); r.requestEnded() }
        #expect(log.withLock { $0 }.isEmpty)
        r.requestStarted(); r.requestEnded()
        var it = stream.makeAsyncIterator()
        _ = await it.next()
        #expect(log.withLock { $0 } == ["settled", "trim"])
        for _ in 0..<3 { r.requestStarted(); r.requestEnded() }
        _ = await it.next()
        #expect(log.withLock { $0 } == ["settled", "trim", "settled", "trim"])
    }
}
