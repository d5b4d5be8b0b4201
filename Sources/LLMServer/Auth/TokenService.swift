import FoundationEssentials
import LLMCrypto
import LLMDomain
import LLMJSON

/// JWT access tokens (RFC 7519): HS256 keyed with the UTF-8 bytes of LLMRPC_SECRET_KEY,
/// header `{"alg":"HS256","typ":"JWT"}`, payload `sub` = user id, `exp` and `iat` in seconds
/// since 1970. Tokens signed by jwt-kit, which this replaces, verify alike.
public final class TokenService: Sendable {
    private let key: [UInt8]
    public let lifetime: TimeInterval

    public init(secret: String, lifetimeMinutes: Int) async {
        key = Array(secret.utf8)
        lifetime = TimeInterval(lifetimeMinutes) * 60
    }

    public func issue(userID: String, now: Date = Date()) async throws -> (token: String, expiresAt: Date) {
        let exp = now.addingTimeInterval(lifetime)
        let header: JSONValue = ["alg": "HS256", "typ": "JWT"]
        let payload: JSONValue = [
            "sub": .string(userID),
            "exp": .int(Self.seconds(exp)),
            "iat": .int(Self.seconds(now)),
        ]
        let signingInput = Base64URL.encode(JSONWriter.bytes(header)) + "." + Base64URL.encode(JSONWriter.bytes(payload))
        let signature = HMACSHA256.authenticate(Array(signingInput.utf8), key: key)
        return (signingInput + "." + Base64URL.encode(signature), exp)
    }

    /// The user id of a valid token; `token_expired` or `unauthenticated` otherwise.
    /// The signature is checked before anything in the payload is believed.
    public func verify(_ token: String) async throws -> String {
        let invalid = DomainError(.unauthenticated, "The access token is invalid")
        let parts = token.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3,
              let headerBytes = Base64URL.decode(parts[0]),
              let payloadBytes = Base64URL.decode(parts[1]),
              let signature = Base64URL.decode(parts[2]),
              let header = try? JSONParser.parse(headerBytes),
              header["alg"]?.stringValue == "HS256"
        else { throw invalid }
        let signingInput = Array(token.utf8.prefix(parts[0].utf8.count + 1 + parts[1].utf8.count))
        guard HMACSHA256.verify(signature, message: signingInput, key: key),
              let payload = try? JSONParser.parse(payloadBytes),
              let userID = payload["sub"]?.stringValue,
              let exp = payload["exp"]?.doubleValue
        else { throw invalid }
        if Date(timeIntervalSince1970: exp) <= Date() {
            throw DomainError(.tokenExpired, "The access token has expired; log in again")
        }
        return userID
    }

    /// A NumericDate: whole seconds since 1970, rounded down.
    private static func seconds(_ date: Date) -> Int64 {
        Int64(date.timeIntervalSince1970.rounded(.down))
    }
}

/// Base64 with the URL-safe alphabet and no padding (RFC 4648 §5), as JWTs use it.
enum Base64URL {
    private static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".utf8)

    static func encode(_ bytes: [UInt8]) -> String {
        var out = [UInt8]()
        out.reserveCapacity((bytes.count * 4 + 2) / 3)
        var i = 0
        while i < bytes.count {
            let b0 = bytes[i]
            let b1 = i + 1 < bytes.count ? bytes[i + 1] : 0
            let b2 = i + 2 < bytes.count ? bytes[i + 2] : 0
            out.append(alphabet[Int(b0 >> 2)])
            out.append(alphabet[Int((b0 & 0x03) << 4 | b1 >> 4)])
            if i + 1 < bytes.count { out.append(alphabet[Int((b1 & 0x0f) << 2 | b2 >> 6)]) }
            if i + 2 < bytes.count { out.append(alphabet[Int(b2 & 0x3f)]) }
            i += 3
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// nil for a character outside the alphabet (padding included), an impossible length,
    /// or leftover bits that are not zero (so every byte string has exactly one encoding).
    static func decode(_ text: Substring) -> [UInt8]? {
        let chars = Array(text.utf8)
        guard chars.count % 4 != 1 else { return nil }
        var out = [UInt8]()
        out.reserveCapacity(chars.count * 3 / 4)
        var buffer: UInt32 = 0
        var bits = 0
        for c in chars {
            guard let v = value(c) else { return nil }
            buffer = buffer << 6 | UInt32(v)
            bits += 6
            if bits >= 8 {
                bits -= 8
                out.append(UInt8(truncatingIfNeeded: buffer >> UInt32(bits)))
                buffer &= (1 << UInt32(bits)) - 1
            }
        }
        guard buffer == 0 else { return nil }
        return out
    }

    private static func value(_ c: UInt8) -> UInt8? {
        switch c {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"): return c - UInt8(ascii: "A")
        case UInt8(ascii: "a")...UInt8(ascii: "z"): return c - UInt8(ascii: "a") + 26
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return c - UInt8(ascii: "0") + 52
        case UInt8(ascii: "-"): return 62
        case UInt8(ascii: "_"): return 63
        default: return nil
        }
    }
}
