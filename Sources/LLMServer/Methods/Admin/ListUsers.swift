import JSONRPC
import LLMDomain
import LLMJSON

/// `admin/users/list`: a page of users; `count` is the total.
struct ListUsersMethod: RPCMethod {
    static let name = "admin/users/list"
    static let access = MethodAccess.superuser

    struct Params: RPCParams {
        var skip: Int
        var limit: Int
        init(_ p: JSONRPC.Params) throws {
            skip = try p.int("skip", default: 0, range: 0...Int(Int32.max))
            limit = try p.int("limit", default: 100, range: 1...1000)
        }
    }

    static func handle(_ params: Params, _ ctx: MethodContext) async throws -> JSONValue {
        let (users, total) = try ctx.db.listUsers(skip: params.skip, limit: params.limit)
        return ["data": .array(users.map { .object(UserJSON.basic($0)) }), "count": .int(total)]
    }
}
