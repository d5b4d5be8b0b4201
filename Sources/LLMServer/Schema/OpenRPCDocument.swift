import LLMJSON

/// The OpenRPC document returned by `rpc.discover`. Its text is `schemas/openrpc.json`,
/// embedded at build time by `scripts/embed-openrpc` (a test checks the two are identical).
public enum OpenRPCDocument {
    public static func value() throws -> JSONValue { try JSONParser.parse(embeddedJSON) }
}
