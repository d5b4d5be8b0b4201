import ArgumentParser
import LLMJSON
import LLMServer

/// `llmrpc usage`: the usage report for someone at a terminal (or as JSON).
struct UsageCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "usage",
                                                    abstract: "Show usage and cost per model and per day.")

    @OptionGroup var options: CommonOptions
    @Option(name: .long, help: "The last N days (1 to 366).") var days = 30
    @Option(name: .long, help: "Only this user's usage (email); default: everyone.") var user: String?
    @Flag(name: .long, help: "Print the report as JSON (the billing/usage/allUsers result).") var json = false

    func validate() throws {
        guard (1...366).contains(days) else { throw ValidationError("--days must be between 1 and 366") }
    }

    func run() async throws {
        let (_, services) = try await startServices(options)
        var userID: String? = nil
        if let email = user {
            guard let u = try services.db.user(email: email) else { throw ValidationError("no user \(email)") }
            userID = u.id
        }
        let report = try UsageJSON.report(db: services.db, userID: userID, days: days, includeUsers: userID == nil)
        if json {
            print(JSONWriter.string(report))
            return
        }
        print(UsageTable.render(report))
    }
}

enum UsageTable {
    static func render(_ r: JSONValue) -> String {
        var out = "Usage from \(r["from"]?.stringValue ?? "") to \(r["to"]?.stringValue ?? "")\n"
        out += "Total: \(r["total_requests"]?.description ?? "0") requests, "
        out += "\(r["total_input_tokens"]?.description ?? "0") input + \(r["total_output_tokens"]?.description ?? "0") output tokens, "
        out += "$\(r["total_cost"]?.description ?? "0")\n\n"
        out += table(title: "By model", headers: ["provider", "model", "requests", "input", "output", "cost (USD)"],
                     rows: (r["by_model"]?.arrayValue ?? []).map {
                         [$0["provider"]?.stringValue ?? "", $0["model_name"]?.stringValue ?? "",
                          $0["requests"]?.description ?? "", $0["input_tokens"]?.description ?? "",
                          $0["output_tokens"]?.description ?? "", $0["total_cost"]?.description ?? ""]
                     })
        out += "\n"
        out += table(title: "By day (UTC)", headers: ["date", "requests", "input", "output", "cost (USD)"],
                     rows: (r["by_day"]?.arrayValue ?? []).map {
                         [$0["date"]?.stringValue ?? "", $0["requests"]?.description ?? "",
                          $0["input_tokens"]?.description ?? "", $0["output_tokens"]?.description ?? "",
                          $0["total_cost"]?.description ?? ""]
                     })
        if let users = r["by_user"]?.arrayValue {
            out += "\n"
            out += table(title: "By user", headers: ["email", "requests", "input", "output", "cost (USD)"],
                         rows: users.map {
                             [$0["email"]?.stringValue ?? "", $0["requests"]?.description ?? "",
                              $0["input_tokens"]?.description ?? "", $0["output_tokens"]?.description ?? "",
                              $0["total_cost"]?.description ?? ""]
                         })
        }
        return out
    }

    static func table(title: String, headers: [String], rows: [[String]]) -> String {
        var widths = headers.map(\.count)
        for r in rows { for (i, c) in r.enumerated() { widths[i] = max(widths[i], c.count) } }
        func line(_ cells: [String]) -> String {
            cells.enumerated().map { i, c in
                let pad = String(repeating: " ", count: widths[i] - c.count)
                return i < 2 ? c + pad : pad + c
            }.joined(separator: "  ")
        }
        var out = "\(title)\n\(line(headers))\n\(widths.map { String(repeating: "-", count: $0) }.joined(separator: "  "))\n"
        if rows.isEmpty { out += "(no usage)\n" }
        for r in rows { out += line(r) + "\n" }
        return out
    }
}
