// `llmrpc-bench`: the gateway's overhead against direct calls to a fast fake provider, in one
// run. Prints a table on stdout (progress on stderr) and, with --json, the same figures as JSON,
// each with the baseline it is compared to. See `scripts/bench`.
import Foundation
import LLMJSON

let options: Options
do {
    options = try Options.parse(Array(CommandLine.arguments.dropFirst()))
} catch {
    FileHandle.standardError.write(Data("\(error)\n".utf8))
    exit(2)
}

// With --pin-all, before any other thread exists, so all of them inherit core 0; the gateways
// run on core 1 (taskset). By default this happens before the load phases (`pinForLoadPhases`).
if options.pin == .all && Pinning.available { Pinning.pinSelf(core: 0) }
raiseFileLimit()
signal(SIGPIPE, SIG_IGN)

let startedAt = Date()
do {
    let bench = try await Bench.start(options)
    do {
        note("warm-up")
        await bench.warmUp()
        let warmRSS = bench.socketGW.rss
        bench.idleMemory(warm: warmRSS)
        try await bench.coldStart()
        await bench.plainLatency()
        await bench.streamLatency()
        bench.pinForLoadPhases()
        await bench.cpuPerChunk()
        await bench.saturation()
        note("concurrency")
        await bench.concurrency()
        await bench.afterLoadMemory(warm: warmRSS)
    } catch {
        await bench.stop()
        throw error
    }
    await bench.stop()

    var report = bench.report
    let elapsed = Date().timeIntervalSince(startedAt)
    let pinned = options.pin != .none && Pinning.available
    switch (options.pin, pinned) {
    case (.loadPhases, true):
        report.notes.append("memory, cold start and latency phases unpinned; CPU, saturation and concurrency phases: "
                            + "llmrpc pinned to core 1, bench and fake provider to core 0")
    case (.all, true): report.notes.append("llmrpc pinned to core 1 (taskset), bench and fake provider to core 0, every phase")
    default: report.notes.append("no CPU pinning")
    }
    report.notes.append(options.sharedDataDir ? "stdio and socket servers on one data dir (--shared-data-dir)"
                                              : "stdio and socket servers each on a data dir of its own")
    report.notes.append(String(format: "run took %.0f s (%@)", elapsed, options.quick ? "--quick" : "full"))
    print(report.table(), terminator: "")
    if let path = options.jsonPath {
        let meta: JSONObject = [
            "tool": "llmrpc-bench",
            "date": .string(ISO8601DateFormatter().string(from: startedAt)),
            "quick": .bool(options.quick),
            "cpus": .int(ProcessInfo.processInfo.activeProcessorCount),
            "pinned": .bool(pinned),
            "pinned_phases": .string(pinned ? options.pin.rawValue : "none"),
            "shared_data_dir": .bool(options.sharedDataDir),
            "duration_s": .int(Int(elapsed)),
        ]
        var bytes = JSONWriter.bytes(report.json(meta: meta))
        bytes.append(0x0A)
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        note("wrote \(path)")
    }
    let unmet = report.figures.filter { $0.met == false }.map(\.name)
    note(unmet.isEmpty ? "every goal met" : "goals not met: " + unmet.joined(separator: ", "))
} catch {
    FileHandle.standardError.write(Data("llmrpc-bench: \(error)\n".utf8))
    exit(1)
}
