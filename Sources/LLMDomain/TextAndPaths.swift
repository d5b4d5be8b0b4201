// Small string helpers for what FoundationEssentials leaves out (CharacterSet, NSString paths,
// String(format:)), with Foundation's results.

extension StringProtocol {
    /// Without leading and trailing spaces and tabs: Foundation's `CharacterSet.whitespaces`
    /// (U+0009, the space separators of category Zs, and U+200B, as Foundation counts it).
    public func trimmingWhitespace() -> String { trimming(Self.isWhitespace) }

    /// Without leading and trailing whitespace and line breaks: `CharacterSet.whitespacesAndNewlines`
    /// (also U+000A–U+000D, U+0085, U+2028, U+2029).
    public func trimmingWhitespaceAndNewlines() -> String {
        trimming { Self.isWhitespace($0) || Self.isNewline($0) }
    }

    private func trimming(_ drop: (Unicode.Scalar) -> Bool) -> String {
        let scalars = String(self).unicodeScalars
        guard let first = scalars.firstIndex(where: { !drop($0) }),
              let last = scalars.lastIndex(where: { !drop($0) }) else { return "" }
        return String(String.UnicodeScalarView(scalars[first...last]))
    }

    private static func isWhitespace(_ s: Unicode.Scalar) -> Bool {
        s == "\t" || s.value == 0x200B || s.properties.generalCategory == .spaceSeparator
    }

    private static func isNewline(_ s: Unicode.Scalar) -> Bool {
        (0x0A...0x0D).contains(s.value) || s.value == 0x85 || s.value == 0x2028 || s.value == 0x2029
    }
}

/// The decimal digits of a non-negative `value`, zero-padded on the left to `width` ("%0*d").
public func zeroPadded<I: BinaryInteger>(_ value: I, width: Int) -> String {
    let digits = String(value)
    return digits.count >= width ? digits : String(repeating: "0", count: width - digits.count) + digits
}

public enum Paths {
    /// `path` without its last component, as NSString's `deletingLastPathComponent`:
    /// "/a/b/c" → "/a/b", "/a/b/" → "/a", "/a" → "/", "a" → "", "/" → "/".
    public static func parent(of path: String) -> String {
        // Repeated slashes count as one and a trailing slash is ignored.
        var components = path.split(separator: "/")
        let absolute = path.hasPrefix("/")
        guard !components.isEmpty else { return absolute ? "/" : "" }
        components.removeLast()
        let rest = components.joined(separator: "/")
        return absolute ? "/" + rest : rest
    }
}
