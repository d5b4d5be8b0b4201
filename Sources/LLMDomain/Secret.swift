/// A provider API key or other secret. Every textual rendering is masked, so a key cannot
/// reach a log line, an error message or a debug dump by accident; `reveal` is the only way out.
public struct SecretKey: Sendable, Equatable, CustomStringConvertible, CustomDebugStringConvertible,
    CustomReflectable
{
    private let value: String
    public init(_ value: String) { self.value = value }

    /// The full key, for the one place that must send it upstream.
    public var reveal: String { value }

    public var masked: String { SecretKey.mask(value) }
    public var description: String { masked }
    public var debugDescription: String { "SecretKey(\(masked))" }
    public var customMirror: Mirror { Mirror(self, children: ["masked": masked]) }

    /// A recognisable prefix and the last 4 characters ("sk-ant-...wxyz"); less for short keys.
    public static func mask(_ key: String) -> String {
        let chars = Array(key)
        if chars.count <= 8 { return String(repeating: "*", count: max(chars.count, 4)) }
        if chars.count < 16 { return "...\(String(chars.suffix(2)))" }
        // Keep a known provider prefix up to its last '-' (at most 7 chars), else 3 chars.
        var prefixLen = 3
        for p in ["sk-ant-", "sk-proj-", "sk-", "AIza"] where key.hasPrefix(p) {
            prefixLen = min(p.count, 7)
            break
        }
        return "\(String(chars.prefix(prefixLen)))...\(String(chars.suffix(4)))"
    }
}
