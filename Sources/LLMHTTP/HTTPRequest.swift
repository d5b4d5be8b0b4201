/// One HTTP request: the method, an absolute `http`/`https` URL, headers and a body.
public struct HTTPRequest: Sendable {
    public var url: String
    public var method: String
    /// Header fields in order; names are sent as given. Values must not contain CR or LF.
    public var headers: [(String, String)]
    public var body: [UInt8]

    public init(url: String, method: String = "GET", headers: [(String, String)] = [], body: [UInt8] = []) {
        self.url = url
        self.method = method
        self.headers = headers
        self.body = body
    }
}
