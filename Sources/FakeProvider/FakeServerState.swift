import Foundation

/// Everything the fake server shares between event-loop threads and tests, behind one lock:
/// scenario queues, recorded requests, and the continuations of tests waiting on them.
final class FakeServerState: @unchecked Sendable {
    private let lock = NSLock()
    private let recordRequests: Bool
    private var queues: [FakeProviderKind: [FakeScenario]] = [:]
    private var defaults: [FakeProviderKind: FakeScenario] = [:]
    private var recorded: [RecordedRequest] = []
    private var requestConnections: [Int] = []
    private var closedConnections: Set<Int> = []
    private var nextConnectionID = 0
    private var countWaiters: [(count: Int, continuation: CheckedContinuation<Void, Never>)] = []
    private var disconnectWaiters: [(index: Int, continuation: CheckedContinuation<Void, Never>)] = []
    private var isShutDown = false

    init(recordRequests: Bool) {
        self.recordRequests = recordRequests
    }

    // MARK: Scenarios

    func enqueue(_ scenario: FakeScenario, for provider: FakeProviderKind) {
        lock.withLock { queues[provider, default: []].append(scenario) }
    }

    func setDefault(_ scenario: FakeScenario, for provider: FakeProviderKind) {
        lock.withLock { defaults[provider] = scenario }
    }

    /// The next queued scenario for the provider, else its default.
    func nextScenario(for provider: FakeProviderKind) -> FakeScenario {
        lock.withLock {
            if var queue = queues[provider], !queue.isEmpty {
                let first = queue.removeFirst()
                queues[provider] = queue
                return first
            }
            return defaults[provider] ?? .standard
        }
    }

    // MARK: Connections and requests

    func newConnectionID() -> Int {
        lock.withLock {
            defer { nextConnectionID += 1 }
            return nextConnectionID
        }
    }

    /// Records a request (unless recording is off) and wakes the tests waiting for it.
    func record(provider: FakeProviderKind?, method: String, path: String, headers: [(String, String)], body: [UInt8], connectionID: Int) {
        guard recordRequests else { return }
        var ready: [CheckedContinuation<Void, Never>] = []
        lock.withLock {
            recorded.append(RecordedRequest(index: recorded.count, provider: provider, method: method, path: path, headers: headers, body: body))
            requestConnections.append(connectionID)
            ready = takeReadyWaiters()
        }
        ready.forEach { $0.resume() }
    }

    func connectionClosed(_ connectionID: Int) {
        guard recordRequests else { return }
        var ready: [CheckedContinuation<Void, Never>] = []
        lock.withLock {
            closedConnections.insert(connectionID)
            ready = takeReadyWaiters()
        }
        ready.forEach { $0.resume() }
    }

    var requests: [RecordedRequest] {
        lock.withLock { recorded }
    }

    func waitForRequests(count: Int) async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let resumeNow: Bool = lock.withLock {
                if isShutDown || recorded.count >= count { return true }
                countWaiters.append((count, continuation))
                return false
            }
            if resumeNow { continuation.resume() }
        }
    }

    func waitForClientDisconnect(requestIndex: Int) async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let resumeNow: Bool = lock.withLock {
                if isShutDown || isClosed(requestIndex) { return true }
                disconnectWaiters.append((requestIndex, continuation))
                return false
            }
            if resumeNow { continuation.resume() }
        }
    }

    /// Wakes every waiter; later waits return at once.
    func shutDown() {
        let all: [CheckedContinuation<Void, Never>] = lock.withLock {
            isShutDown = true
            defer { countWaiters = []; disconnectWaiters = [] }
            return countWaiters.map(\.continuation) + disconnectWaiters.map(\.continuation)
        }
        all.forEach { $0.resume() }
    }

    // Call with the lock held.
    private func isClosed(_ requestIndex: Int) -> Bool {
        requestIndex < requestConnections.count && closedConnections.contains(requestConnections[requestIndex])
    }

    // Call with the lock held.
    private func takeReadyWaiters() -> [CheckedContinuation<Void, Never>] {
        var ready: [CheckedContinuation<Void, Never>] = []
        countWaiters.removeAll { waiter in
            guard recorded.count >= waiter.count else { return false }
            ready.append(waiter.continuation)
            return true
        }
        disconnectWaiters.removeAll { waiter in
            guard isClosed(waiter.index) else { return false }
            ready.append(waiter.continuation)
            return true
        }
        return ready
    }
}
