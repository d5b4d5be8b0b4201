import Foundation
import LLMJSON
import LLMTestSupport
import Testing

/// What the running server maps into memory. Linking swift-corelibs-foundation (libFoundation
/// with its ICU and internationalisation libraries) cost ~10 MB of the idle server's resident
/// memory; the server targets use FoundationEssentials only. A dependency or an `import
/// Foundation` that brings it back fails here, whatever the machine's load.
@Suite struct FootprintTests {
    @Test("a serving llmrpc maps neither libFoundation nor ICU")
    func noFoundation() async throws {
        let s = try ServerProcess()
        let health = try await s.rpc.call("server/health", nil, id: 1)
        #expect(health["result"]?["status"] == "ok")
        let maps = try #require(Self.readProcFile("/proc/\(s.process.processIdentifier)/maps"))
        let libraries = Set(maps.split(separator: "\n").compactMap { line -> String? in
            guard let path = line.split(separator: " ", omittingEmptySubsequences: true).dropFirst(5).first,
                  path.hasPrefix("/") else { return nil }
            return String(path.split(separator: "/").last!)
        })
        #expect(libraries.contains("libFoundationEssentials.so"))  // the check reads real mappings
        #expect(libraries.contains { $0.hasPrefix("libsqlite3.so") })
        for unwanted in ["libFoundation.so", "libFoundationInternationalization.so", "lib_FoundationICU.so",
                         "libFoundationNetworking.so"] {
            #expect(!libraries.contains(unwanted), "\(unwanted) is mapped")
        }
        s.closeInput()
        #expect(await s.waitForExit() == 0)
    }

    /// A /proc file, read to its end (it reports a size of 0, so readers that trust the size stop early).
    static func readProcFile(_ path: String) -> String? {
        guard let handle = FileHandle(forReadingAtPath: path) else { return nil }
        defer { try? handle.close() }
        var data = Data()
        while let chunk = try? handle.read(upToCount: 65536), !chunk.isEmpty { data.append(chunk) }
        return String(decoding: data, as: UTF8.self)
    }
}
