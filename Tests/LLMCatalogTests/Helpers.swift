import Foundation
import LLMDomain

/// An exact price from its decimal text ("0.3" → $0.30 per million).
func price(_ text: String) -> PricePerMillion {
    PricePerMillion(usdPerMillion: Decimal(string: text, locale: Locale(identifier: "en_US_POSIX"))!)!
}

/// An exact decimal from its text.
func dec(_ text: String) -> Decimal {
    Decimal(string: text, locale: Locale(identifier: "en_US_POSIX"))!
}

/// The LiteLLM price map kept next to the repository (`../shared/data/`), found from this file's
/// real location (symlinks resolved), so it works in the repo, a scratch package and CI alike.
enum LiteLLMFixture {
    static let path: String = {
        let here = URL(fileURLWithPath: #filePath).resolvingSymlinksInPath()
        let repo = here.deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        return repo.deletingLastPathComponent()
            .appendingPathComponent("shared/data/litellm-model-prices-1.108.7.json").path
    }()

    static var exists: Bool { FileManager.default.fileExists(atPath: path) }

    static let skipMessage = "LiteLLM price map not found at ../shared/data/litellm-model-prices-1.108.7.json (sibling of the repository); skipping"

    static func bytes() throws -> [UInt8] {
        [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
    }
}
