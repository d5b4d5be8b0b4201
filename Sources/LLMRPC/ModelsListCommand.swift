import ArgumentParser
import LLMJSON

extension ModelsCommand {
    /// `llmrpc models` / `llmrpc models list`: the models this user can chat with, and their prices.
    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List the models you can use, with their prices (the default of `llmrpc models`).",
            discussion: """
            Only models whose provider has a key for you (your own, or a system key) are listed; the \
            "key" column says which would be used. Prices are USD per million tokens, exactly as \
            they are billed; "unpriced" means the model has no price (its cost is not counted, \
            never shown as $0). "cached" is the price of input read from the prompt cache.

            Logs in like `llmrpc chat` (a saved token, else email and password), through a private \
            server or, with --socket, a running one. --json prints the llmModels/list result as it is.
            """)

        @OptionGroup var client: ClientOptions
        @Option(name: .long, help: "Only this provider's models: anthropic, openai or google.") var provider: String?
        @Flag(name: .long, help: "Superusers: also models nobody has a key for.") var all = false
        @Flag(name: .long, help: "Print the raw llmModels/list result as JSON.") var json = false

        func validate() throws {
            if let p = provider, !["anthropic", "openai", "google"].contains(p) {
                throw ValidationError("--provider must be anthropic, openai or google")
            }
        }

        func run() async throws {
            let config = try client.common.config()
            let gateway = try GatewayClient.connect(client, config: config)
            _ = try await Login.authenticate(gateway, options: client, config: config)
            var params: JSONObject = ["is_active": true]
            if let p = provider { params["provider"] = .string(p) }
            if all { params["include_unavailable"] = true }
            let result: JSONValue
            do {
                result = try await gateway.call("llmModels/list", .object(params))
            } catch let e as RPCCallError {
                throw CLIError(e.description)
            }
            gateway.finish()
            if json {
                print(JSONWriter.string(result))
                return
            }
            let models = result["data"]?.arrayValue ?? []
            if models.isEmpty {
                Out.stderr("No model is available to you: store a provider key (users/me/apiKey/update) or ask an admin for a system key.\n")
                return
            }
            print(ModelTable.render(models), terminator: "")
        }
    }
}

/// The table `llmrpc models` prints.
enum ModelTable {
    static let headers = ["provider", "model", "input $/M", "output $/M", "cached $/M", "context", "key"]

    static func render(_ models: [JSONValue]) -> String {
        let rows = models.map { m -> [String] in
            let priced = !(m["input_price_per_million"]?.isNull ?? true) || !(m["output_price_per_million"]?.isNull ?? true)
            return [
                m["provider"]?.stringValue ?? "",
                m["model_name"]?.stringValue ?? "",
                price(m["input_price_per_million"], unpriced: "unpriced"),
                price(m["output_price_per_million"], unpriced: "unpriced"),
                price(m["cached_input_price_per_million"], unpriced: priced ? "-" : "unpriced"),
                m["context_window"]?.numberValue?.text ?? "-",
                m["key_source"]?.stringValue ?? "-",
            ]
        }
        var widths = headers.map(\.count)
        for r in rows { for (i, c) in r.enumerated() { widths[i] = max(widths[i], c.count) } }
        // Names left-aligned, numbers right-aligned, the key source left-aligned.
        func line(_ cells: [String]) -> String {
            let text = cells.enumerated().map { i, c in
                let pad = String(repeating: " ", count: widths[i] - c.count)
                return (i < 2 || i == cells.count - 1) ? c + pad : pad + c
            }.joined(separator: "  ")
            return String(text.reversed().drop { $0 == " " }.reversed())
        }
        var out = line(headers) + "\n"
        for r in rows { out += line(r) + "\n" }
        return out
    }

    /// The price's decimal text as the server sent it.
    static func price(_ v: JSONValue?, unpriced: String) -> String {
        guard let n = v?.numberValue else { return unpriced }
        return n.text
    }
}
