/// A failed transfer. The message is libcurl's error text or a fixed description; it never
/// contains request headers (they carry API keys).
public struct HTTPError: Error, Sendable, CustomStringConvertible, Equatable {
    /// What went wrong.
    public enum Kind: String, Sendable, Equatable {
        /// The host could not be resolved or the connection (TCP, TLS, proxy) could not be made.
        case connectFailed
        /// The connect timeout or the total timeout expired.
        case timedOut
        /// No byte arrived for `idleTimeout` seconds.
        case idleTimeout
        /// The transfer was cancelled (by `HTTPBody.cancel()`, task cancellation or `shutdown()`).
        case cancelled
        /// The body exceeded the bound given to `HTTPBody.collect(maxBytes:)`.
        case bodyTooLarge
        /// Any other failure: connection reset, malformed response, invalid request, ...
        case transport
    }

    public var kind: Kind
    public var message: String

    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    public var description: String { "HTTPError.\(kind.rawValue): \(message)" }
}
