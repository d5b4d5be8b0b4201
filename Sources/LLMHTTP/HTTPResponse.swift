/// The status and headers of a response, and its body still arriving.
public struct HTTPResponse: Sendable {
    /// The status code of the final response (interim 1xx and proxy CONNECT responses are skipped).
    public var status: Int
    /// Header fields in order of arrival; names are lowercased.
    public var headers: [(String, String)]
    /// The body, streamed as it arrives.
    public var body: HTTPBody

    public init(status: Int, headers: [(String, String)], body: HTTPBody) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// The value of the first header field named `name` (case-insensitive), if any.
    public func header(_ name: String) -> String? {
        let wanted = name.lowercased()
        for (key, value) in headers where key == wanted {
            return value
        }
        return nil
    }
}
