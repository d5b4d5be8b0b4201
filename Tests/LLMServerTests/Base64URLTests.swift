import Testing
@testable import LLMServer

/// The base64url codec of access tokens (RFC 4648 §5, no padding).
@Suite struct Base64URLTests {
    @Test func rfc4648VectorsWithoutPadding() {
        let vectors = ["": "", "f": "Zg", "fo": "Zm8", "foo": "Zm9v", "foob": "Zm9vYg", "fooba": "Zm9vYmE", "foobar": "Zm9vYmFy"]
        for (plain, encoded) in vectors {
            #expect(Base64URL.encode(Array(plain.utf8)) == encoded)
            #expect(Base64URL.decode(Substring(encoded)) == Array(plain.utf8))
        }
        // The URL-safe alphabet: 0xfb 0xff → "-_8" (standard base64 would write "+/8=").
        #expect(Base64URL.encode([0xfb, 0xff]) == "-_8")
        #expect(Base64URL.decode("-_8") == [0xfb, 0xff])
    }

    @Test func everyByteStringHasExactlyOneAcceptedEncoding() {
        // Padding, the standard alphabet's + and /, an impossible length, and non-zero leftover
        // bits ("Zh" would decode to "f" too) are all refused.
        for bad in ["Zg==", "Zm8=", "+/8", "ab/c", "a", "abcde", "Zh", "Zm9", "Zm9vYh", " Zg", "Zg\n"] {
            #expect(Base64URL.decode(Substring(bad)) == nil, "\(bad)")
        }
    }

    @Test func randomBytesRoundTrip() {
        // A fixed linear congruential sequence (Knuth's MMIX constants), so a failure reproduces.
        var state: UInt64 = 0x5eed
        func next() -> UInt64 {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return state >> 11
        }
        for length in 0..<200 {
            let bytes = (0..<length).map { _ in UInt8(truncatingIfNeeded: next()) }
            let text = Base64URL.encode(bytes)
            #expect(text.utf8.allSatisfy { $0 != UInt8(ascii: "=") && $0 != UInt8(ascii: "+") && $0 != UInt8(ascii: "/") })
            #expect(text.utf8.count == (length * 4 + 2) / 3)
            #expect(Base64URL.decode(Substring(text)) == bytes)
        }
        // Arbitrary text never crashes the decoder.
        for _ in 0..<2000 {
            let n = Int(next() % 12)
            let chars = (0..<n).map { _ in Character(Unicode.Scalar(UInt8(32 + next() % 95))) }
            _ = Base64URL.decode(Substring(String(chars)))
        }
    }
}
