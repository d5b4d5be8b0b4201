import LLMDomain
import Testing
@testable import LLMStore

/// The title reads only as far as it needs; it must equal the definition: the first user
/// message, split on white space, joined with single spaces, its first 80 characters.
@Suite struct ConversationTitleTests {
    static func definition(_ text: String) -> String {
        let collapsed = text.split(whereSeparator: { $0.isWhitespace || $0.isNewline }).joined(separator: " ")
        return collapsed.isEmpty ? "New conversation" : String(collapsed.prefix(80))
    }

    @Test(arguments: [
        "", "   \n\t ", "Hello", "  Hello   there,\n" + String(repeating: "é", count: 100),
        String(repeating: "a", count: 79) + " b", String(repeating: "a", count: 79) + "   b c",
        String(repeating: "a", count: 80) + " b", String(repeating: "ab ", count: 60),
        "line one\r\nline two\u{2028}three\u{00A0}four\u{0085}five\u{3000}six",
        "e\u{301}t\u{301}e\u{301} \u{301}x", "\u{301}leading mark", "👩‍👩‍👧 family 🇫🇷 flag  ",
        String(repeating: "word ", count: 20_000), "tab\tseparated\u{000B}vt\u{000C}ff",
        String(repeating: "a", count: 80) + "\u{301}", String(repeating: "a", count: 79) + " \u{301}",
        String(repeating: "a ", count: 50) + "é", "  \r\n  ", "x" + String(repeating: " ", count: 100) + "y",
    ])
    func titleIsTheFirst80CharactersOfTheCollapsedText(_ text: String) {
        let title = conversationTitle([ChatMessage(role: .system, content: "sys"), ChatMessage(role: .user, content: text),
                                       ChatMessage(role: .user, content: "second")])
        #expect(title == Self.definition(text))
        #expect(title.count <= 80 || title == "New conversation")
    }

    @Test func noUserMessageGivesTheDefaultTitle() {
        #expect(conversationTitle([ChatMessage(role: .system, content: "only system")]) == "New conversation")
    }
}
