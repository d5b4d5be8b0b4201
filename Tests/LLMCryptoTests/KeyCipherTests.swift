import LLMDomain
import Testing
@testable import LLMCrypto

@Suite struct KeyCipherTests {
    let key = SecretKey("sk-ant-api03-abcdefghijklmnopqrstuvwxyz0123456789")

    @Test func sealThenOpenRoundTrips() throws {
        let cipher = KeyCipher(master: .generate())
        let sealed = cipher.seal(key, associatedData: "user:6f1c:anthropic")
        #expect(sealed.nonce.count == 24)
        #expect(sealed.ciphertext.count == key.reveal.utf8.count + 16)
        #expect(!sealed.ciphertext.starts(with: Array(key.reveal.utf8.prefix(8))))
        let opened = try cipher.open(ciphertext: sealed.ciphertext, nonce: sealed.nonce, associatedData: "user:6f1c:anthropic")
        #expect(opened == key)
    }

    @Test func emptyAndUnicodeSecretsRoundTrip() throws {
        let cipher = KeyCipher(master: .generate())
        for secret in ["", "ключ-🔑"] {
            let sealed = cipher.seal(SecretKey(secret), associatedData: "system:openai")
            #expect(try cipher.open(ciphertext: sealed.ciphertext, nonce: sealed.nonce, associatedData: "system:openai").reveal == secret)
        }
    }

    @Test func eachSealUsesAFreshNonce() {
        let cipher = KeyCipher(master: .generate())
        let a = cipher.seal(key, associatedData: "system:openai")
        let b = cipher.seal(key, associatedData: "system:openai")
        #expect(a.nonce != b.nonce)
        #expect(a.ciphertext != b.ciphertext)
    }

    @Test func ciphertextMovedToAnotherOwnerFails() {
        let cipher = KeyCipher(master: .generate())
        let sealed = cipher.seal(key, associatedData: "user:alice:anthropic")
        for other in ["user:bob:anthropic", "user:alice:openai", "system:anthropic", ""] {
            #expect(throws: CryptoError.decryptionFailed) {
                try cipher.open(ciphertext: sealed.ciphertext, nonce: sealed.nonce, associatedData: other)
            }
        }
    }

    @Test func corruptedCiphertextOrNonceFails() {
        let cipher = KeyCipher(master: .generate())
        let sealed = cipher.seal(key, associatedData: "system:google")
        for i in [0, sealed.ciphertext.count / 2, sealed.ciphertext.count - 1] {
            var bad = sealed.ciphertext
            bad[i] ^= 0x01
            #expect(throws: CryptoError.decryptionFailed) {
                try cipher.open(ciphertext: bad, nonce: sealed.nonce, associatedData: "system:google")
            }
        }
        var badNonce = sealed.nonce
        badNonce[0] ^= 0x80
        #expect(throws: CryptoError.decryptionFailed) {
            try cipher.open(ciphertext: sealed.ciphertext, nonce: badNonce, associatedData: "system:google")
        }
        #expect(throws: CryptoError.decryptionFailed) {
            try cipher.open(ciphertext: Array(sealed.ciphertext.dropLast()), nonce: sealed.nonce, associatedData: "system:google")
        }
        #expect(throws: CryptoError.decryptionFailed) {
            try cipher.open(ciphertext: [], nonce: [], associatedData: "system:google")
        }
    }

    @Test func wrongMasterKeyFailsWithTheFixInTheMessage() throws {
        let sealed = KeyCipher(master: .generate()).seal(key, associatedData: "system:openai")
        let other = KeyCipher(master: .generate())
        let error = try #require(throws: CryptoError.self) {
            try other.open(ciphertext: sealed.ciphertext, nonce: sealed.nonce, associatedData: "system:openai")
        }
        #expect(error == .decryptionFailed)
        #expect(error.description == "cannot decrypt a stored API key: wrong LLMRPC_ENCRYPTION_KEY or corrupted key; re-enter the key or restore the master key file")
        #expect(error.domainError.kind == .crypto)
        #expect(!error.description.contains(key.reveal))
    }
}
