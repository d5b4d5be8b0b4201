import JSONRPC
import LLMCrypto
import LLMDomain
import LLMJSON

/// `admin/users/create`: a new user; duplicate email → `409 email_exists`.
struct CreateUserMethod: RPCMethod {
    static let name = "admin/users/create"
    static let access = MethodAccess.superuser

    struct Params: RPCParams {
        var email: String
        var password: String
        var fullName: String?
        var isSuperuser: Bool
        init(_ p: JSONRPC.Params) throws {
            email = try UserValidation.email(try p.string("email"))
            password = try UserValidation.password(try p.string("password"))
            fullName = try p.optionalString("full_name")
            isSuperuser = try p.optionalBool("is_superuser") ?? false
        }
    }

    static func handle(_ params: Params, _ ctx: MethodContext) async throws -> JSONValue {
        let hash = try PasswordHasher.hash(params.password)
        let user = try ctx.db.createUser(email: params.email, fullName: params.fullName, passwordHash: hash,
                                         isSuperuser: params.isSuperuser)
        ctx.services.logger.info("user created", metadata: ["user_id": "\(user.id)", "by": "\(ctx.caller.id)"])
        return .object(UserJSON.basic(user))
    }
}

enum UserValidation {
    static func email(_ raw: String) throws -> String {
        let e = raw.trimmingWhitespace()
        let parts = e.split(separator: "@", omittingEmptySubsequences: false)
        guard e.count <= 254, parts.count == 2, !parts[0].isEmpty, parts[1].contains("."),
              !e.contains(where: { $0.isWhitespace || $0.isNewline }) else {
            throw RPCError.invalidParams(field: "email", "'email' must be an email address")
        }
        return e
    }

    static func password(_ p: String, field: String = "password") throws -> String {
        guard p.count >= 8 else { throw RPCError.invalidParams(field: field, "'\(field)' must have at least 8 characters") }
        guard p.utf8.count <= 1024 else { throw RPCError.invalidParams(field: field, "'\(field)' is too long") }
        return p
    }
}
