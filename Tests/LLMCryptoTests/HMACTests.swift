import Testing
import LLMCrypto

@Suite struct HMACTests {
    static func hex(_ bytes: [UInt8]) -> String {
        bytes.map { b in String(b >> 4, radix: 16) + String(b & 0x0f, radix: 16) }.joined()
    }

    @Test("RFC 4231 test case 2: a key shorter than the block")
    func rfc4231Case2() {
        let mac = HMACSHA256.authenticate(Array("what do ya want for nothing?".utf8), key: Array("Jefe".utf8))
        #expect(Self.hex(mac) == "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843")
    }

    @Test("RFC 4231 test case 6: a key longer than the block is hashed first")
    func rfc4231Case6() {
        let mac = HMACSHA256.authenticate(Array("Test Using Larger Than Block-Size Key - Hash Key First".utf8),
                                          key: [UInt8](repeating: 0xaa, count: 131))
        #expect(Self.hex(mac) == "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54")
    }

    @Test func verifyAcceptsOnlyTheExactMAC() {
        let key = Array("Jefe".utf8), message = Array("what do ya want for nothing?".utf8)
        var mac = HMACSHA256.authenticate(message, key: key)
        #expect(HMACSHA256.verify(mac, message: message, key: key))
        #expect(!HMACSHA256.verify(mac, message: message + [0], key: key))
        // (Not `key + [0]`: HMAC pads a short key with zeros, so that is the same key.)
        #expect(!HMACSHA256.verify(mac, message: message, key: key + [1]))
        #expect(!HMACSHA256.verify(Array(mac.prefix(31)), message: message, key: key))
        mac[31] ^= 1
        #expect(!HMACSHA256.verify(mac, message: message, key: key))
    }
}
