import JSONRPC
import LLMJSON

/// `initialize`: optional handshake; every method works without it.
struct InitializeMethod: RPCMethod {
    static let name = "initialize"
    static let access = MethodAccess.anyone

    struct Params: RPCParams {
        var protocolVersion: String?
        init(_ p: JSONRPC.Params) throws {
            protocolVersion = try p.optionalString("protocol_version")
            _ = p.optionalValue("client_info")
        }
    }

    static func handle(_ params: Params, _ ctx: MethodContext) async throws -> JSONValue {
        let methods = MethodTable.standard.methods.keys.sorted().map { JSONValue.string($0) }
        return [
            "server_info": ["name": "llmrpc", "version": .string(ctx.services.version)],
            "protocol_version": "1",
            "capabilities": [
                "methods": .array(methods),
                "streaming": true,
                "cancellation": ["$/cancelRequest", "notifications/cancelled"],
                "batches": true,
                "providers": ["anthropic", "openai", "google"],
                "max_in_flight": .int(ctx.services.config.maxInFlight),
                "max_line_bytes": .int(ctx.services.config.maxLineBytes),
            ],
        ]
    }
}
