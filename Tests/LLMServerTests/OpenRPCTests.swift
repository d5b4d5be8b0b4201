import Foundation
import LLMJSON
import LLMTestSupport
import Testing

/// `schemas/openrpc.json` checked two ways: its structure against the rules of the OpenRPC 1.3.2
/// meta-schema (encoded here, since the meta-schema can't be fetched), and every example against
/// what a live `llmrpc` answers to the example's params.
@Suite("OpenRPC document", .timeLimit(.minutes(5)))
struct OpenRPCTests {
    /// The document, parsed from the package's `schemas/openrpc.json`.
    static func document() throws -> JSONValue {
        let url = ServerProcess.packageRoot.appendingPathComponent("schemas/openrpc.json")
        return try JSONParser.parse(Array(try Data(contentsOf: url)))
    }

    // MARK: - 1. Structure

    @Test("the document follows the OpenRPC 1.3.2 meta-schema, every $ref resolves, examples fit their schemas")
    func structure() throws {
        let doc = try Self.document()
        let problems = OpenRPCStructure(document: doc).problems()
        for p in problems { Issue.record(Comment(rawValue: p)) }
        #expect(problems.isEmpty)
    }

    // MARK: - 2. Examples against the live server

    @Test("every example's result matches the live server's answer, and the answer fits the result schema")
    func examplesAgainstLiveServer() async throws {
        let doc = try Self.document()
        let h = try await ChatHarness.start()
        let live = LiveExampleChecker(document: doc, client: h.admin)

        // Protocol methods.
        let initialize = try await live.check("initialize")
        let listed = initialize?["capabilities"]?["methods"]?.arrayValue?.compactMap(\.stringValue) ?? []
        #expect(!listed.isEmpty, "initialize lists no capabilities.methods")
        let documented = Set(live.methods.keys)
        for m in listed where !documented.contains(m) {
            Issue.record("initialize: capabilities.methods lists \(m), which the document does not describe")
        }
        for (name, method) in live.methods where method["x-notification"] != true && !listed.contains(name) {
            Issue.record("initialize: capabilities.methods does not list \(name), which the document describes as a request")
        }
        for n in initialize?["capabilities"]?["cancellation"]?.arrayValue ?? [] {
            if live.methods[n.stringValue ?? ""]?["x-notification"] != true {
                Issue.record("initialize: capabilities.cancellation names \(n), not a documented notification")
            }
        }
        let discovered = try await live.check("rpc.discover")
        #expect(discovered == doc, "rpc.discover: the served document differs from schemas/openrpc.json")
        try await live.check("server/health")

        // The caller's own account and keys (the admin's session). The example's user has a
        // monthly budget (remaining_budget_usd is present only then): so does the admin here.
        let adminID = try await h.admin.result("users/me")["id"]!
        _ = try await h.admin.result("admin/users/update", ["id": adminID, "monthly_budget_usd": 20])
        try await live.check("users/me")
        try await live.check("users/me/apiKeyStatus")
        try await live.check("users/me/apiKey/update")
        try await live.check("users/me/apiKey/delete")
        try await live.check("llmModels/list")

        // Chat, with the example's model replaced by gpt-test; the chunks fit their schema too.
        let gptID = JSONValue.string(h.modelIDs["gpt-test"]!)
        let chat = try await live.check("llm/chat/completions", overriding: ["model_id": gptID])
        let conversationID = try #require(chat?["conversation_id"], "llm/chat/completions gave no conversation_id")
        let streamID = JSONValue.string("openrpc-stream")
        try await live.check("llm/chat/completions/stream", overriding: ["model": "gpt-test"], id: streamID)
        let chunks = h.admin.notifications(requestID: streamID)
        #expect(!chunks.isEmpty, "llm/chat/completions/stream sent no chunks")
        for chunk in chunks { live.checkNotification("llm/chat/completions/chunk", chunk) }
        try await live.check("billing/usage/myUsage")
        try await live.check("billing/usage/allUsers")

        // Administration. user@example.com (the example's login) exists before the user list.
        try await live.check("admin/llmKeys/list")
        try await live.check("admin/llmKeys/update")
        try await live.check("admin/llmKeys/delete")
        let exampleUser = try await h.admin.result("admin/users/create", [
            "email": "user@example.com", "password": "secret-password", "full_name": "Ada Lovelace"])
        _ = try await h.admin.result("admin/users/update", ["id": exampleUser["id"]!, "monthly_budget_usd": 20])
        try await live.check("admin/users/list")
        let created = try await live.check("admin/users/create")
        let userID = try #require(created?["id"], "admin/users/create gave no id")
        try await live.check("admin/users/update", overriding: ["id": userID])
        // The example's claude-sonnet-4-5 is in the catalogue a fresh server seeds: use a new name.
        let model = try await live.check("admin/llmModels/create", overriding: ["model_name": "claude-openrpc-example"])
        let modelID = try #require(model?["id"], "admin/llmModels/create gave no id")
        try await live.check("admin/llmModels/update", overriding: ["id": modelID])
        try await live.check("admin/llmModels/delete", overriding: ["id": modelID])

        // Conversations: the one the chat above stored.
        try await live.check("conversations/list")
        try await live.check("conversations/get", overriding: ["id": conversationID])
        try await live.check("conversations/delete", overriding: ["id": conversationID])

        // Sessions: log in as the example's user, then authenticate with the token it got.
        let token = try await live.check("login/accessToken")
        let accessToken = try #require(token?["access_token"], "login/accessToken gave no access_token")
        try await live.check("session/authenticate", overriding: ["access_token": accessToken])

        // Last: shutdown (exit and the notifications have no result to compare).
        try await live.check("shutdown")

        let unchecked = live.methods.filter { name, method in
            method["x-notification"] != true && !(method["examples"]?.arrayValue ?? []).isEmpty
                && !live.checked.contains(name)
        }.keys.sorted()
        #expect(unchecked == [], "methods with examples this test does not exercise")
        await h.shutdown()
    }

