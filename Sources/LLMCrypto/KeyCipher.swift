import CSodium
import LLMDomain

/// Encrypts provider API keys for storage with XChaCha20-Poly1305 (IETF), a random 24-byte
/// nonce per key, and associated data that binds each ciphertext to its owner and provider.
public struct KeyCipher: Sendable {
    /// Nonce length (24 bytes): random nonces of this size never realistically collide.
    public static let nonceByteCount = Int(crypto_aead_xchacha20poly1305_ietf_npubbytes())
    static let tagByteCount = Int(crypto_aead_xchacha20poly1305_ietf_abytes())

    private let master: MasterKey

    public init(master: MasterKey) {
        Sodium.initialize()
        self.master = master
    }

    /// The fingerprint of the master key in use (``MasterKey/id``), to store next to ciphertexts.
    public var masterKeyId: String { master.id }

    /// Encrypts `key`. `associatedData` binds the ciphertext to where it belongs, e.g.
    /// `"user:<uuid>:anthropic"` or `"system:openai"`: opening it under any other associated
    /// data fails, so a ciphertext copied to another row is useless.
    public func seal(_ key: SecretKey, associatedData: String) -> (ciphertext: [UInt8], nonce: [UInt8]) {
        let message = Array(key.reveal.utf8)
        let ad = Array(associatedData.utf8)
        let nonce = RandomBytes.bytes(KeyCipher.nonceByteCount)
        var ciphertext = [UInt8](repeating: 0, count: message.count + KeyCipher.tagByteCount)
        var length: UInt64 = 0
        let rc = crypto_aead_xchacha20poly1305_ietf_encrypt(
            &ciphertext, &length, message, UInt64(message.count), ad, UInt64(ad.count),
            nil, nonce, master.bytes)
        // Encryption cannot fail for well-sized buffers.
        precondition(rc == 0, "crypto_aead_xchacha20poly1305_ietf_encrypt failed")
        return (Array(ciphertext.prefix(Int(length))), nonce)
    }

    /// Decrypts what ``seal(_:associatedData:)`` produced with the same master key and
    /// associated data. Anything else — another master key, other associated data, a modified
    /// ciphertext or nonce — throws ``CryptoError/decryptionFailed``; it never returns garbage.
    public func open(ciphertext: [UInt8], nonce: [UInt8], associatedData: String) throws -> SecretKey {
        guard nonce.count == KeyCipher.nonceByteCount, ciphertext.count >= KeyCipher.tagByteCount else {
            throw CryptoError.decryptionFailed
        }
        let ad = Array(associatedData.utf8)
        var message = [UInt8](repeating: 0, count: ciphertext.count - KeyCipher.tagByteCount)
        var length: UInt64 = 0
        let rc = crypto_aead_xchacha20poly1305_ietf_decrypt(
            &message, &length, nil, ciphertext, UInt64(ciphertext.count), ad, UInt64(ad.count),
            nonce, master.bytes)
        defer { sodium_memzero(&message, message.count) }
        guard rc == 0, let text = String(validating: message.prefix(Int(length)), as: UTF8.self) else {
            throw CryptoError.decryptionFailed
        }
        return SecretKey(text)
    }
}
