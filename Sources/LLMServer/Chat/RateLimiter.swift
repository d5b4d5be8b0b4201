import FoundationEssentials
import LLMDomain
import Synchronization

/// Per-user limits within this process: chat requests per minute (sliding window) and
/// concurrent streams. `429 rate_limited` with `retry_after_ms` when over.
public final class RateLimiter: Sendable {
    private let rpm: Int
    private let maxStreams: Int
    private struct PerUser {
        var times: [Date] = []
        var streams = 0
    }
    private let state = Mutex<[String: PerUser]>([:])

    public init(requestsPerMinute: Int, maxConcurrentStreams: Int) {
        rpm = requestsPerMinute
        maxStreams = maxConcurrentStreams
    }

    /// Admits one chat request or throws `rate_limited`.
    public func admit(userID: String, stream: Bool, now: Date = Date()) throws {
        try state.withLock { all in
            var u = all[userID] ?? PerUser()
            let windowStart = now.addingTimeInterval(-60)
            u.times.removeAll { $0 <= windowStart }
            if rpm > 0, u.times.count >= rpm {
                let wait = max(1, Int((u.times[0].timeIntervalSince(windowStart)) * 1000))
                all[userID] = u
                throw DomainError(.rateLimited, "Too many chat requests: the limit is \(rpm) per minute",
                                  retryAfterMs: wait)
            }
            if stream, u.streams >= maxStreams {
                all[userID] = u
                throw DomainError(.rateLimited, "Too many concurrent streams: the limit is \(maxStreams)",
                                  retryAfterMs: 1000)
            }
            if rpm > 0 { u.times.append(now) }
            if stream { u.streams += 1 }
            all[userID] = u
        }
    }

    public func streamEnded(userID: String) {
        state.withLock { all in
            if var u = all[userID] {
                u.streams = max(0, u.streams - 1)
                all[userID] = u
            }
        }
    }
}
