import Foundation
import Testing
@testable import LLMCrypto

@Suite struct MasterKeyTests {
    @Test func base64RoundTrips() throws {
        let key = MasterKey.generate()
        let again = try MasterKey(base64: key.base64)
        #expect(again.bytes == key.bytes)
        #expect(Data(base64Encoded: key.base64)?.count == 32)
        #expect(try MasterKey(base64: "  \(key.base64)\n").bytes == key.bytes)
    }

    @Test func wrongLengthOrEncodingIsRefused() {
        #expect(throws: CryptoError.self) { try MasterKey(bytes: [UInt8](repeating: 1, count: 31)) }
        #expect(throws: CryptoError.self) { try MasterKey(bytes: [UInt8](repeating: 1, count: 33)) }
        #expect(throws: CryptoError.self) { try MasterKey(base64: "not base64 !!") }
        #expect(throws: CryptoError.self) { try MasterKey(base64: Data([1, 2, 3]).base64EncodedString()) }
    }

    @Test func idIsAShortStableFingerprintOfTheKey() throws {
        let key = try MasterKey(bytes: [UInt8](repeating: 0, count: 32))
        // BLAKE2b-256 of 32 zero bytes begins 89eb0d6a.
        #expect(key.id == "89eb0d6a")
        #expect(key.id == (try MasterKey(bytes: [UInt8](repeating: 0, count: 32))).id)
        #expect(MasterKey.generate().id != MasterKey.generate().id)
    }

    @Test func renderingsNeverContainTheKey() {
        let key = MasterKey.generate()
        for text in [key.description, String(describing: key), String(reflecting: key), "\(key)", dumped(key)] {
            #expect(!text.contains(key.base64))
            #expect(text.contains(key.id))
        }
        #expect(key.description == "MasterKey(id: \(key.id))")
    }

    private func dumped(_ value: some Any) -> String {
        var out = ""
        dump(value, to: &out)
        return out
    }
}

@Suite struct RandomBytesTests {
    @Test func lengthsAndHex() {
        #expect(RandomBytes.bytes(0) == [])
        #expect(RandomBytes.bytes(32).count == 32)
        #expect(RandomBytes.bytes(32) != RandomBytes.bytes(32))
        let hex = RandomBytes.hex(16)
        #expect(hex.count == 32)
        #expect(hex.allSatisfy { "0123456789abcdef".contains($0) })
        #expect(Hex.encode([0x00, 0x0f, 0xa5, 0xff]) == "000fa5ff")
    }
}
