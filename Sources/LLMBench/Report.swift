import Foundation
import LLMJSON

/// A goal on a figure: on its value, or on what it adds to its baseline, or on value/baseline.
struct Goal {
    enum Subject: String { case value, added, ratio }
    enum Op: String { case atMost = "<=", atLeast = ">=" }
    var subject: Subject
    var op: Op
    var limit: Double

    static func value(_ op: Op, _ limit: Double) -> Goal { Goal(subject: .value, op: op, limit: limit) }
    static func added(_ op: Op, _ limit: Double) -> Goal { Goal(subject: .added, op: op, limit: limit) }
    static func ratio(_ op: Op, _ limit: Double) -> Goal { Goal(subject: .ratio, op: op, limit: limit) }

    func met(_ x: Double?) -> Bool? {
        guard let x, x.isFinite else { return nil }
        return op == .atMost ? x <= limit : x >= limit
    }
}

/// One measured figure with the baseline it is compared to (a ratio of).
struct Figure {
    var name: String
    var unit: String
    var value: Double?
    var baselineName: String?
    var baseline: Double?
    var goal: Goal?
    var note: String?

    var added: Double? {
        guard let value, let baseline else { return nil }
        return value - baseline
    }
    var ratio: Double? {
        guard let value, let baseline, baseline != 0 else { return nil }
        return value / baseline
    }
    var met: Bool? {
        guard let goal else { return nil }
        switch goal.subject {
        case .value: return goal.met(value)
        case .added: return goal.met(added)
        case .ratio: return goal.met(ratio)
        }
    }
    var goalText: String {
        guard let goal else { return "" }
        let limit = goal.subject == .ratio ? Report.fmt(goal.limit, digits: 2) : Report.fmt(goal.limit)
        return "\(goal.subject.rawValue) \(goal.op.rawValue) \(limit)"
    }
}

/// The table on stdout and the same figures as JSON.
struct Report {
    var figures: [Figure] = []
    var notes: [String] = []

    mutating func add(_ f: Figure) { figures.append(f) }

    static func fmt(_ x: Double?, digits: Int? = nil) -> String {
        guard let x, x.isFinite else { return "n/a" }
        if let digits { return String(format: "%.\(digits)f", x) }
        let a = abs(x)
        if a >= 1000 { return String(format: "%.0f", x) }
        if a >= 100 { return String(format: "%.1f", x) }
        if a >= 1 { return String(format: "%.2f", x) }
        return String(format: "%.3f", x)
    }

    func table() -> String {
        let header = ["figure", "unit", "value", "baseline", "added", "ratio", "goal", "met"]
        var rows = [header]
        for f in figures {
            rows.append([f.name, f.unit, Self.fmt(f.value), f.baseline.map { Self.fmt($0) } ?? "",
                         f.baseline == nil ? "" : Self.fmt(f.added),
                         f.baseline == nil ? "" : Self.fmt(f.ratio, digits: 3), f.goalText,
                         f.met.map { $0 ? "yes" : "NO" } ?? ""])
        }
        var widths = Array(repeating: 0, count: header.count)
        for r in rows { for (i, c) in r.enumerated() { widths[i] = max(widths[i], c.count) } }
        var out = ""
        for (n, r) in rows.enumerated() {
            var line = ""
            for (i, c) in r.enumerated() {
                let pad = String(repeating: " ", count: widths[i] - c.count)
                line += (i == 0 ? c + pad : pad + c) + (i < r.count - 1 ? "  " : "")
            }
            out += line + "\n"
            if n == 0 { out += String(repeating: "-", count: line.count) + "\n" }
        }
        var baselines = ""
        for f in figures where f.baselineName != nil {
            baselines += "  \(f.name): baseline = \(f.baselineName!)\n"
        }
        if !baselines.isEmpty { out += "\nbaselines:\n" + baselines }
        if !notes.isEmpty { out += "\nnotes:\n" + notes.map { "  " + $0 }.joined(separator: "\n") + "\n" }
        return out
    }

    func json(meta: JSONObject) -> JSONValue {
        func num(_ x: Double?) -> JSONValue {
            guard let x, x.isFinite else { return .null }
            return .double((x * 1000).rounded() / 1000)
        }
        var o = meta
        o["figures"] = .array(figures.map { f in
            var e: JSONObject = ["name": .string(f.name), "unit": .string(f.unit), "value": num(f.value)]
            if let b = f.baselineName {
                e["baseline"] = ["name": .string(b), "value": num(f.baseline)]
                e["added"] = num(f.added)
                e["ratio"] = num(f.ratio)
            } else {
                e["baseline"] = .null
            }
            if let g = f.goal {
                e["goal"] = ["on": .string(g.subject.rawValue), "op": .string(g.op.rawValue), "limit": num(g.limit)]
                e["met"] = f.met.map { .bool($0) } ?? .null
            }
            if let n = f.note { e["note"] = .string(n) }
            return .object(e)
        })
        o["notes"] = .array(notes.map { .string($0) })
        return .object(o)
    }
}
