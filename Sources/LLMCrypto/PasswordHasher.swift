import CSodium

/// Password hashing with argon2id (`crypto_pwhash_str_alg`, interactive limits). The result is
/// the self-describing `$argon2id$v=19$m=…,t=…,p=…$salt$hash` string, stored as is.
public enum PasswordHasher {
    /// Hashes `password` with a random salt. Takes tens of milliseconds and 64 MiB by design.
    public static func hash(_ password: String) throws -> String {
        Sodium.initialize()
        var out = [CChar](repeating: 0, count: Int(crypto_pwhash_strbytes()))
        // The String bridges to its UTF-8 bytes; the explicit length keeps any NUL inside it.
        let rc = crypto_pwhash_str_alg(&out, password, UInt64(password.utf8.count),
                                       UInt64(crypto_pwhash_argon2id_opslimit_interactive()),
                                       crypto_pwhash_argon2id_memlimit_interactive(),
                                       crypto_pwhash_alg_argon2id13())
        guard rc == 0 else { throw CryptoError.hashingFailed }
        return String(cString: out)
    }

    /// True when `password` matches `hash` (from ``hash(_:)``). A malformed hash is false.
    public static func verify(_ password: String, hash: String) -> Bool {
        Sodium.initialize()
        return crypto_pwhash_str_verify(hash, password, UInt64(password.utf8.count)) == 0
    }

    /// A valid argon2id hash (same limits as ``hash(_:)``) of a random password nobody knows.
    /// Verify a login for an unknown e-mail against it, so that an unknown user costs the same
    /// time as a wrong password and the response time does not reveal which accounts exist.
    /// (Made once with libsodium from 32 random bytes that were then thrown away.)
    public static let dummyHash =
        "$argon2id$v=19$m=65536,t=2,p=1$UQL/MjOWlp8Q12cTo39i1w$vFwjfFphE2hDqwyMYyn/N+2XVXGNBNTrh4wqPRIfygc"
}
