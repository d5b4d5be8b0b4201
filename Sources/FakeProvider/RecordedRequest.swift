/// One HTTP request as the fake server received it.
public struct RecordedRequest: Sendable {
    /// 0-based arrival order across all providers.
    public var index: Int
    /// The provider whose route matched, or nil for an unknown path.
    public var provider: FakeProviderKind?
    /// `POST`, `GET`, …
    public var method: String
    /// The request target: path plus query string, as sent.
    public var path: String
    /// Header fields in arrival order, names lowercased.
    public var headers: [(String, String)]
    /// The request body bytes.
    public var body: [UInt8]

    /// The first value of a header (case-insensitive name), if present.
    public func header(_ name: String) -> String? {
        let lowered = name.lowercased()
        return headers.first { $0.0 == lowered }?.1
    }

    /// The body decoded as UTF-8.
    public var bodyString: String { String(decoding: body, as: UTF8.self) }
}