    // MARK: - 3. The checks themselves

    @Test("the structure rules catch broken documents")
    func structureRulesCatchBreakage() throws {
        let doc = try Self.document()
        var root = try #require(doc.objectValue)
        var methods = try #require(root["methods"]?.arrayValue)
        var first = try #require(methods[0].objectValue)   // initialize
        first["result"] = nil
        first["paramStructure"] = "by-magic"
        first["errors"] = [["$ref": "#/components/errors/NoSuchError"], ["code": 1.5, "message": "x"]]
        first["examples"] = [["name": "e", "params": [["name": "undeclared", "value": 1]]]]
        methods[0] = .object(first)
        methods.append(methods[1])   // shutdown, twice
        root["methods"] = .array(methods)
        root["openrpc"] = "2.0"
        let problems = OpenRPCStructure(document: .object(root)).problems()
        #expect(problems == [
            "openrpc: 2.0 is not 1.x.y",
            "initialize: paramStructure \"by-magic\" is not by-name, by-position or either",
            "initialize: result: missing (only x-notification entries may omit it)",
            "initialize: errors[0]: $ref #/components/errors/NoSuchError does not resolve",
            "initialize: errors[1]: code: missing or not an integer",
            "initialize: examples[0]: params[0]: undeclared is not a declared param",
            "initialize: examples[0]: result: missing",
            "shutdown: the method name is not unique",
            "#/methods/0/errors/0: $ref #/components/errors/NoSuchError does not resolve",
        ])
    }

    @Test("the live comparison catches missing keys, wrong types and values outside the schema")
    func liveComparisonCatchesDifferences() throws {
        let doc = try Self.document()
        let v = SchemaValidator(document: doc)
        let health: JSONValue = ["$ref": "#/components/schemas/Health"]
        #expect(v.errors(["status": "ok", "version": "1", "uptime_s": 3, "database": "ok"], health, at: "r") == [])
        #expect(v.errors(["status": "bad", "version": 1, "uptime_s": 1.5, "database": "ok"], health, at: "r") == [
            "r.status: \"bad\" is not one of [\"ok\",\"degraded\"]",
            "r.version: expected string, got a number",
            "r.uptime_s: expected integer, got a number",
        ])
        #expect(v.errors(["status": "ok"], health, at: "r") == [
            "r: the required property version is missing", "r: the required property uptime_s is missing",
            "r: the required property database is missing",
        ])
        let stop: JSONValue = ["oneOf": [["type": "string"], ["type": "array", "items": ["type": "string"]], ["type": "null"]]]
        #expect(v.errors(["a"], stop, at: "s") == [])
        #expect(v.errors(1, stop, at: "s") == ["s: matches 0 of the oneOf branches, not exactly 1"])

        let checker = LiveExampleChecker(document: doc, client: LineClient(readFD: -1, writeFD: -1))
        let user: JSONValue = ["$ref": "#/components/schemas/User"]
        let example: JSONValue = ["data": [["id": "u", "full_name": "Ada", "is_active": true, "monthly_budget_usd": 20]], "count": 1]
        let list: JSONValue = ["type": "object", "properties": ["data": ["type": "array", "items": user]]]
        // full_name and monthly_budget_usd may be null; is_active may not; extra fields are fine.
        #expect(checker.structuralDifferences(
            expected: example, live: ["data": [["id": "v", "full_name": .null, "is_active": true, "monthly_budget_usd": .null,
                                                "extra": 1]], "count": 2],
            schema: list, at: "result") == [])
        #expect(checker.structuralDifferences(
            expected: example, live: ["data": [["id": 7, "is_active": .null, "monthly_budget_usd": "20"]], "count": "1"],
            schema: list, at: "result") == [
            "result.data[0].id: the example has a string, the server a number",
            "result.data[0].full_name: in the example, missing from the server's answer",
            "result.data[0].is_active: the example has a boolean, the server null (the schema does not allow null)",
            "result.data[0].monthly_budget_usd: the example has a number, the server a string",
            "result.count: the example has a number, the server a string",
        ])
    }
}

