import Foundation
import Testing
@testable import LLMCrypto

@Suite struct SecretFileTests {
    /// A fresh directory path under the temp dir (not created).
    func scratch() -> String {
        NSTemporaryDirectory() + "llmcrypto-tests-\(RandomBytes.hex(6))"
    }

    func mode(_ path: String) throws -> Int {
        let attributes = try FileManager.default.attributesOfItem(atPath: path)
        return try #require(attributes[.posixPermissions] as? Int)
    }

    @Test func createsA0600FileInA0700DirectoryThenReadsItBack() throws {
        let base = scratch()
        defer { try? FileManager.default.removeItem(atPath: base) }
        let dir = base + "/data/llmrpc"
        let path = dir + "/encryption.key"

        let first = try SecretFile.loadOrCreate(path: path, byteCount: 32)
        #expect(first.created)
        #expect(first.warning == nil)
        #expect(first.bytes.count == 32)
        #expect(try mode(path) == 0o600)
        #expect(try mode(dir) == 0o700)
        let text = try String(contentsOfFile: path, encoding: .utf8)
        #expect(text == Data(first.bytes).base64EncodedString() + "\n")
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir) == ["encryption.key"])  // no temp left

        let second = try SecretFile.loadOrCreate(path: path, byteCount: 32)
        #expect(!second.created)
        #expect(second.warning == nil)
        #expect(second.bytes == first.bytes)
        #expect(try MasterKey(bytes: second.bytes).base64 == text.trimmingCharacters(in: .newlines))
    }

    @Test func groupOrWorldReadableFileIsReadWithAWarning() throws {
        let base = scratch()
        defer { try? FileManager.default.removeItem(atPath: base) }
        let path = base + "/secret"
        let created = try SecretFile.loadOrCreate(path: path, byteCount: 16)
        try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: path)

        let loaded = try SecretFile.loadOrCreate(path: path, byteCount: 16)
        #expect(loaded.bytes == created.bytes)
        #expect(loaded.warning == "the secret file \(path) is readable by other users (mode 644); run: chmod 600 \(path)")
    }

    @Test func existingFileWrittenByHandIsRead() throws {
        let base = scratch()
        defer { try? FileManager.default.removeItem(atPath: base) }
        try FileManager.default.createDirectory(atPath: base, withIntermediateDirectories: true)
        let path = base + "/jwt.key"
        _ = FileManager.default.createFile(atPath: path, contents: Data("  AQIDBA==\n\n".utf8), attributes: [.posixPermissions: 0o600])
        let loaded = try SecretFile.loadOrCreate(path: path, byteCount: 64)
        #expect(loaded.bytes == [1, 2, 3, 4])
        #expect(!loaded.created)
    }

    @Test func invalidOrEmptyContentThrowsWithoutOverwriting() throws {
        let base = scratch()
        defer { try? FileManager.default.removeItem(atPath: base) }
        try FileManager.default.createDirectory(atPath: base, withIntermediateDirectories: true)
        for content in ["not base64!", ""] {
            let path = base + "/bad-\(content.count)"
            _ = FileManager.default.createFile(atPath: path, contents: Data(content.utf8), attributes: [.posixPermissions: 0o600])
            #expect(throws: CryptoError.secretFile("the secret file \(path) is empty or not base64; restore it from a backup (a new one would make existing data unreadable)")) {
                try SecretFile.loadOrCreate(path: path, byteCount: 32)
            }
            #expect(try String(contentsOfFile: path, encoding: .utf8) == content)
        }
    }

    @Test func concurrentCreatorsAgreeOnOneSecret() async throws {
        let base = scratch()
        defer { try? FileManager.default.removeItem(atPath: base) }
        let path = base + "/dir/race.key"
        let results = try await withThrowingTaskGroup(of: ([UInt8], Bool).self) { group in
            for _ in 0..<16 {
                group.addTask {
                    let r = try SecretFile.loadOrCreate(path: path, byteCount: 32)
                    return (r.bytes, r.created)
                }
            }
            var all: [([UInt8], Bool)] = []
            for try await r in group { all.append(r) }
            return all
        }
        #expect(results.count == 16)
        #expect(results.filter(\.1).count <= 1)
        #expect(Set(results.map { $0.0 }).count == 1)
        let onDisk = try String(contentsOfFile: path, encoding: .utf8)
        #expect(onDisk == Data(results[0].0).base64EncodedString() + "\n")
        #expect(try FileManager.default.contentsOfDirectory(atPath: base + "/dir") == ["race.key"])
    }

    @Test func pathWhoseDirectoryIsAFileThrows() throws {
        let base = scratch()
        defer { try? FileManager.default.removeItem(atPath: base) }
        try FileManager.default.createDirectory(atPath: base, withIntermediateDirectories: true)
        _ = FileManager.default.createFile(atPath: base + "/file", contents: Data())
        #expect(throws: CryptoError.self) {
            try SecretFile.loadOrCreate(path: base + "/file/secret", byteCount: 32)
        }
    }
}
