import LLMDomain

/// Removes API keys from text that came from a provider (error messages), so a key never
/// reaches a client, a log line or the database.
public enum KeyRedactor {
    /// `text` with every occurrence of `key` and every key-shaped token (`sk-...`, `sk-ant-...`,
    /// `sk-proj-...`, `AIza...`) replaced by its mask (`SecretKey.mask`).
    public static func redact(_ text: String, key: SecretKey?) -> String {
        var s = text
        // The exact key first, through a sentinel that the token scan cannot touch.
        let sentinel = "\u{0}\u{0}"
        var exactMask: String?
        if let key, !key.reveal.isEmpty, s.contains(key.reveal) {
            s = s.replacingAll(key.reveal, with: sentinel)
            exactMask = key.masked
        }
        s = maskKeyShapedTokens(s)
        if let exactMask { s = s.replacingAll(sentinel, with: exactMask) }
        return s
    }

    private static let prefixes: [(prefix: [UInt8], minRest: Int)] = [
        (Array("sk-".utf8), 6),
        (Array("AIza".utf8), 10),
    ]

    private static func isTokenByte(_ b: UInt8) -> Bool {
        (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A)
            || b == UInt8(ascii: "-") || b == UInt8(ascii: "_") || b == UInt8(ascii: "*")
    }

    /// Masks each maximal run of key characters that starts with a key prefix at a word boundary.
    private static func maskKeyShapedTokens(_ text: String) -> String {
        let bytes = Array(text.utf8)
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var i = 0
        while i < bytes.count {
            let atBoundary = i == 0 || !isTokenByte(bytes[i - 1])
            if atBoundary, let p = prefixes.first(where: { bytes[i...].starts(with: $0.prefix) }) {
                var j = i
                while j < bytes.count, isTokenByte(bytes[j]) { j += 1 }
                if j - i - p.prefix.count >= p.minRest {
                    let token = String(decoding: bytes[i..<j], as: UTF8.self)
                    out.append(contentsOf: SecretKey.mask(token).utf8)
                    i = j
                    continue
                }
            }
            out.append(bytes[i])
            i += 1
        }
        return String(decoding: out, as: UTF8.self)
    }
}

extension String {
    /// Every occurrence of `target` (non-empty) replaced, without Foundation.
    func replacingAll(_ target: String, with replacement: String) -> String {
        guard !target.isEmpty else { return self }
        let src = Array(utf8), t = Array(target.utf8), r = Array(replacement.utf8)
        var out: [UInt8] = []
        out.reserveCapacity(src.count)
        var i = 0
        while i < src.count {
            if src[i] == t[0], src.count - i >= t.count, src[i..<(i + t.count)].elementsEqual(t) {
                out.append(contentsOf: r)
                i += t.count
            } else {
                out.append(src[i])
                i += 1
            }
        }
        return String(decoding: out, as: UTF8.self)
    }
}
