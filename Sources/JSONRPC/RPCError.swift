import LLMJSON

/// A JSON-RPC error object. `data` always carries `type` (snake_case) and `retryable`.
public struct RPCError: Error, Sendable, Equatable, CustomStringConvertible {
    public var code: Int
    public var message: String
    public var data: JSONObject

    public init(code: Int, message: String, type: String, retryable: Bool = false, extra: JSONObject = JSONObject()) {
        self.code = code
        self.message = message
        var d = JSONObject()
        d["type"] = .string(type)
        d["retryable"] = .bool(retryable)
        for (k, v) in extra { d[k] = v }
        self.data = d
    }

    public var type: String { data["type"]?.stringValue ?? "" }
    public var description: String { "RPCError(\(code) \(type): \(message))" }

    public var json: JSONValue {
        ["code": .int(code), "message": .string(message), "data": .object(data)]
    }

    public static func parseError(_ detail: String) -> RPCError {
        RPCError(code: -32700, message: "Parse error: \(detail)", type: "parse_error")
    }
    public static func invalidRequest(_ detail: String) -> RPCError {
        RPCError(code: -32600, message: "Invalid Request: \(detail)", type: "invalid_request")
    }
    public static func lineTooLong(limit: Int) -> RPCError {
        RPCError(code: -32600, message: "Invalid Request: line longer than \(limit) bytes", type: "line_too_long",
                 extra: ["limit_bytes": .int(limit)])
    }
    public static func methodNotFound(_ method: String) -> RPCError {
        RPCError(code: -32601, message: "Method not found: \(method)", type: "method_not_found")
    }
    public static func invalidParams(field: String?, _ detail: String) -> RPCError {
        var extra = JSONObject()
        if let field { extra["field"] = .string(field) }
        return RPCError(code: -32602, message: "Invalid params: \(detail)", type: "invalid_params", extra: extra)
    }
    public static func internalError(_ detail: String = "internal error") -> RPCError {
        RPCError(code: -32603, message: detail, type: "internal_error")
    }
    public static let cancelled = RPCError(code: -32800, message: "Request cancelled", type: "cancelled")
    public static func overloaded(retryAfterMs: Int, limit: Int) -> RPCError {
        RPCError(code: -32001, message: "Server overloaded: more than \(limit) requests in flight on this connection",
                 type: "overloaded", retryable: true, extra: ["retry_after_ms": .int(retryAfterMs)])
    }
    public static let shuttingDown = RPCError(code: -32600, message: "Invalid Request: the server is shutting down",
                                             type: "shutting_down")
}
