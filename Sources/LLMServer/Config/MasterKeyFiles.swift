import FoundationEssentials
import LLMCrypto
import LLMDomain
#if canImport(Glibc)
import Glibc
#endif

/// The generated master key file and its rotation: the new key is written to
/// `encryption_key.new` (0600, synced) before the database is re-encrypted, and renamed over
/// `encryption_key` after. Start-up finishes an interrupted rotation: if stored keys already use
/// the pending key, it is promoted; otherwise it is discarded.
public enum MasterKeyFiles {
    public static func writePending(_ key: MasterKey, path: String) throws {
        unlink(path)
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw ConfigError("cannot write \(path): \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        let bytes = Array((key.base64 + "\n").utf8)
        guard write(fd, bytes, bytes.count) == bytes.count, fsync(fd) == 0 else {
            throw ConfigError("cannot write \(path): \(String(cString: strerror(errno)))")
        }
    }

    public static func promote(pending: String, to path: String) throws {
        guard rename(pending, path) == 0 else {
            throw ConfigError("cannot replace \(path): \(String(cString: strerror(errno)))")
        }
        let dir = open(Paths.parent(of: path), O_RDONLY | O_DIRECTORY)
        if dir >= 0 { fsync(dir); close(dir) }
    }

    /// Loads the pending key if a rotation was interrupted.
    static func pendingKey(path: String) -> MasterKey? {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return nil }
        return try? MasterKey(base64: text.trimmingWhitespaceAndNewlines())
    }
}