// MARK: - Structure rules

/// The rules of the OpenRPC 1.3.2 meta-schema that this document relies on, plus its own
/// conventions (`x-notification` entries have no result), checked by walking the document.
struct OpenRPCStructure {
    let document: JSONValue
    private var validator: SchemaValidator { SchemaValidator(document: document) }

    static let paramStructures: Set<String> = ["by-name", "by-position", "either"]

    /// Every rule the document breaks, each naming where.
    func problems() -> [String] {
        var out: [String] = []
        guard let root = document.objectValue else { return ["the document is not an object"] }
        if let v = root["openrpc"]?.stringValue {
            if v.wholeMatch(of: #/1\.[0-9]+\.[0-9]+/#) == nil { out.append("openrpc: \(v) is not 1.x.y") }
        } else {
            out.append("openrpc: missing or not a string")
        }
        if let info = root["info"]?.objectValue {
            if info["title"]?.stringValue == nil { out.append("info.title: missing or not a string") }
            if info["version"]?.stringValue == nil { out.append("info.version: missing or not a string") }
        } else {
            out.append("info: missing or not an object")
        }
        out += componentProblems(root["components"])
        guard let methods = root["methods"]?.arrayValue else { return out + ["methods: missing or not an array"] }
        var names: Set<String> = []
        for (i, m) in methods.enumerated() {
            guard let method = m.objectValue, let name = method["name"]?.stringValue, !name.isEmpty else {
                out.append("methods[\(i)]: not an object with a name string")
                continue
            }
            if !names.insert(name).inserted { out.append("\(name): the method name is not unique") }
            out += methodProblems(name, method).map { "\(name): \($0)" }
        }
        out += refProblems(document, at: "#")
        return out
    }

    private func componentProblems(_ components: JSONValue?) -> [String] {
        guard let components else { return [] }
        guard let c = components.objectValue else { return ["components: not an object"] }
        var out: [String] = []
        for (name, schema) in c["schemas"]?.objectValue ?? JSONObject() where !isSchema(schema) {
            out.append("components.schemas.\(name): not an object or boolean")
        }
        for (name, error) in c["errors"]?.objectValue ?? JSONObject() {
            out += errorObjectProblems(error).map { "components.errors.\(name): \($0)" }
        }
        return out
    }

    private func methodProblems(_ name: String, _ method: JSONObject) -> [String] {
        var out: [String] = []
        let notification = method["x-notification"] == true
        if let ps = method["paramStructure"] {
            if !Self.paramStructures.contains(ps.stringValue ?? "") { out.append("paramStructure \(ps) is not by-name, by-position or either") }
        }
        // params: content descriptors with unique names.
        var declared: [String: JSONValue] = [:]
        if let params = method["params"]?.arrayValue {
            for (i, p) in params.enumerated() {
                let d = resolvedDescriptor(p)
                out += descriptorProblems(d).map { "params[\(i)]: \($0)" }
                guard let pname = d?["name"]?.stringValue else { continue }
                if declared[pname] != nil { out.append("params: \(pname) is declared twice") }
                declared[pname] = d?["schema"] ?? true
            }
        } else {
            out.append("params: missing or not an array")
        }
        // result: required unless the entry is a notification, which has none.
        if let result = method["result"] {
            if notification { out.append("result: a notification has no result") }
            out += descriptorProblems(resolvedDescriptor(result)).map { "result: \($0)" }
        } else if !notification {
            out.append("result: missing (only x-notification entries may omit it)")
        }
        // errors: $refs to components.errors that resolve, or error objects.
        for (i, e) in (method["errors"]?.arrayValue ?? []).enumerated() {
            if let ref = e["$ref"]?.stringValue {
                if !ref.hasPrefix("#/components/errors/") { out.append("errors[\(i)]: $ref \(ref) is not under #/components/errors/") }
                if let target = JSONPointer.resolve(ref, in: document) {
                    out += errorObjectProblems(target).map { "errors[\(i)] (\(ref)): \($0)" }
                } else {
                    out.append("errors[\(i)]: $ref \(ref) does not resolve")
                }
            } else {
                out += errorObjectProblems(e).map { "errors[\(i)]: \($0)" }
            }
        }
        if let errors = method["errors"], errors.arrayValue == nil { out.append("errors: not an array") }
        // examples: pairings of declared params (and a result unless a notification).
        let resultSchema = resolvedDescriptor(method["result"] ?? .null)?["schema"]
        for (i, ex) in (method["examples"]?.arrayValue ?? []).enumerated() {
            out += exampleProblems(ex, declared: declared, required: requiredParams(method),
                                   notification: notification, resultSchema: resultSchema).map { "examples[\(i)]: \($0)" }
        }
        if let examples = method["examples"], examples.arrayValue == nil { out.append("examples: not an array") }
        return out
    }

    private func requiredParams(_ method: JSONObject) -> [String] {
        (method["params"]?.arrayValue ?? []).compactMap { p in
            let d = resolvedDescriptor(p)
            return d?["required"] == true ? d?["name"]?.stringValue : nil
        }
    }

    private func exampleProblems(_ example: JSONValue, declared: [String: JSONValue], required: [String],
                                 notification: Bool, resultSchema: JSONValue?) -> [String] {
        guard example.objectValue != nil else { return ["not an object"] }
        var out: [String] = []
        if example["name"]?.stringValue == nil { out.append("name: missing or not a string") }
        guard let params = example["params"]?.arrayValue else { return out + ["params: missing or not an array"] }
        var given: Set<String> = []
        for (i, p) in params.enumerated() {
            guard let pname = p["name"]?.stringValue, let value = p["value"] else {
                out.append("params[\(i)]: not a {name, value} pairing")
                continue
            }
            given.insert(pname)
            guard let schema = declared[pname] else {
                out.append("params[\(i)]: \(pname) is not a declared param")
                continue
            }
            out += validator.errors(value, schema, at: "params.\(pname)")
        }
        for r in required where !given.contains(r) { out.append("params: the required param \(r) is missing") }
        if notification {
            if example["result"] != nil { out.append("result: a notification's example has no result") }
        } else if let result = example["result"] {
            if result["name"]?.stringValue == nil { out.append("result.name: missing or not a string") }
            if let value = result["value"] {
                if let resultSchema { out += validator.errors(value, resultSchema, at: "result") }
            } else {
                out.append("result.value: missing")
            }
        } else {
            out.append("result: missing")
        }
        return out
    }

    /// A content descriptor, following a `$ref` to `#/components/contentDescriptors/...`.
    private func resolvedDescriptor(_ d: JSONValue) -> JSONValue? {
        if let ref = d["$ref"]?.stringValue { return JSONPointer.resolve(ref, in: document) }
        return d
    }

    private func descriptorProblems(_ d: JSONValue?) -> [String] {
        guard let d, d.objectValue != nil else { return ["not a content descriptor object (or its $ref does not resolve)"] }
        var out: [String] = []
        if d["name"]?.stringValue == nil { out.append("name: missing or not a string") }
        if let schema = d["schema"] {
            if !isSchema(schema) { out.append("schema: not an object or boolean") }
        } else {
            out.append("schema: missing")
        }
        if let r = d["required"], r.boolValue == nil { out.append("required: not a boolean") }
        return out
    }

    private func errorObjectProblems(_ e: JSONValue) -> [String] {
        guard e.objectValue != nil else { return ["not an error object"] }
        var out: [String] = []
        if e["code"]?.numberValue?.isInteger != true { out.append("code: missing or not an integer") }
        if e["message"]?.stringValue == nil { out.append("message: missing or not a string") }
        return out
    }

    private func isSchema(_ v: JSONValue) -> Bool { v.objectValue != nil || v.boolValue != nil }

    /// Every `$ref` in the document, wherever it is, points inside it.
    private func refProblems(_ v: JSONValue, at path: String) -> [String] {
        switch v {
        case .object(let o):
            var out: [String] = []
            for (k, child) in o {
                if k == "$ref", let ref = child.stringValue {
                    if JSONPointer.resolve(ref, in: document) == nil { out.append("\(path): $ref \(ref) does not resolve") }
                } else {
                    out += refProblems(child, at: path + "/" + k)
                }
            }
            return out
        case .array(let a):
            return a.enumerated().flatMap { refProblems($1, at: "\(path)/\($0)") }
        default:
            return []
        }
    }
}

/// JSON Pointer fragments (`#/components/schemas/Uuid`) within one document.
enum JSONPointer {
    static func resolve(_ ref: String, in document: JSONValue) -> JSONValue? {
        guard ref == "#" || ref.hasPrefix("#/") else { return nil }
        var node = document
        for raw in ref.dropFirst(2).split(separator: "/", omittingEmptySubsequences: false) where ref != "#" {
            let token = raw.replacingOccurrences(of: "~1", with: "/").replacingOccurrences(of: "~0", with: "~")
            switch node {
            case .object(let o):
                guard let next = o[token] else { return nil }
                node = next
            case .array(let a):
                guard let i = Int(token), a.indices.contains(i) else { return nil }
                node = a[i]
            default:
                return nil
            }
        }
        return node
    }
}

// MARK: - A small JSON Schema validator

/// The JSON Schema keywords this document uses, enough to check values against it: boolean
/// schemas, `$ref` (within the document), `type` (one or an array; `integer` is an integral
/// number), `enum`, `const`, `required`, `properties`, `additionalProperties`, `items`,
/// `minItems`, `oneOf` (exactly one), `anyOf`, `allOf`, `not`, `minimum`, `maximum`,
/// `minLength`, `maxLength`. Annotations (`format`, `pattern`, `description`, `default`) are not checked.
struct SchemaValidator {
    let document: JSONValue

