import Testing
@testable import LLMCrypto

@Suite struct PasswordHasherTests {
    @Test func hashThenVerifyRoundTrips() throws {
        let hash = try PasswordHasher.hash("correct horse battery staple")
        #expect(hash.hasPrefix("$argon2id$v=19$m=65536,t=2,p=1$"))
        #expect(PasswordHasher.verify("correct horse battery staple", hash: hash))
    }

    @Test func wrongPasswordIsFalse() throws {
        let hash = try PasswordHasher.hash("s3cret")
        #expect(!PasswordHasher.verify("s3cret ", hash: hash))
        #expect(!PasswordHasher.verify("", hash: hash))
    }

    @Test func sameInputHashesDifferentlyEachTime() throws {
        #expect(try PasswordHasher.hash("pw") != PasswordHasher.hash("pw"))
    }

    @Test func nonASCIIAndEmbeddedNULPasswords() throws {
        let hash = try PasswordHasher.hash("pässwörd\u{0}tail")
        #expect(PasswordHasher.verify("pässwörd\u{0}tail", hash: hash))
        #expect(!PasswordHasher.verify("pässwörd", hash: hash))
    }

    @Test func malformedHashIsFalse() {
        #expect(!PasswordHasher.verify("pw", hash: ""))
        #expect(!PasswordHasher.verify("pw", hash: "$argon2id$garbage"))
    }

    @Test func dummyHashIsAValidArgon2idHashWithTheSameCost() throws {
        #expect(PasswordHasher.dummyHash.hasPrefix("$argon2id$v=19$m=65536,t=2,p=1$"))
        // Well-formed: verifying runs argon2id and answers false instead of failing fast.
        #expect(!PasswordHasher.verify("anything", hash: PasswordHasher.dummyHash))
        let real = try PasswordHasher.hash("x")
        #expect(real.split(separator: "$").prefix(3) == PasswordHasher.dummyHash.split(separator: "$").prefix(3))
    }
}
