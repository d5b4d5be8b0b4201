import Foundation
import Testing
@testable import LLMStore

@Suite struct IdTests {
    @Test func idsAreLowercaseVersion7UUIDsThatSortByCreationTime() throws {
        let before = UInt64(Date().timeIntervalSince1970 * 1000)
        let ids = (0..<2000).map { _ in newId() }
        let after = UInt64(Date().timeIntervalSince1970 * 1000)
        #expect(Set(ids).count == ids.count)
        for id in ids {
            #expect(id.count == 36)
            #expect(id == id.lowercased())
            let uuid = try #require(UUID(uuidString: id), "\(id) is not a UUID")
            #expect(uuid.uuidString.lowercased() == id)
            let chars = Array(id)
            #expect(chars[14] == "7", "version nibble of \(id)")
            #expect("89ab".contains(chars[19]), "variant of \(id)")
            let ms = UInt64(id.replacingOccurrences(of: "-", with: "").prefix(12), radix: 16)!
            #expect(ms >= before && ms <= after)
        }
        // Ids of different milliseconds sort in creation order (string order = time order).
        let firstMs = ids.first!.prefix(13), lastMs = ids.last!.prefix(13)
        #expect(firstMs <= lastMs)
    }
}
