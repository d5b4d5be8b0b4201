import FoundationEssentials
import JSONRPC
import LLMJSON

/// `server/health`: liveness and database reachability.
struct HealthMethod: RPCMethod {
    static let name = "server/health"
    static let skipsRecordBarrier = true
    static let access = MethodAccess.anyone

    static func handle(_ params: NoParams, _ ctx: MethodContext) async throws -> JSONValue {
        let dbStatus: String
        do {
            try ctx.db.healthCheck()
            dbStatus = "ok"
        } catch {
            dbStatus = "error"
        }
        return [
            "status": .string(dbStatus == "ok" ? "ok" : "degraded"),
            "version": .string(ctx.services.version),
            "uptime_s": .int(Int(Date().timeIntervalSince(ctx.services.startedAt))),
            "database": .string(dbStatus),
        ]
    }
}
