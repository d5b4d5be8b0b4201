/// Limits and timeouts for an `HTTPClient`; every transfer of the client uses them.
public struct HTTPClientConfiguration: Sendable {
    /// The longest time to establish a connection (TCP, TLS, proxy), in seconds.
    public var connectTimeout: Double
    /// A transfer fails with `.idleTimeout` when no byte arrives for this many seconds, counted
    /// from the start of the transfer and then from the last byte received (time spent paused
    /// because the consumer is slow does not count). Checked about ten times per period.
    public var idleTimeout: Double
    /// The longest time a whole transfer may take (body and pauses included), in seconds;
    /// `nil` means no limit.
    public var totalTimeout: Double?
    /// How many received bytes a transfer may buffer for a slow consumer before the client
    /// stops reading from the connection (backpressure).
    public var maxBufferedBytes: Int
    /// Idle connections kept open for reuse, at most. Concurrent transfers still get a
    /// connection each; past this many idle ones, a connection is closed when its transfer
    /// ends (libcurl's own default grows with the transfers ever added: after a burst of 1,000
    /// streams it kept ~1,000 idle sockets and their buffers).
    public var maxIdleConnections: Int

    public init(
        connectTimeout: Double = 10,
        idleTimeout: Double = 120,
        totalTimeout: Double? = nil,
        maxBufferedBytes: Int = 1 << 20,
        maxIdleConnections: Int = 64
    ) {
        self.connectTimeout = connectTimeout
        self.idleTimeout = idleTimeout
        self.totalTimeout = totalTimeout
        self.maxBufferedBytes = maxBufferedBytes
        self.maxIdleConnections = maxIdleConnections
    }
}
