import JSONRPC
import LLMJSON

/// `rpc.discover`: the OpenRPC document of this protocol (schemas/openrpc.json).
struct DiscoverMethod: RPCMethod {
    static let name = "rpc.discover"
    static let access = MethodAccess.anyone

    static func handle(_ params: NoParams, _ ctx: MethodContext) async throws -> JSONValue {
        try OpenRPCDocument.value()
    }
}
