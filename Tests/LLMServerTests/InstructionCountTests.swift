import FakeProvider
import Foundation
import LLMJSON
import LLMTestSupport
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// A regression guard that does not depend on wall time: the debug `llmrpc` runs under
/// valgrind's callgrind while a session sends fixed batches of requests; callgrind dumps its
/// instruction counts (all threads) between batches, so each batch is counted on its own:
/// instructions per `server/health`, per `llmModels/list`, per streamed request (a 1-chunk
/// stream) and per streamed chunk (41-chunk streams minus 1-chunk streams, per extra chunk).
/// Each must stay within the committed baseline (`bench/instruction-baseline.json`) × its
/// margin. `LLMRPC_UPDATE_INSTRUCTION_BASELINE=1` (or `scripts/bench --update-baseline`)
/// rewrites the baseline with the counts measured instead.
///
/// Valgrind 3.19 (Debian 12) cannot read the DWARF 5 of Swift 6 binaries, and it crashes on
/// `sigsuspend` with a read-only mask (libdispatch's `dispatch_main`, under every async main):
/// the test runs a copy of the binary without debug info (symbols kept) and preloads a
/// two-line shim that copies the mask to the stack.
@Suite(.timeLimit(.minutes(6)), .serialized,
       .enabled(if: InstructionCount.toolsMissing.isEmpty,
                "instruction counts need \(InstructionCount.toolsMissing.joined(separator: ", ")) on PATH"))
struct InstructionCountTests {
    @Test func instructionsPerRequestAndPerChunkStayWithinTheBaseline() async throws {
        let measured = try await InstructionCount.measure()
        for (name, value) in measured.sorted(by: { $0.key < $1.key }) {
            print("instructions per \(name): \(Int(value))")
        }
        let baselineURL = ServerProcess.packageRoot.appendingPathComponent("bench/instruction-baseline.json")
        if ProcessInfo.processInfo.environment["LLMRPC_UPDATE_INSTRUCTION_BASELINE"] == "1" {
            try InstructionCount.writeBaseline(measured, to: baselineURL)
            return
        }
        let baseline = try JSONParser.parse(Array(try Data(contentsOf: baselineURL)))
        let margin = baseline["margin"]?.doubleValue ?? 1.25
        for (name, value) in measured.sorted(by: { $0.key < $1.key }) {
            let base = try #require(baseline["instructions"]?[name]?.doubleValue, "no baseline for \(name)")
            let limit = base * margin
            #expect(value <= limit,
                    "\(name): \(Int(value)) instructions, over the baseline \(Int(base)) × \(margin) = \(Int(limit)); profile it (scripts/bench) or, if the cost is deliberate, run scripts/bench --update-baseline")
        }
    }
}

enum InstructionCount {
    static let healthRequests = 60
    static let listRequests = 10
    static let streams = 10
    static let longChunks = 41