    /// Every way `value` breaks `schema`, each with the path of the offending value.
    func errors(_ value: JSONValue, _ schema: JSONValue, at path: String) -> [String] {
        if let b = schema.boolValue { return b ? [] : ["\(path): no value is allowed here"] }
        guard let s = schema.objectValue else { return ["\(path): the schema is not an object"] }
        var out: [String] = []
        if let ref = s["$ref"]?.stringValue {
            guard let target = JSONPointer.resolve(ref, in: document) else { return ["\(path): $ref \(ref) does not resolve"] }
            out += errors(value, target, at: path)
        }
        if let type = s["type"] {
            let types = type.arrayValue?.compactMap(\.stringValue) ?? [type.stringValue ?? ""]
            if !types.contains(where: { Self.hasType(value, $0) }) {
                out.append("\(path): expected \(types.joined(separator: " or ")), got \(value.typeName)")
                return out
            }
        }
        if let options = s["enum"]?.arrayValue, !options.contains(value) {
            out.append("\(path): \(value) is not one of \(JSONValue.array(options))")
        }
        if let c = s["const"], c != value { out.append("\(path): \(value) is not the constant \(c)") }
        if case .object(let o) = value {
            for r in s["required"]?.arrayValue?.compactMap(\.stringValue) ?? [] where !o.contains(r) {
                out.append("\(path): the required property \(r) is missing")
            }
            let properties = s["properties"]?.objectValue ?? JSONObject()
            for (k, v) in o {
                if let p = properties[k] {
                    out += errors(v, p, at: path + "." + k)
                } else if let extra = s["additionalProperties"] {
                    out += errors(v, extra, at: path + "." + k)
                }
            }
        }
        if case .array(let a) = value {
            if let items = s["items"] {
                for (i, v) in a.enumerated() { out += errors(v, items, at: "\(path)[\(i)]") }
            }
            if let min = s["minItems"]?.intValue, a.count < min { out.append("\(path): fewer than \(min) items") }
        }
        if case .string(let str) = value {
            if let min = s["minLength"]?.intValue, str.count < min { out.append("\(path): shorter than \(min)") }
            if let max = s["maxLength"]?.intValue, str.count > max { out.append("\(path): longer than \(max)") }
        }
        if let n = value.decimal {
            if let min = s["minimum"]?.decimal, n < min { out.append("\(path): \(value) is below \(min)") }
            if let max = s["maximum"]?.decimal, n > max { out.append("\(path): \(value) is above \(max)") }
        }
        if let branches = s["oneOf"]?.arrayValue {
            let matching = branches.filter { errors(value, $0, at: path).isEmpty }.count
            if matching != 1 { out.append("\(path): matches \(matching) of the oneOf branches, not exactly 1") }
        }
        if let branches = s["anyOf"]?.arrayValue, !branches.contains(where: { errors(value, $0, at: path).isEmpty }) {
            out.append("\(path): matches none of the anyOf branches")
        }
        for branch in s["allOf"]?.arrayValue ?? [] { out += errors(value, branch, at: path) }
        if let not = s["not"], errors(value, not, at: path).isEmpty { out.append("\(path): matches a schema it must not") }
        return out
    }

