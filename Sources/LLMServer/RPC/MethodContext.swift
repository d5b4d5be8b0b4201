import JSONRPC
import LLMDomain
import LLMJSON
import LLMStore

/// What a method handler sees: the shared services, its connection's session, the RPC
/// context (notifications, cancellation) and, for methods that need one, the caller.
public struct MethodContext: Sendable {
    public let services: Services
    public let session: Session
    public let rpc: RPCContext
    /// The caller, freshly loaded (a deactivation applies at once); nil for `.anyone` methods.
    public let user: UserRecord?

    /// The caller; only valid in methods whose access is `.user` or `.superuser`.
    public var caller: UserRecord { user! }
    public var db: AppDatabase { services.db }
}
