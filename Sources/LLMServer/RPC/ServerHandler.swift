import JSONRPC
import LLMDomain
import LLMJSON
import LLMStore
import Logging

/// The per-connection `RPCHandler`: looks the method up in `MethodTable`, checks the session
/// and the caller's rights, runs it. Errors go through `ErrorMapping`.
public final class ServerHandler: RPCHandler, @unchecked Sendable {
    let services: Services
    let session: Session
    let table: MethodTable
    /// Called for the `exit` notification with the process exit code.
    let onExit: @Sendable (Int32) -> Void

    public init(services: Services, session: Session, table: MethodTable = .standard,
                onExit: @escaping @Sendable (Int32) -> Void) {
        self.services = services
        self.session = session
        self.table = table
        self.onExit = onExit
    }

    public func handle(_ request: RPCRequest, context: RPCContext) async throws -> JSONValue {
        if request.method == "exit" {
            await services.db.writesSettled()
            onExit(session.didShutdown ? 0 : 1)
            return .null
        }
        guard let method = table.methods[request.method] else {
            if request.isNotification { return .null }
            throw RPCError.methodNotFound(request.method)
        }
        // Chat records are committed after their answers (group commit): every other method
        // waits until those of this process are in, so it reads what the client has seen.
        if !method.skipsRecordBarrier { await services.db.writesSettled() }
        var user: UserRecord? = nil
        if method.access != .anyone {
            // Chat methods check the settings generation inside their pending-row transaction
            // (they resolve again if it moved), which saves this read.
            let refresh = !(method.checksSettingsInWrite && services.config.usageLogging)
            user = try authenticatedUser(refresh: refresh)
            if method.access == .superuser, user?.isSuperuser != true {
                throw DomainError(.forbidden, "This method needs a superuser")
            }
        }
        let ctx = MethodContext(services: services, session: session, rpc: context, user: user)
        return try await method.run(request.params, ctx)
    }

    private func authenticatedUser(refresh: Bool) throws -> UserRecord {
        guard let id = session.userID else {
            throw DomainError(.unauthenticated, "Not authenticated: call login/accessToken or session/authenticate first")
        }
        // One tiny read per request; the user's row comes from memory unless something changed.
        if refresh { try services.db.refreshSettingsCache() }
        do {
            return try Self.activeUser(id: id, session: session, services: services)
        } catch where !refresh {
            // A refusal is never made on rows that may be stale.
            try services.db.refreshSettingsCache()
            return try Self.activeUser(id: id, session: session, services: services)
        }
    }

    /// The session's user, if it still exists and is active (from the settings cache).
    static func activeUser(id: String, session: Session, services: Services) throws -> UserRecord {
        guard let user = try services.db.cachedUser(id: id) else {
            session.bind(userID: nil)
            throw DomainError(.unauthenticated, "The session's user no longer exists")
        }
        guard user.isActive else { throw DomainError(.inactiveUser, "This user is deactivated") }
        return user
    }

    public func wireError(for error: Error) -> RPCError {
        let wire = ErrorMapping.wire(error)
        if wire.code == -32603 {
            services.logger.error("internal error", metadata: ["type": "\(Swift.type(of: error))"])
        }
        return wire
    }

    public func isBarrier(method: String) -> Bool {
        table.methods[method]?.changesSession ?? false
    }

    public func executorPreference(method: String) -> (any TaskExecutor)? {
        (table.methods[method]?.runsOnHTTPThread ?? false) ? services.http.executor : nil
    }

    public func cancelsOnInputEnd(method: String) -> Bool {
        table.methods[method]?.cancelsOnInputEnd ?? false
    }
}