    static func hasType(_ value: JSONValue, _ type: String) -> Bool {
        switch (type, value) {
        case ("null", .null), ("boolean", .bool), ("number", .number), ("string", .string),
             ("array", .array), ("object", .object): return true
        case ("integer", .number(let n)): return n.isInteger
        default: return false
        }
    }

    /// The schema, following `$ref`s.
    func resolved(_ schema: JSONValue?) -> JSONValue? {
        var s = schema
        var hops = 0
        while let ref = s?["$ref"]?.stringValue, hops < 32 {
            s = JSONPointer.resolve(ref, in: document)
            hops += 1
        }
        return s
    }

    /// The schema of member `key` of an object described by `schema` (through `$ref`,
    /// `properties`, the branches of `oneOf`/`anyOf`/`allOf`, and `additionalProperties`).
    func propertySchema(_ schema: JSONValue?, _ key: String) -> JSONValue? {
        guard let s = resolved(schema) else { return nil }
        if let p = s["properties"]?[key] { return p }
        for k in ["oneOf", "anyOf", "allOf"] {
            for branch in s[k]?.arrayValue ?? [] { if let p = propertySchema(branch, key) { return p } }
        }
        if let extra = s["additionalProperties"], extra.objectValue != nil { return extra }
        return nil
    }

