import CSodium

/// HMAC-SHA256 (RFC 2104) from libsodium, with a key of any length: access tokens are signed
/// with the UTF-8 bytes of LLMRPC_SECRET_KEY, which need not be 32 bytes.
public enum HMACSHA256 {
    public static let byteCount = Int(crypto_auth_hmacsha256_BYTES)

    /// The 32-byte MAC of `message` under `key`.
    public static func authenticate(_ message: [UInt8], key: [UInt8]) -> [UInt8] {
        Sodium.initialize()
        var state = crypto_auth_hmacsha256_state()
        var mac = [UInt8](repeating: 0, count: byteCount)
        crypto_auth_hmacsha256_init(&state, key, key.count)
        crypto_auth_hmacsha256_update(&state, message, UInt64(message.count))
        crypto_auth_hmacsha256_final(&state, &mac)
        return mac
    }

    /// Whether `mac` is the MAC of `message` under `key`, compared in constant time.
    public static func verify(_ mac: [UInt8], message: [UInt8], key: [UInt8]) -> Bool {
        guard mac.count == byteCount else { return false }
        let expected = authenticate(message, key: key)
        return sodium_memcmp(mac, expected, byteCount) == 0
    }
}
