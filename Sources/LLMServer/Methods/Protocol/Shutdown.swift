import JSONRPC
import LLMJSON

/// `shutdown`: in-flight work finishes; later requests get `-32600 shutting_down`;
/// `exit` then ends the process with 0.
struct ShutdownMethod: RPCMethod {
    static let name = "shutdown"
    static let changesSession = true
    static let access = MethodAccess.anyone

    static func handle(_ params: NoParams, _ ctx: MethodContext) async throws -> JSONValue {
        ctx.session.markShutdown()
        ctx.rpc.connection.beginShutdown()
        return .null
    }
}
