import JSONRPC
import LLMJSON

/// Who may call a method.
public enum MethodAccess: Sendable {
    /// No session needed (initialize, login, health...).
    case anyone
    /// A logged-in, active user.
    case user
    /// A logged-in, active superuser.
    case superuser
}

/// A result that can be written as JSON.
public protocol JSONRepresentable: Sendable {
    var json: JSONValue { get }
}

extension JSONValue: JSONRepresentable {
    public var json: JSONValue { self }
}

/// One RPC method: its wire name, who may call it, its params type and its handler.
/// Every method of PROTOCOL.md §3 is one type conforming to this, registered in `MethodTable`.
public protocol RPCMethod: Sendable {
    associatedtype Params: RPCParams
    associatedtype Result: JSONRepresentable
    static var name: String { get }
    static var access: MethodAccess { get }
    /// Whether end of input on stdin cancels it (streams) instead of letting it finish.
    static var cancelsOnInputEnd: Bool { get }
    /// Whether it changes the session (login): later requests on the connection wait for it.
    static var changesSession: Bool { get }
    /// Whether it reads nothing that chat records write (the chat methods themselves): other
    /// methods first wait for this process's chat records to be committed.
    static var skipsRecordBarrier: Bool { get }
    /// Whether it checks the settings generation in its own write transaction (the chat
    /// methods, with usage logging on), so the request need not read it first.
    static var checksSettingsInWrite: Bool { get }
    /// Whether it runs on the HTTP engine's thread (the chat methods: they wait on upstream
    /// transfers, and nothing in them blocks for long).
    static var runsOnHTTPThread: Bool { get }
    static func handle(_ params: Params, _ ctx: MethodContext) async throws -> Result
}

extension RPCMethod {
    public static var cancelsOnInputEnd: Bool { false }
    public static var changesSession: Bool { false }
    public static var skipsRecordBarrier: Bool { false }
    public static var checksSettingsInWrite: Bool { false }
    public static var runsOnHTTPThread: Bool { false }
}

/// A registered method with its types erased.
struct AnyMethod: Sendable {
    let name: String
    let access: MethodAccess
    let cancelsOnInputEnd: Bool
    let changesSession: Bool
    let skipsRecordBarrier: Bool
    let checksSettingsInWrite: Bool
    let runsOnHTTPThread: Bool
    let run: @Sendable (Params, MethodContext) async throws -> JSONValue

    init<M: RPCMethod>(_ m: M.Type) {
        name = M.name
        access = M.access
        cancelsOnInputEnd = M.cancelsOnInputEnd
        changesSession = M.changesSession
        skipsRecordBarrier = M.skipsRecordBarrier
        checksSettingsInWrite = M.checksSettingsInWrite
        runsOnHTTPThread = M.runsOnHTTPThread
        run = { params, ctx in try await M.handle(try M.Params(params), ctx).json }
    }
}
