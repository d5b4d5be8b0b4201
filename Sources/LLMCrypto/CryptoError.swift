import LLMDomain

/// A failure of this module. Messages name the fix and never contain key material.
public enum CryptoError: Error, Sendable, Equatable, CustomStringConvertible {
    /// A stored API key could not be decrypted (wrong master key, corrupted data or the
    /// ciphertext was moved to another owner or provider).
    case decryptionFailed
    /// A master key of the wrong length or encoding.
    case invalidMasterKey(String)
    /// libsodium refused to hash a password (out of memory).
    case hashingFailed
    /// A secret file that cannot be read, created or decoded.
    case secretFile(String)

    public var description: String {
        switch self {
        case .decryptionFailed:
            return "cannot decrypt a stored API key: wrong LLMRPC_ENCRYPTION_KEY or corrupted key; re-enter the key or restore the master key file"
        case .invalidMasterKey(let why):
            return "invalid encryption master key: \(why)"
        case .hashingFailed:
            return "password hashing failed (argon2id could not allocate its memory)"
        case .secretFile(let why):
            return why
        }
    }

    /// The same failure as a domain error (kind `crypto_error`) for the JSON-RPC layer.
    public var domainError: DomainError { DomainError(.crypto, description) }
}
