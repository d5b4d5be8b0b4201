#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import FoundationEssentials
import LLMDomain

/// A generated secret kept in a file of its own (the JWT signing key, the encryption master key).
public enum SecretFile {
    /// Reads the base64 secret at `path`, or creates it with `byteCount` random bytes.
    ///
    /// Creation is atomic and race-safe: the secret is written and synced to a temporary file
    /// opened with `O_CREAT|O_EXCL` and mode 0600, then published with `link(2)`, which fails if
    /// `path` already exists. When two processes start at once, exactly one file wins and the
    /// loser reads the winner's complete file. (On a file system without hard links it falls
    /// back to `O_CREAT|O_EXCL` on `path` itself.) A missing directory is created with mode 0700.
    ///
    /// An existing file is not rewritten. If its mode lets the group or others read it,
    /// `warning` says so and how to fix it (the secret is still returned). The length of an
    /// existing secret is not checked here: the caller does (``MasterKey/init(bytes:)``).
    /// - Throws: ``CryptoError/secretFile(_:)`` when the file cannot be created, read or decoded.
    public static func loadOrCreate(path: String, byteCount: Int) throws -> (bytes: [UInt8], created: Bool, warning: String?) {
        precondition(byteCount > 0, "byteCount must be positive")
        let directory = Paths.parent(of: path)
        if !directory.isEmpty { try makeDirectory(directory) }

        if FileManager.default.fileExists(atPath: path) {
            return try readExisting(path)
        }
        let secret = RandomBytes.bytes(byteCount)
        if try publish(Array((Data(secret).base64EncodedString() + "\n").utf8), at: path) {
            return (secret, true, nil)
        }
        return try readExisting(path)  // another process created it first
    }

    /// Reads and decodes an existing secret file, with a warning for loose permissions.
    static func readExisting(_ path: String) throws -> (bytes: [UInt8], created: Bool, warning: String?) {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw CryptoError.secretFile("cannot read the secret file \(path): check its owner and permissions")
        }
        let text = String(decoding: data, as: UTF8.self).trimmingWhitespaceAndNewlines()
        guard !text.isEmpty, let decoded = Data(base64Encoded: text) else {
            throw CryptoError.secretFile("the secret file \(path) is empty or not base64; restore it from a backup (a new one would make existing data unreadable)")
        }
        var warning: String?
        var st = stat()
        if stat(path, &st) == 0, st.st_mode & 0o077 != 0 {
            let mode = String(st.st_mode & 0o777, radix: 8)
            warning = "the secret file \(path) is readable by other users (mode \(mode)); run: chmod 600 \(path)"
        }
        return ([UInt8](decoded), false, warning)
    }

    /// Writes `content` to `path` only if `path` does not exist. Returns false when it existed.
    static func publish(_ content: [UInt8], at path: String) throws -> Bool {
        let temp = "\(path).tmp-\(getpid())-\(RandomBytes.hex(8))"
        guard try writeExclusive(content, at: temp) else {
            throw CryptoError.secretFile("cannot create the secret file \(path): the temporary file \(temp) exists")
        }
        defer { unlink(temp) }
        if link(temp, path) == 0 { return true }
        let err = errno
        if err == EEXIST { return false }
        if err == EPERM || err == EOPNOTSUPP || err == ENOSYS {
            // No hard links on this file system: create the file itself exclusively.
            return try writeExclusive(content, at: path)
        }
        throw failure("cannot create the secret file \(path)", err)
    }

    /// Creates `path` with O_CREAT|O_EXCL and mode 0600, writes `content` and syncs it.
    /// Returns false, writing nothing, when `path` already exists.
    static func writeExclusive(_ content: [UInt8], at path: String) throws -> Bool {
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard fd >= 0 else {
            let err = errno
            if err == EEXIST { return false }
            throw failure("cannot create the secret file \(path)", err)
        }
        var written = 0
        while written < content.count {
            let n = content[written...].withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                let err = errno
                if err == EINTR { continue }
                close(fd)
                unlink(path)
                throw failure("cannot write the secret file \(path)", err)
            }
            written += n
        }
        let synced = fsync(fd)
        let err = errno
        close(fd)
        if synced != 0 {
            unlink(path)
            throw failure("cannot sync the secret file \(path)", err)
        }
        return true
    }

    /// Creates `directory` and missing parents with mode 0700; an existing one is left as is.
    static func makeDirectory(_ directory: String) throws {
        var isDir = false
        if FileManager.default.fileExists(atPath: directory, isDirectory: &isDir) {
            guard isDir else { throw CryptoError.secretFile("\(directory) exists and is not a directory") }
            return
        }
        do {
            try FileManager.default.createDirectory(
                atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        } catch {
            if FileManager.default.fileExists(atPath: directory, isDirectory: &isDir), isDir { return }
            throw CryptoError.secretFile("cannot create the directory \(directory): \(reason(error))")
        }
    }

    /// Why a FileManager call failed: its POSIX cause when there is one ("Permission denied").
    /// (FoundationEssentials' errors have no `localizedDescription`.)
    static func reason(_ error: Error) -> String {
        if let e = error as? CocoaError, let posix = e.underlying as? POSIXError {
            return String(cString: strerror(posix.code.rawValue))
        }
        return "\(error)"
    }

    static func failure(_ what: String, _ err: Int32) -> CryptoError {
        return .secretFile("\(what): \(String(cString: strerror(err)))")
    }
}
