import Foundation
import JWTKit
import LLMDomain

/// JWT access tokens: HS256 keyed with the UTF-8 bytes of LLMRPC_SECRET_KEY, `sub` = user id, `exp`.
public final class TokenService: Sendable {
    private let keys: JWTKeyCollection
    public let lifetime: TimeInterval

    struct Payload: JWTPayload {
        var sub: SubjectClaim
        var exp: ExpirationClaim
        var iat: IssuedAtClaim

        func verify(using algorithm: some JWTAlgorithm) async throws {
            try exp.verifyNotExpired()
        }
    }

    public init(secret: String, lifetimeMinutes: Int) async {
        let k = JWTKeyCollection()
        await k.add(hmac: HMACKey(from: Array(secret.utf8)), digestAlgorithm: .sha256)
        keys = k
        lifetime = TimeInterval(lifetimeMinutes) * 60
    }

    public func issue(userID: String, now: Date = Date()) async throws -> (token: String, expiresAt: Date) {
        let exp = now.addingTimeInterval(lifetime)
        let p = Payload(sub: SubjectClaim(value: userID), exp: ExpirationClaim(value: exp), iat: IssuedAtClaim(value: now))
        return (try await keys.sign(p), exp)
    }

    /// The user id of a valid token; `token_expired` or `unauthenticated` otherwise.
    public func verify(_ token: String) async throws -> String {
        do {
            let p = try await keys.verify(token, as: Payload.self)
            return p.sub.value
        } catch let e as JWTError where e.errorType == .claimVerificationFailure {
            throw DomainError(.tokenExpired, "The access token has expired; log in again")
        } catch {
            throw DomainError(.unauthenticated, "The access token is invalid")
        }
    }
}
