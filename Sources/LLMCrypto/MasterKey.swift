import CSodium
import FoundationEssentials
import LLMDomain

/// The 32-byte key that encrypts stored API keys (`LLMRPC_ENCRYPTION_KEY`, base64).
/// Every textual rendering shows only its fingerprint ``id``, never the key.
public struct MasterKey: Sendable, CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    /// The key length XChaCha20-Poly1305 needs.
    public static let byteCount = 32

    let bytes: [UInt8]

    /// A key from raw bytes; throws unless there are exactly 32.
    public init(bytes: [UInt8]) throws {
        guard bytes.count == MasterKey.byteCount else {
            throw CryptoError.invalidMasterKey("expected \(MasterKey.byteCount) bytes, got \(bytes.count); generate one with `openssl rand -base64 32`")
        }
        self.bytes = bytes
    }

    /// A key from base64 text (surrounding whitespace ignored).
    public init(base64: String) throws {
        let text = base64.trimmingWhitespaceAndNewlines()
        guard let data = Data(base64Encoded: text) else {
            throw CryptoError.invalidMasterKey("not valid base64; generate one with `openssl rand -base64 32`")
        }
        try self.init(bytes: [UInt8](data))
    }

    /// A new random key.
    public static func generate() -> MasterKey {
        // 32 random bytes always make a valid key.
        try! MasterKey(bytes: RandomBytes.bytes(byteCount))
    }

    /// The key as base64, for writing it to its file. Handle like the key itself.
    public var base64: String { Data(bytes).base64EncodedString() }

    /// A short public fingerprint: the first 8 hex digits of the BLAKE2b-256 hash of the key.
    /// Lets logs and stored rows say which key encrypted them without revealing it.
    public var id: String {
        Sodium.initialize()
        var digest = [UInt8](repeating: 0, count: 32)
        crypto_generichash(&digest, digest.count, bytes, UInt64(bytes.count), nil, 0)
        return String(Hex.encode(digest).prefix(8))
    }

    public var description: String { "MasterKey(id: \(id))" }
    public var debugDescription: String { description }
    public var customMirror: Mirror { Mirror(self, children: ["id": id]) }
}