    /// The schema of the items of an array described by `schema`.
    func itemSchema(_ schema: JSONValue?) -> JSONValue? {
        guard let s = resolved(schema) else { return nil }
        if let items = s["items"] { return items }
        for k in ["oneOf", "anyOf", "allOf"] {
            for branch in s[k]?.arrayValue ?? [] { if let i = itemSchema(branch) { return i } }
        }
        return nil
    }

    /// Whether `schema` lets the value be null (an unknown or unconstrained schema does).
    func allowsNull(_ schema: JSONValue?) -> Bool {
        guard let s = resolved(schema) else { return false }
        if let b = s.boolValue { return b }
        return errors(.null, s, at: "").isEmpty
    }
}

// MARK: - Examples against the live server

/// Sends a method's example params to a live server and compares the answer with the example's
/// result, structurally, and with the method's result schema.
final class LiveExampleChecker: @unchecked Sendable {
    let document: JSONValue
    let client: LineClient
    let validator: SchemaValidator
    /// The document's methods by name.
    let methods: [String: JSONValue]
    /// The methods checked so far.
    private(set) var checked: Set<String> = []

    init(document: JSONValue, client: LineClient) {
        self.document = document
        self.client = client
        validator = SchemaValidator(document: document)
        var byName: [String: JSONValue] = [:]
        for m in document["methods"]?.arrayValue ?? [] {
            if let name = m["name"]?.stringValue { byName[name] = m }
        }
        methods = byName
    }

