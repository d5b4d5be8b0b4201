import CSodium

/// Cryptographically secure random bytes from libsodium.
public enum RandomBytes {
    /// `n` random bytes.
    public static func bytes(_ n: Int) -> [UInt8] {
        Sodium.initialize()
        guard n > 0 else { return [] }
        var out = [UInt8](repeating: 0, count: n)
        out.withUnsafeMutableBytes { randombytes_buf($0.baseAddress!, n) }
        return out
    }

    /// `n` random bytes as lowercase hex (2·n characters).
    public static func hex(_ n: Int) -> String { Hex.encode(bytes(n)) }
}

/// Lowercase hex encoding.
public enum Hex {
    public static func encode(_ bytes: [UInt8]) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var out = [UInt8]()
        out.reserveCapacity(bytes.count * 2)
        for b in bytes {
            out.append(digits[Int(b >> 4)])
            out.append(digits[Int(b & 0x0f)])
        }
        return String(decoding: out, as: UTF8.self)
    }
}
