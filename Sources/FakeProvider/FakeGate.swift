import Foundation
import NIOCore

/// A latch a test opens: a `.held` answer sends its response head, then waits here until
/// `open()`. It keeps requests in flight for exactly as long as a test needs, without timers
/// (a delay long enough on one machine is too short on a busier one).
public final class FakeGate: @unchecked Sendable {
    private let lock = NSLock()
    private var opened = false
    private var waiters: [(EventLoop, @Sendable () -> Void)] = []

    public init() {}

    /// Lets every response waiting here (and every later one) go on.
    public func open() {
        let waiting = lock.withLock { () -> [(EventLoop, @Sendable () -> Void)] in
            opened = true
            defer { waiters = [] }
            return waiters
        }
        for (loop, resume) in waiting { loop.execute(resume) }
    }

    /// Runs `resume` on `loop` once the gate is open (at once if it is).
    func whenOpen(on loop: EventLoop, _ resume: @escaping @Sendable () -> Void) {
        let now = lock.withLock { () -> Bool in
            if opened { return true }
            waiters.append((loop, resume))
            return false
        }
        if now { loop.execute(resume) }
    }
}