    static func which(_ tool: String) -> String? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        for dir in path.split(separator: ":") {
            let p = "\(dir)/\(tool)"
            if FileManager.default.isExecutableFile(atPath: p) { return p }
        }
        return nil
    }

    static var toolsMissing: [String] {
        ["valgrind", "callgrind_control", "cc", "strip"].filter { which($0) == nil }
    }

    /// Runs a command to completion; throws with its output when it fails.
    static func run(_ tool: String, _ args: [String]) throws {
        let out = try ChildProcess.pipe()
        let p = try ChildProcess(executable: which(tool) ?? tool, arguments: args, environment: ProcessInfo.processInfo.environment,
                                 stdout: .fd(out.write), stderr: .fd(out.write))
        let text = String(decoding: FileHandle(fileDescriptor: out.read, closeOnDealloc: true).readDataToEndOfFile(), as: UTF8.self)
        let status = p.waitUntilExit()
        guard status == 0 else {
            throw ToolFailure(description: "\(tool) \(args.joined(separator: " ")) failed: \(text)")
        }
    }

    /// The `totals:` line of a callgrind output file.
    static func totals(_ path: String) throws -> Double {
        let text = try String(contentsOfFile: path, encoding: .utf8)
        for line in text.split(separator: "\n") where line.hasPrefix("totals:") || line.hasPrefix("summary:") {
            if let n = Double(line.split(separator: " ").last ?? "") { return n }
        }
        throw ToolFailure(description: "no totals in \(path)")
    }

    /// Instructions per request kind and per streamed chunk.
    static func measure() async throws -> [String: Double] {
        let work = NSTemporaryDirectory() + "llmrpc-icount-" + UUID().uuidString.prefix(8).lowercased()
        try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: work) }

        let fake = try await FakeProviderServer.start(recordRequests: false)
        defer { Task { try? await fake.shutdown() } }
        let upstream = ["OPENAI_BASE_URL": fake.openAIBaseURL, "OPENAI_API_KEY": "sk-icount-system-key",
                        "LLMRPC_RATE_LIMIT_RPM": "0"]

        // Natively: the data dir, the superuser, a model and a token (argon2id under valgrind
        // would take most of the time budget).
        let setup = try ServerProcess(env: upstream)
        let token = try await setup.loginAdmin()
        _ = try await setup.rpc.result("admin/llmModels/create", [
            "provider": "openai", "model_name": "count-model", "input_price_per_million": 1,
            "output_price_per_million": 2,
        ])
        setup.closeInput()
        #expect(await setup.waitForExit() == 0)

        // The binary without debug info, and the sigsuspend shim.
        let binary = work + "/llmrpc"
        try run("strip", ["--strip-debug", "-o", binary, ServerProcess.binary])
        let shimSource = work + "/sigsuspend-shim.c", shim = work + "/sigsuspend-shim.so"
        try """
        #include <signal.h>
        #include <sys/syscall.h>
        #include <unistd.h>
        int sigsuspend(const sigset_t *mask) { sigset_t copy = *mask; return (int)syscall(SYS_rt_sigsuspend, &copy, 8); }
        """.write(toFile: shimSource, atomically: true, encoding: .utf8)
        try run("cc", ["-shared", "-fPIC", "-O2", "-o", shim, shimSource])

        let out = work + "/callgrind.out"
        var env = upstream
        env["LD_PRELOAD"] = shim
        env["LLMRPC_ACCESS_TOKEN"] = token
        let inp = try ChildProcess.pipe(), stdout = try ChildProcess.pipe(), stderr = try ChildProcess.pipe()
        let logs = LineClient(readFD: stderr.read, writeFD: -1)
        let rpc = LineClient(readFD: stdout.read, writeFD: inp.write)
        let p = try ChildProcess(executable: which("valgrind")!, arguments: ["--tool=callgrind", "--callgrind-out-file=\(out)", binary, "serve"],
                                 environment: ServerProcess.environment(dataDir: setup.dataDir, extra: env), directory: setup.dataDir,
                                 stdin: .fd(inp.read), stdout: .fd(stdout.write), stderr: .fd(stderr.write))
        defer { p.terminate() }

        let chat: JSONValue = ["model": "count-model", "messages": [["role": "user", "content": "Hello"]], "max_tokens": 100]
        let shortStream = FakeScenario.text(chunks: ["tok "], usage: FakeUsage(input: 11, output: 1))
        let longStream = FakeScenario.text(chunks: Array(repeating: "tok ", count: longChunks),
                                           usage: FakeUsage(input: 11, output: longChunks))
        func streamBatch(_ n: Int, chunks: Int) async throws {
            for _ in 0..<n {
                let r = try await rpc.call("llm/chat/completions/stream", chat)
                #expect(r["result"]?["finish_reason"] == "stop", "stream failed: \(r)")
                #expect(rpc.notifications(requestID: r["id"]!).count == chunks)
            }
            // Chat records are committed after their answers: users/me waits for them, so each
            // batch counts all of its own work and none of the next one's.
            _ = try await rpc.result("users/me")
        }

        // Start-up and warm-up: every path once or twice, so later batches count steady state.
        _ = try await rpc.result("server/health")
        for _ in 0..<3 {
            _ = try await rpc.result("server/health")
            _ = try await rpc.result("llmModels/list")
        }
        fake.setDefault(shortStream, for: .openai)
        try await streamBatch(2, chunks: 1)
        fake.setDefault(longStream, for: .openai)
        try await streamBatch(2, chunks: longChunks)

        var dumps = 0
        func dump() throws -> Double {
            try run("callgrind_control", ["--dump", String(p.processIdentifier)])
            dumps += 1
            return try totals("\(out).\(dumps)")
        }
        _ = try dump()
        for _ in 0..<healthRequests { _ = try await rpc.result("server/health") }
        let health = try dump()
        for _ in 0..<listRequests { _ = try await rpc.result("llmModels/list") }
        let list = try dump()
        fake.setDefault(shortStream, for: .openai)
        try await streamBatch(streams, chunks: 1)
        let short = try dump()
        fake.setDefault(longStream, for: .openai)
        try await streamBatch(streams, chunks: longChunks)
        let long = try dump()

        _ = close(inp.write)
        #expect(await p.waitForExit() == 0, "valgrind: \(logs.lines.suffix(20).joined(separator: "\n"))")

        return [
            "server_health_request": health / Double(healthRequests),
            "llmModels_list_request": list / Double(listRequests),
            "stream_request_1_chunk": short / Double(streams),
            "stream_chunk": (long - short) / Double(streams * (longChunks - 1)),
        ]
    }

    /// Rewrites the baseline file with `measured`, with its explanation.
    static func writeBaseline(_ measured: [String: Double], to url: URL) throws {
        let about = [
            "Instructions executed by the DEBUG llmrpc binary (swift build), all threads, counted by valgrind --tool=callgrind.",
            "Tests/LLMServerTests/InstructionCountTests.swift measures them in one valgrind session on stdio: callgrind dumps",
            "its counters between fixed batches (\(healthRequests) server/health, \(listRequests) llmModels/list, \(streams) 1-chunk streams,",
            "\(streams) \(longChunks)-chunk streams from the in-process fake provider; each stream batch ends with users/me, which",
            "waits for the batch's deferred records), so start-up and warm-up are not counted.",
            "stream_chunk = (instructions of the long streams - those of the 1-chunk streams) / the extra chunks.",
            "The test fails when a figure exceeds its baseline x margin. Counts change with the compiler and the build",
            "configuration: after a deliberate change, run scripts/bench --update-baseline and commit this file.",
        ]
        var text = "{\n  \"about\": [\n"
        text += about.map { "    " + JSONWriter.string(.string($0)) }.joined(separator: ",\n")
        text += "\n  ],\n  \"margin\": 1.25,\n  \"instructions\": {\n"
        text += measured.sorted(by: { $0.key < $1.key })
            .map { "    \"\($0.key)\": \(Int($0.value.rounded()))" }.joined(separator: ",\n")
        text += "\n  }\n}\n"
        try text.write(to: url, atomically: true, encoding: .utf8)
    }
}

struct ToolFailure: Error, CustomStringConvertible {
    let description: String
}