    /// Runs `name`'s first example (params replaced by `overriding` where given) and records an
    /// issue for every difference; returns the live result, or nil after an error response.
    @discardableResult
    func check(_ name: String, overriding: JSONObject = [:], id: JSONValue? = nil) async throws -> JSONValue? {
        checked.insert(name)
        guard let method = methods[name], let example = method["examples"]?.arrayValue?.first else {
            Issue.record("\(name): the document has no example for it")
            return nil
        }
        var params = JSONObject()
        for p in example["params"]?.arrayValue ?? [] {
            if let k = p["name"]?.stringValue, let v = p["value"] { params[k] = v }
        }
        for (k, v) in overriding { params[k] = v }
        let response = try await client.call(name, .object(params), id: id)
        guard let result = response["result"] else {
            Issue.record("\(name): the example's params got an error: \(response["error"] ?? .null)")
            return nil
        }
        let schema = method["result"]?["schema"]
        var differences: [String] = []
        if let expected = example["result"]?["value"] {
            differences += structuralDifferences(expected: expected, live: result, schema: schema, at: "result")
        }
        if let schema { differences += validator.errors(result, schema, at: "result") }
        for d in differences { Issue.record("\(name): \(d)") }
        return result
    }

    /// Checks a notification the server sent against the params its entry declares.
    func checkNotification(_ name: String, _ message: JSONValue) {
        checked.insert(name)
        guard let declared = methods[name]?["params"]?.arrayValue, let params = message["params"]?.objectValue else {
            Issue.record("\(name): undocumented, or sent without params: \(message)")
            return
        }
        var problems: [String] = []
        for d in declared {
            guard let pname = d["name"]?.stringValue else { continue }
            if let v = params[pname] {
                problems += validator.errors(v, d["schema"] ?? true, at: "params." + pname)
            } else if d["required"] == true {
                problems.append("params.\(pname): required but missing")
            }
        }
        for p in problems { Issue.record("\(name): \(p) in \(message)") }
    }

    /// Where `live` differs in shape from `expected`: every key of an expected object is in the
    /// live one with a value of the same JSON type (null against a value only where the schema
    /// allows null), recursively; arrays compare their first items when both have one.
    func structuralDifferences(expected: JSONValue, live: JSONValue, schema: JSONValue?, at path: String) -> [String] {
        switch (expected, live) {
        case (.null, .null): return []
        case (.null, _), (_, .null):
            return validator.allowsNull(schema) ? []
                : ["\(path): the example has \(expected.typeName), the server \(live.typeName) (the schema does not allow null)"]
        case (.object(let e), .object(let l)):
            var out: [String] = []
            for (k, v) in e {
                guard let lv = l[k] else {
                    out.append("\(path).\(k): in the example, missing from the server's answer")
                    continue
                }
                out += structuralDifferences(expected: v, live: lv, schema: validator.propertySchema(schema, k), at: path + "." + k)
            }
            return out
        case (.array(let e), .array(let l)):
            guard let ef = e.first, let lf = l.first else { return [] }
            return structuralDifferences(expected: ef, live: lf, schema: validator.itemSchema(schema), at: path + "[0]")
        case (.bool, .bool), (.number, .number), (.string, .string): return []
        default:
            return ["\(path): the example has \(expected.typeName), the server \(live.typeName)"]
        }
    }
}
