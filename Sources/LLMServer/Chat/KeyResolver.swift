import LLMCrypto
import LLMDomain
import LLMJSON
import LLMStore

/// The one key-resolution function (seed §"API Key Selection Priority"): the user's own key
/// for the provider, else the system key (database over `.env`), else `400 missing_api_key`.
struct KeyResolver {
    let services: Services

    enum Source: String { case user, system }

    struct ProviderKeyState {
        var userKey: SecretKey?
        var userKeyError: String?
        var hasUserKey: Bool
        var dbSystemKey: SecretKey?
        var envSystemKey: SecretKey?
        var systemKey: SecretKey? { dbSystemKey ?? envSystemKey }
        var activeSource: Source? {
            if userKey != nil { return .user }
            if systemKey != nil { return .system }
            return nil
        }
    }

    static func userAD(_ userID: String, _ p: Provider) -> String { "user:\(userID):\(p.rawValue)" }
    static func systemAD(_ p: Provider) -> String { "system:\(p.rawValue)" }

    /// The key a chat request for `provider` would use now, and its source.
    /// Reads and decrypts only what this request needs.
    func resolve(userID: String, provider: Provider) throws -> (key: SecretKey, source: Source) {
        let stored = try services.db.cachedKeys(userId: userID, provider: provider)
        if let user = stored.user {
            do {
                return (try services.cipher.open(ciphertext: user.ciphertext, nonce: user.nonce,
                                                 associatedData: Self.userAD(userID, provider)), .user)
            } catch {
                throw DomainError(.crypto, Self.undecryptable(provider))
            }
        }
        if let system = stored.system,
           let k = try? services.cipher.open(ciphertext: system.ciphertext, nonce: system.nonce,
                                             associatedData: Self.systemAD(provider)) {
            return (k, .system)
        }
        if let k = services.config.systemKeys[provider] { return (k, .system) }
        throw DomainError(.missingAPIKey, "No API key for \(provider.rawValue): add yours with users/me/apiKey/update",
                          extra: ["provider": provider.rawValue])
    }

    static func undecryptable(_ p: Provider) -> String {
        "Your stored \(p.rawValue) key cannot be decrypted (wrong LLMRPC_ENCRYPTION_KEY or corrupted data): set it again with users/me/apiKey/update"
    }

    /// Decrypted key state for every provider.
    func states(userID: String?) throws -> [Provider: ProviderKeyState] {
        let userKeys = try userID.map { try services.db.userKeys(userId: $0) } ?? [:]
        let sysKeys = try services.db.systemKeys()
        var out: [Provider: ProviderKeyState] = [:]
        for p in Provider.allCases {
            var s = ProviderKeyState(hasUserKey: userKeys[p] != nil)
            if let stored = userKeys[p], let uid = userID {
                do {
                    s.userKey = try services.cipher.open(ciphertext: stored.ciphertext, nonce: stored.nonce,
                                                         associatedData: Self.userAD(uid, p))
                } catch {
                    s.userKeyError = Self.undecryptable(p)
                }
            }
            if let stored = sysKeys[p] {
                s.dbSystemKey = try? services.cipher.open(ciphertext: stored.ciphertext, nonce: stored.nonce,
                                                          associatedData: Self.systemAD(p))
                if s.dbSystemKey == nil {
                    services.logger.error("a stored system key cannot be decrypted; check LLMRPC_ENCRYPTION_KEY",
                                          metadata: ["provider": "\(p.rawValue)"])
                }
            }
            s.envSystemKey = services.config.systemKeys[p]
            out[p] = s
        }
        return out
    }
}

/// Validation of API keys given by users and admins (PROTOCOL.md §3.4).
enum KeyValidation {
    static let fields: [(String, Provider)] = [("anthropic_api_key", .anthropic), ("openai_api_key", .openai),
                                               ("google_api_key", .google)]

    static func validate(_ key: String, field: String) throws -> SecretKey {
        if key.isEmpty { throw DomainError.invalidParams(field, "'\(field)' must not be empty") }
        if key.utf8.count > 512 { throw DomainError.invalidParams(field, "'\(field)' is longer than 512 bytes") }
        if key.unicodeScalars.contains(where: { $0.properties.isWhitespace || $0.value < 0x20 || $0.value == 0x7F
            || ($0.value >= 0x80 && $0.value < 0xA0) }) {
            throw DomainError.invalidParams(field, "'\(field)' must not contain white space or control characters")
        }
        return SecretKey(key)
    }

    /// PATCH params: provider → set (key) or remove (nil); absent providers are not in the map.
    static func patch(_ p: JSONRPC.Params) throws -> [Provider: SecretKey?] {
        var changes: [Provider: SecretKey?] = [:]
        for (field, provider) in fields {
            switch try p.patchString(field) {
            case .absent: break
            case .null: changes.updateValue(nil, forKey: provider)
            case .value(let s): changes[provider] = .some(try validate(s, field: field))
            }
        }
        if changes.isEmpty {
            throw DomainError.invalidParams("anthropic_api_key",
                                            "give at least one of anthropic_api_key, openai_api_key, google_api_key")
        }
        return changes
    }

    /// Seals each key of a PATCH for storage; a removal stays a removal (nil).
    static func seal(_ changes: [Provider: SecretKey?], services: Services,
                     associatedData: (Provider) -> String) -> [Provider: (ciphertext: [UInt8], nonce: [UInt8])?] {
        var sealed: [Provider: (ciphertext: [UInt8], nonce: [UInt8])?] = [:]
        for (p, key) in changes {
            // updateValue: assigning nil through the subscript would drop the removal.
            sealed.updateValue(key.map { services.cipher.seal($0, associatedData: associatedData(p)) }, forKey: p)
        }
        return sealed
    }

    static func provider(_ p: JSONRPC.Params) throws -> Provider? {
        guard let s = try p.optionalString("provider") else { return nil }
        guard let prov = Provider(rawValue: s) else {
            throw DomainError.invalidParams("provider", "'provider' must be one of anthropic, openai, google")
        }
        return prov
    }
}

import JSONRPC
