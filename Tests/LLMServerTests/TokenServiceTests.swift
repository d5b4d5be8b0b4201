import FoundationEssentials
import LLMDomain
import LLMServer
import Testing

/// HS256 access tokens. The expected tokens were made independently (Python's hmac and base64
/// modules) with `secret`, so these pin the wire format, not just a round trip.
@Suite struct TokenServiceTests {
    static let secret = "unit-test-secret-0123456789abcdef0123"

    func service() async -> TokenService { await TokenService(secret: Self.secret, lifetimeMinutes: 60) }

    func expectError(_ kind: DomainError.Kind, _ token: String, sourceLocation: SourceLocation = #_sourceLocation) async {
        do {
            let user = try await service().verify(token)
            Issue.record("accepted, user \(user)", sourceLocation: sourceLocation)
        } catch let e as DomainError {
            #expect(e.kind == kind, sourceLocation: sourceLocation)
        } catch {
            Issue.record("unexpected error \(error)", sourceLocation: sourceLocation)
        }
    }

    @Test("issue writes the header, sub, exp and iat (whole seconds) and signs them")
    func issueIsExact() async throws {
        let now = Date(timeIntervalSince1970: 4_000_000_000.75)
        let (token, expiresAt) = try await service().issue(userID: "u-42", now: now)
        #expect(token == "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJ1LTQyIiwiZXhwIjo0MDAwMDAzNjAwLCJpYXQiOjQwMDAwMDAwMDB9.2vDIekjhe3kAvEQE6NqBWJqwhQtMB5UMRSvW9G5aUGg")
        #expect(expiresAt == Date(timeIntervalSince1970: 4_000_003_600.75))
        #expect(try await service().verify(token) == "u-42")
    }

    @Test("a token made by hand verifies; header key order and fractional NumericDates (jwt-kit) are accepted")
    func handMadeTokensVerify() async throws {
        let plain = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJ1LTQyIiwiZXhwIjo0MTAyNDQ0ODAwLCJpYXQiOjE3MDAwMDAwMDB9.lB33lE0FPWkk347xRXgakksPLZHTXey2jWr4qb_a0-Q"
        #expect(try await service().verify(plain) == "u-42")
        let fractional = "eyJ0eXAiOiJKV1QiLCJhbGciOiJIUzI1NiJ9.eyJleHAiOjQxMDI0NDQ4MDAuMjUsInN1YiI6InUtNDIiLCJpYXQiOjE3MDAwMDAwMDAuNX0.PE36taHNEdA0Qw_lTUy7io8rQ0grB8wyHoYU7m0I0ow"
        #expect(try await service().verify(fractional) == "u-42")
    }

    @Test("a tampered payload or signature, another key or alg none is unauthenticated")
    func tamperingIsRejected() async throws {
        let good = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJ1LTQyIiwiZXhwIjo0MTAyNDQ0ODAwLCJpYXQiOjE3MDAwMDAwMDB9.lB33lE0FPWkk347xRXgakksPLZHTXey2jWr4qb_a0-Q"
        let parts = good.split(separator: ".").map(String.init)
        // {"sub":"admin",...} under the original signature.
        let otherPayload = "eyJzdWIiOiJhZG1pbiIsImV4cCI6NDEwMjQ0NDgwMCwiaWF0IjoxNzAwMDAwMDAwfQ"
        await expectError(.unauthenticated, [parts[0], otherPayload, parts[2]].joined(separator: "."))
        await expectError(.unauthenticated, [parts[0], parts[1], String(parts[2].reversed())].joined(separator: "."))
        await expectError(.unauthenticated, [parts[0], parts[1], "lB33lE0FPWkk347xRXgakksPLZHTXey2jWr4qb_a0-R"].joined(separator: "."))
        await expectError(.unauthenticated, [parts[0], parts[1], ""].joined(separator: "."))
        // The same claims with alg "none" and no signature, or with the right signature appended.
        let none = "eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0.eyJzdWIiOiJ1LTQyIiwiZXhwIjo0MTAyNDQ0ODAwLCJpYXQiOjE3MDAwMDAwMDB9"
        await expectError(.unauthenticated, none + ".")
        await expectError(.unauthenticated, none + "." + parts[2])
        // Signed correctly, but claiming HS384.
        await expectError(.unauthenticated, "eyJhbGciOiJIUzM4NCIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJ1LTQyIiwiZXhwIjo0MTAyNDQ0ODAwLCJpYXQiOjE3MDAwMDAwMDB9.7sPtc3rtfijQBU_t8CDzgZyszzOBKSQX6eRglUb5HEA")
        do {
            _ = try await TokenService(secret: "another-secret-0123456789abcdef0123", lifetimeMinutes: 60).verify(good)
            Issue.record("a token signed with another key was accepted")
        } catch let e as DomainError {
            #expect(e.kind == .unauthenticated)
            #expect(e.message == "The access token is invalid")
        }
    }

    @Test("malformed tokens and ill-typed claims are unauthenticated")
    func malformedIsRejected() async {
        for token in ["", "not-a-jwt", "a.b", "a.b.c.d", "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9..",
                      "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9=.e30.e30", "ey*.e30.e30"] {
            await expectError(.unauthenticated, token)
        }
        // Correctly signed: a payload that is not JSON, sub a number, exp missing, exp a string.
        for token in [
            "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.bm90IGpzb24.Zw1i7tYz8PBNfEBBfyY70BoAYvT9gUZ5-Reqn1COivo",
            "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOjQyLCJleHAiOjQxMDI0NDQ4MDAsImlhdCI6MTcwMDAwMDAwMH0.s21HSgoOtMypX91a9hI_OobTfj1sYiA7VUHXgKDbtuU",
            "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJ1LTQyIiwiaWF0IjoxNzAwMDAwMDAwfQ.THIqEgdaaCAuV27tjm910HNRBFf1kGzgCVJhSQbyu7k",
            "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJ1LTQyIiwiZXhwIjoiNDEwMjQ0NDgwMCIsImlhdCI6MTcwMDAwMDAwMH0.YNWNNhGfUj6LvK_NeNw_lmb4pDLI8ROPj15i0whuSEk",
        ] {
            await expectError(.unauthenticated, token)
        }
    }

    @Test("a correctly signed token past its exp is token_expired; a forged one stays unauthenticated")
    func expiry() async throws {
        // exp 1700000000 (2023-11-14).
        let expired = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJ1LTQyIiwiZXhwIjoxNzAwMDAwMDAwLCJpYXQiOjE2OTk5OTY0MDB9.mMfKHwcCVCwXhPdA9WJqRSlHuUc608cA6OE_cxTU5g4"
        await expectError(.tokenExpired, expired)
        await expectError(.unauthenticated, String(expired.dropLast()) + "h")
        let (old, _) = try await service().issue(userID: "u-42", now: Date(timeIntervalSinceNow: -3601))
        await expectError(.tokenExpired, old)
        do {
            _ = try await service().verify(old)
        } catch let e as DomainError {
            #expect(e.message == "The access token has expired; log in again")
        }
    }
}
