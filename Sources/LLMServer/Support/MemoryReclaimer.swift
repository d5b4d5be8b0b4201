import Synchronization
#if canImport(CMalloc)
import CMalloc
#endif
#if canImport(Glibc)
import Glibc
#endif

/// Gives memory back to the system after a burst. glibc's malloc keeps the pages it freed in
/// its arenas: after 512 streams the process stayed ~17 MB above idle. When the number of chat
/// requests running drops back to zero after a peak of at least `burst`, or after `every`
/// requests since the last trim, `malloc_trim` returns the free pages, off the request path,
/// once the requests' records are written (`settled`: a chat's record is committed after its
/// answer, and what it frees then would otherwise stay in the arena).
public final class MemoryReclaimer: Sendable {
    private struct State {
        var active = 0
        var peak = 0
        var endedSinceTrim = 0
    }

    private let state = Mutex(State())
    let burst: Int
    let every: Int
    private let trim: @Sendable () -> Void
    private let settled: @Sendable () async -> Void

    /// `trim` gives the memory back (`malloc_trim(0)` unless a test passes its own); `settled`
    /// returns once the work that outlives a request (its record) is done.
    public init(burst: Int = 32, every: Int = 1000, trim: (@Sendable () -> Void)? = nil,
                settled: @escaping @Sendable () async -> Void = {}) {
        self.burst = burst
        self.every = every
        self.settled = settled
        self.trim = trim ?? { MemoryReclaimer.mallocTrim() }
    }

    /// Returns malloc's free pages to the system.
    public static func mallocTrim() {
        #if os(Linux)
        _ = malloc_trim(0)
        #endif
    }

    /// At start-up: at most two malloc arenas (this is a 2-core service; each arena keeps its
    /// own free memory).
    public static func configureAllocator() {
        #if os(Linux)
        _ = mallopt(M_ARENA_MAX, 2)
        #endif
    }

    public func requestStarted() {
        state.withLock { s in
            s.active += 1
            s.peak = max(s.peak, s.active)
        }
    }

    public func requestEnded() {
        let trim = state.withLock { s -> Bool in
            s.active -= 1
            s.endedSinceTrim += 1
            guard s.active == 0, s.peak >= burst || s.endedSinceTrim >= every else { return false }
            s.peak = 0
            s.endedSinceTrim = 0
            return true
        }
        if trim {
            Task.detached(priority: .background) { [self] in
                await self.settled()
                self.trim()
            }
        }
    }
}
