import FakeProvider
import Foundation
import LLMJSON

/// Command-line options of `llmrpc-bench`.
struct Options {
    var quick = false
    var rounds: Int? = nil
    var jsonPath: String? = nil
    var binary: String? = nil
    var pin = PinMode.loadPhases
    var maxStreams = 1024
    var sharedDataDir = false

    /// Where the processes run. The load phases (CPU per chunk, saturation, concurrency) give
    /// the gateways core 1 and the bench with its in-process fake core 0, so "one core" means
    /// one core. The latency phases run where the scheduler puts them, as a user's processes
    /// do: pinned apart, every gateway call crosses cores four times while the direct call it
    /// is compared with never does, and on this VM waking an idle core costs ~20 µs a time.
    enum PinMode: String {
        case loadPhases = "load phases"
        case all = "all phases"
        case none = "none"
    }

    static let usage = """
    usage: llmrpc-bench [--quick] [--rounds N] [--json PATH] [--llmrpc PATH] [--pin-all | --no-pin] [--max-streams N]
      --quick         a short run (about a minute)
      --rounds N      rounds of the plain-latency phase (the streamed phase runs N/4)
      --json PATH     also write the figures as JSON to PATH
      --llmrpc PATH   the llmrpc binary (default: next to this executable)
      --pin-all       pin the gateways to core 1 and the bench to core 0 for every phase
                      (default: for the load phases only; latency phases run unpinned)
      --no-pin        pin nothing, in any phase
      --max-streams N the highest concurrency level tried (default 1024)
      --shared-data-dir
                      the stdio and socket servers on one data dir (one database), as two
                      servers a user starts with the default data dir; by default each has its own
    """

    static func parse(_ args: [String]) throws -> Options {
        var o = Options()
        var it = args.makeIterator()
        func value(_ flag: String) throws -> String {
            guard let v = it.next() else { throw BenchError("\(flag) needs a value\n\(usage)") }
            return v
        }
        while let a = it.next() {
            switch a {
            case "--quick": o.quick = true
            case "--rounds": o.rounds = Int(try value(a))
            case "--json": o.jsonPath = try value(a)
            case "--llmrpc": o.binary = try value(a)
            case "--no-pin": o.pin = .none
            case "--pin-all": o.pin = .all
            case "--max-streams": o.maxStreams = Int(try value(a)) ?? 1024
            case "--shared-data-dir": o.sharedDataDir = true
            case "-h", "--help": print(usage); exit(0)
            default: throw BenchError("unknown option \(a)\n\(usage)")
            }
        }
        return o
    }
}

/// The whole benchmark: a fake provider in this process, three `llmrpc serve` processes
/// (stdio with usage logging, socket with usage logging, socket without), and the phases.
final class Bench: @unchecked Sendable {
    let opts: Options
    var report = Report()
    let fake: FakeProviderServer
    let direct: DirectClient
    let setup: GatewaySetup
    let stdioGW: Gateway
    let socketGW: Gateway
    let noLogGW: Gateway
    let stdioConn: RPCConn
    let socketConn: RPCConn
    /// Extra authenticated connections to `socketGW` / `noLogGW` for the load phases.
    var socketPool: [RPCConn] = []
    var noLogPool: [RPCConn] = []
    /// The superuser's token on the socket servers' data dir.
    let token: String
    var idleFreshRSS = 0

    static let chatParams = #"{"model":"bench-model","messages":[{"role":"user","content":"Hello"}],"max_tokens":100}"#
    static let plainMethod = "llm/chat/completions"
    static let streamMethod = "llm/chat/completions/stream"

    static func us(_ ns: UInt64) -> Double { Double(ns) / 1000 }
    static func mb(_ bytes: Int) -> Double { Double(bytes) / 1_048_576 }

    // MARK: Setup

    static func start(_ opts: Options) async throws -> Bench {
        let binary = opts.binary ?? URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
            .deletingLastPathComponent().appendingPathComponent("llmrpc").path
        guard FileManager.default.isExecutableFile(atPath: binary) else {
            throw BenchError("no llmrpc at \(binary): build it (`swift build -c release --product llmrpc`) or pass --llmrpc")
        }
        let fake = try await FakeProviderServer.start(recordRequests: false, threads: 1)
        let dataDir = NSTemporaryDirectory() + "llmrpc-bench-" + UUID().uuidString.prefix(8).lowercased()
        // One data dir per measured server (the socket server without usage logging writes
        // nothing, so it shares the socket server's): a server's figures then hold its own
        // work only. With --shared-data-dir both logging servers use one database, as two
        // `llmrpc` a user starts on the default data dir do, and each pays for the other's
        // commits (a lock held, page caches read again).
        let stdioDir = opts.sharedDataDir ? dataDir : dataDir + "/stdio"
        let socketDir = opts.sharedDataDir ? dataDir : dataDir + "/socket"
        for dir in [stdioDir, socketDir] { try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true) }
        let setup = GatewaySetup(binary: binary, dataDir: dataDir, openAIBaseURL: fake.openAIBaseURL,
                                 pin: opts.pin == .all && Pinning.available)
        note("llmrpc: \(binary); data dir\(opts.sharedDataDir ? " (shared)" : "s under") \(dataDir); fake provider on \(fake.baseURL)")

        // The stdio server first: it creates its data dir's secrets, schema and superuser.
        let stdioGW = try Gateway(setup: setup, label: "stdio", dataDir: stdioDir, socketPath: nil, usageLogging: true)
        let stdioConn = stdioGW.stdio!
        let stdioToken = try await stdioConn.login()
        try await stdioConn.createBenchModel()
        // The socket server before the one without logging, which then finds the data dir made.
        let socketGW = try Gateway(setup: setup, label: "socket", dataDir: socketDir, socketPath: socketDir + "/a.sock",
                                   usageLogging: true)
        try await onThread { Result { try socketGW.waitForLog("listening") } }.get()
        let noLogGW = try Gateway(setup: setup, label: "socket-nolog", dataDir: socketDir, socketPath: socketDir + "/b.sock",
                                  usageLogging: false)
        try await onThread { Result { try noLogGW.waitForLog("listening") } }.get()
        let socketConn: RPCConn
        let token: String
        if opts.sharedDataDir {
            token = stdioToken
            socketConn = try await socketGW.session(token: token)
        } else {
            socketConn = try RPCConn.unix(path: socketGW.socketPath!)
            token = try await socketConn.login()
            _ = try await socketConn.result("session/authenticate", ["access_token": .string(token)])
            try await socketConn.createBenchModel()
        }
        let b = Bench(opts: opts, fake: fake, setup: setup, stdioGW: stdioGW, socketGW: socketGW, noLogGW: noLogGW,
                      stdioConn: stdioConn, socketConn: socketConn, token: token)
        b.idleFreshRSS = socketGW.rss
        for _ in 0..<8 { b.socketPool.append(try await socketGW.session(token: token)) }
        for _ in 0..<4 { b.noLogPool.append(try await noLogGW.session(token: token)) }
        return b
    }

    private init(opts: Options, fake: FakeProviderServer, setup: GatewaySetup, stdioGW: Gateway, socketGW: Gateway,
                 noLogGW: Gateway, stdioConn: RPCConn, socketConn: RPCConn, token: String) {
        self.opts = opts
        self.fake = fake
        self.direct = DirectClient(openAIBaseURL: fake.openAIBaseURL)
        self.setup = setup
        self.stdioGW = stdioGW
        self.socketGW = socketGW
        self.noLogGW = noLogGW
        self.stdioConn = stdioConn
        self.socketConn = socketConn
        self.token = token
    }

    func stop() async {
        stdioGW.stop()
        socketGW.stop()
        noLogGW.stop()
        direct.http.shutdown()
        try? await fake.shutdown()
        try? FileManager.default.removeItem(atPath: setup.dataDir)
    }

    /// Before the load phases (unless `--no-pin`, or already with `--pin-all`): every thread of
    /// the gateways to core 1, every thread of this process (the fake's included) to core 0.
    /// Threads started later inherit their creator's core.
    func pinForLoadPhases() {
        guard opts.pin == .loadPhases, Pinning.available else { return }
        Pinning.pinProcess(getpid(), core: 0)
        for gw in [stdioGW, socketGW, noLogGW] { Pinning.pinProcess(gw.pid, core: 1) }
    }

    // MARK: Phases

    /// Warm-up: connections, caches and code paths of every transport.
    func warmUp() async {
        fake.setDefault(.standard, for: .openai)
        for _ in 0..<(opts.quick ? 50 : 200) {
            _ = await direct.plain()
            _ = await stdioConn.call(Self.plainMethod, paramsJSON: Self.chatParams)
            _ = await socketConn.call(Self.plainMethod, paramsJSON: Self.chatParams)
            _ = await direct.stream()
            _ = await stdioConn.call(Self.streamMethod, paramsJSON: Self.chatParams)
            _ = await socketConn.call(Self.streamMethod, paramsJSON: Self.chatParams)
        }
        let pools = socketPool + noLogPool
        await Loop(method: Self.plainMethod, params: Self.chatParams, limit: 2000).run(pools, perConn: 8)
    }

    /// Plain calls, one at a time, direct / stdio / socket in random order each round.
    func plainLatency() async {
        fake.setDefault(.standard, for: .openai)
        let rounds = opts.rounds ?? (opts.quick ? 400 : 3000)
        note("plain latency: \(rounds) rounds")
        var d: [Double] = [], s: [Double] = [], u: [Double] = []
        var failures = 0
        for _ in 0..<rounds {
            for which in [0, 1, 2].shuffled() {
                switch which {
                case 0:
                    let r = await direct.plain()
                    if r.ok { d.append(Self.us(r.latencyNs)) } else { failures += 1 }
                case 1:
                    let c = await stdioConn.call(Self.plainMethod, paramsJSON: Self.chatParams)
                    if c.ok { s.append(Self.us(c.latencyNs)) } else { failures += 1 }
                default:
                    let c = await socketConn.call(Self.plainMethod, paramsJSON: Self.chatParams)
                    if c.ok { u.append(Self.us(c.latencyNs)) } else { failures += 1 }
                }
            }
        }
        let (dd, ss, uu) = (Sample(d), Sample(s), Sample(u))
        let base = "direct HTTP call to the fake (LLMHTTP)"
        report.add(Figure(name: "plain latency direct p50", unit: "µs", value: dd.p50))
        report.add(Figure(name: "plain latency direct p99", unit: "µs", value: dd.p99))
        for (t, x) in [("stdio", ss), ("socket", uu)] {
            report.add(Figure(name: "plain latency \(t) p50", unit: "µs", value: x.p50, baselineName: base + " p50",
                              baseline: dd.p50, goal: .added(.atMost, 250)))
            report.add(Figure(name: "plain latency \(t) p99", unit: "µs", value: x.p99, baselineName: base + " p99",
                              baseline: dd.p99, goal: .added(.atMost, 1000)))
        }
        // The issue's goal also bounds the ratio: gateway p50 at most 3.5× the direct call's.
        for (t, x) in [("stdio", ss), ("socket", uu)] {
            report.add(Figure(name: "plain latency \(t) p50 (ratio goal)", unit: "µs", value: x.p50,
                              baselineName: base + " p50", baseline: dd.p50, goal: .ratio(.atMost, 3.5)))
        }
        if failures > 0 { report.notes.append("plain latency: \(failures) failed calls") }
    }

    /// Streams of 10 chunks 1 ms apart: time to first chunk, gaps between chunks, duration.
    func streamLatency() async {
        let chunks = 10
        fake.setDefault(.text(chunks: Array(repeating: "tok ", count: chunks), usage: FakeUsage(input: 11, output: chunks),
                              chunkDelayMs: 1), for: .openai)
        let rounds = max(20, (opts.rounds ?? (opts.quick ? 400 : 2000)) / 4)
        note("streamed latency: \(rounds) rounds")
        var ttfc: [[Double]] = [[], [], []], gaps: [[Double]] = [[], [], []], dur: [[Double]] = [[], [], []]
        var bad = [0, 0, 0]
        for _ in 0..<rounds {
            for which in [0, 1, 2].shuffled() {
                if which == 0 {
                    let r = await direct.stream(keepGaps: true)
                    guard r.ok, r.chunks == chunks else { bad[0] += 1; continue }
                    ttfc[0].append(Self.us(r.ttfcNs))
                    gaps[0] += r.gaps.map(Self.us)
                    dur[0].append(Self.us(r.latencyNs))
                } else {
                    let c = await (which == 1 ? stdioConn : socketConn).call(Self.streamMethod, paramsJSON: Self.chatParams,
                                                                             keepGaps: true)
                    guard c.ok, c.chunks == chunks, c.seqInOrder else { bad[which] += 1; continue }
                    ttfc[which].append(Self.us(c.ttfcNs))
                    gaps[which] += (c.gaps ?? []).map(Self.us)
                    dur[which].append(Self.us(c.latencyNs))
                }
            }
        }
        let t = ttfc.map(Sample.init), g = gaps.map(Sample.init), d = dur.map(Sample.init)
        report.add(Figure(name: "TTFC direct p50", unit: "µs", value: t[0].p50))
        report.add(Figure(name: "TTFC direct p99", unit: "µs", value: t[0].p99))
        for (i, name) in [(1, "stdio"), (2, "socket")] {
            report.add(Figure(name: "TTFC \(name) p50", unit: "µs", value: t[i].p50, baselineName: "direct stream TTFC p50",
                              baseline: t[0].p50, goal: .added(.atMost, 300)))
            report.add(Figure(name: "TTFC \(name) p99", unit: "µs", value: t[i].p99, baselineName: "direct stream TTFC p99",
                              baseline: t[0].p99, goal: .added(.atMost, 1000)))
        }
        for (i, name) in [(1, "stdio"), (2, "socket")] {
            report.add(Figure(name: "chunk gap \(name) p50", unit: "µs", value: g[i].p50,
                              baselineName: "direct stream gap p50 (chunks 1 ms apart)", baseline: g[0].p50))
            report.add(Figure(name: "chunk gap \(name) p99", unit: "µs", value: g[i].p99,
                              baselineName: "direct stream gap p99 (chunks 1 ms apart)", baseline: g[0].p99))
            report.add(Figure(name: "stream duration \(name) p50", unit: "µs", value: d[i].p50,
                              baselineName: "direct stream duration p50 (10 chunks 1 ms apart)", baseline: d[0].p50))
        }
        if bad.reduce(0, +) > 0 {
            report.notes.append("streamed latency: incomplete streams direct \(bad[0]), stdio \(bad[1]), socket \(bad[2])")
        }
    }

    /// CPU of the socket gateway per forwarded chunk: streams of 101 chunks against streams of
    /// 1 chunk (same count, same concurrency), so the per-request cost cancels out.
    func cpuPerChunk() async {
        let streams = opts.quick ? 400 : 2000
        let long = 101
        note("CPU per chunk: \(streams) streams of \(long) and of 1 chunk")
        var cpu = [UInt64](repeating: 0, count: 2), delivered = [0, 0], bad = 0
        for round in 0..<2 {
            for (i, k) in [(0, 1), (1, long)].shuffled() {
                fake.setDefault(.text(chunks: Array(repeating: "tok ", count: k), usage: FakeUsage(input: 11, output: k)),
                                for: .openai)
                let before = socketGW.cpuNs
                let loop = Loop(method: Self.streamMethod, params: Self.chatParams, limit: streams / 2, expectChunks: k)
                await loop.run(Array(socketPool.prefix(2)), perConn: 8)
                cpu[i] += socketGW.cpuNs - before
                delivered[i] += loop.chunks
                bad += loop.badStreams + loop.failed
                _ = round
            }
        }
        let perChunk = Double(cpu[1]) - Double(cpu[0])
        let chunks = Double(delivered[1] - delivered[0])
        report.add(Figure(name: "CPU per streamed chunk (marginal)", unit: "µs", value: perChunk / chunks / 1000,
                          goal: .value(.atMost, 15), note: "(CPU of \(long)-chunk streams − CPU of 1-chunk streams) / extra chunks"))
        report.add(Figure(name: "CPU per 1-chunk stream request", unit: "µs", value: Double(cpu[0]) / Double(streams) / 1000))
        report.add(Figure(name: "CPU per chunk, all-in (\(long)-chunk streams)", unit: "µs",
                          value: Double(cpu[1]) / Double(delivered[1]) / 1000))
        if bad > 0 { report.notes.append("CPU phase: \(bad) failed or incomplete streams") }
    }

    /// Requests per second at saturation (gateway on one core): usage logging on vs off,
    /// alternating segments; the direct rate of the fake as a reference.
    func saturation() async {
        fake.setDefault(.standard, for: .openai)
        let rounds = opts.quick ? 2 : 4
        let seconds = opts.quick ? 1.5 : 2.5
        note("saturation: \(rounds) rounds of \(seconds) s per variant")
        var rate: [String: [Double]] = ["on": [], "off": [], "direct": []]
        var cpuPerReq: [String: [Double]] = ["on": [], "off": []]
        var failed = 0
        for _ in 0..<rounds {
            for v in ["on", "off", "direct"].shuffled() {
                if v == "direct" {
                    rate[v]!.append(await directRate(seconds: seconds))
                    continue
                }
                let gw = v == "on" ? socketGW : noLogGW
                let conns = v == "on" ? Array(socketPool.prefix(4)) : Array(noLogPool.prefix(4))
                let before = gw.cpuNs
                let loop = Loop(method: Self.plainMethod, params: Self.chatParams, durationS: seconds)
                await loop.run(conns, perConn: 16)
                let cpu = gw.cpuNs - before
                rate[v]!.append(Double(loop.okInWindow) / seconds)
                cpuPerReq[v]!.append(Double(cpu) / Double(max(1, loop.ok)) / 1000)
                failed += loop.failed
            }
        }
        let on = Sample(rate["on"]!).mean, off = Sample(rate["off"]!).mean, dir = Sample(rate["direct"]!).mean
        report.add(Figure(name: "saturation direct (fake, bench core)", unit: "req/s", value: dir))
        report.add(Figure(name: "saturation, usage logging off", unit: "req/s", value: off, baselineName: "direct req/s", baseline: dir,
                          goal: .value(.atLeast, 5000)))
        report.add(Figure(name: "saturation, usage logging on", unit: "req/s", value: on,
                          baselineName: "saturation with usage logging off", baseline: off, goal: .ratio(.atLeast, 0.95)))
        report.add(Figure(name: "saturation, usage logging on (one core)", unit: "req/s", value: on, goal: .value(.atLeast, 5000)))
        report.add(Figure(name: "CPU per plain request, logging on", unit: "µs", value: Sample(cpuPerReq["on"]!).mean))
        report.add(Figure(name: "CPU per plain request, logging off", unit: "µs", value: Sample(cpuPerReq["off"]!).mean))
        if failed > 0 { report.notes.append("saturation: \(failed) failed requests") }
    }

    /// Plain calls per second straight to the fake with 64 concurrent tasks.
    private func directRate(seconds: Double) async -> Double {
        let deadline = nowNs() + UInt64(seconds * 1e9)
        let direct = self.direct
        let ok = await withTaskGroup(of: Int.self) { group -> Int in
            for _ in 0..<64 {
                group.addTask {
                    var n = 0
                    while nowNs() < deadline {
                        let r = await direct.plain()
                        if r.ok, r.doneNs <= deadline { n += 1 }
                    }
                    return n
                }
            }
            return await group.reduce(0, +)
        }
        return Double(ok) / seconds
    }

    /// The most concurrent streams (25 chunks 20 ms apart) the socket gateway holds with every
    /// chunk delivered and p99 duration within 5 % of the same number of direct streams; the
    /// gateway's peak resident memory at 512 streams. Each level runs two rounds, direct and
    /// gateway in random order in each, and compares the p99 of both rounds' streams (a p99 of
    /// one round of 64 streams was its slowest stream: one scheduling hiccup failed a level).
    /// Also the gateway's CPU per delivered chunk at each level (its CPU over its rounds, all-in:
    /// admission, relay and records), which shows what a chunk costs as streams pile up.
    func concurrency() async {
        let chunks = 25
        fake.setDefault(.text(chunks: Array(repeating: "tok ", count: chunks), usage: FakeUsage(input: 11, output: chunks),
                              chunkDelayMs: 20), for: .openai)
        var levels = opts.quick ? [64, 256, 512] : [64, 128, 256, 512, 1024]
        levels = levels.filter { $0 <= opts.maxStreams }
        var held = 0
        var broken = false
        var heldRatios: (p50: Double, p99: Double)? = nil
        var rss512: Int? = nil
        var cpuPerChunk: [Int: Double] = [:]
        let budget = nowNs() + UInt64((opts.quick ? 20 : 60) * 1e9)
        for n in levels {
            if nowNs() > budget { report.notes.append("concurrency: stopped before \(n) streams (time budget)"); break }
            var directRounds: [[Double]] = [], gwDurations: [Double] = []
            var lost = 0, failedStreams = 0, directBad = 0
            var cpuNs: UInt64 = 0, delivered = 0
            for which in [0, 1].shuffled() + [0, 1].shuffled() {
                if which == 0 {
                    let (durations, bad) = await directStreams(n, chunks: chunks)
                    directRounds.append(durations)
                    directBad += bad
                } else {
                    let conns = Array(socketPool.prefix(max(1, min(socketPool.count, n / 64))))
                    let perConn = n / conns.count
                    let sampler = RSSSampler(pid: socketGW.pid)
                    let cpuBefore = socketGW.cpuNs
                    let loop = Loop(method: Self.streamMethod, params: Self.chatParams, limit: perConn * conns.count,
                                    expectChunks: chunks, keepDurations: true)
                    await loop.run(conns, perConn: perConn)
                    cpuNs += socketGW.cpuNs - cpuBefore
                    delivered += loop.chunks
                    let peak = await sampler.stop()
                    if n == 512 { rss512 = max(rss512 ?? 0, peak) }
                    gwDurations += loop.durations
                    lost += n * chunks - loop.chunks
                    failedStreams += loop.failed + loop.badStreams
                }
            }
            let gw = Sample(gwDurations), dir = Sample(directRounds.flatMap { $0 })
            // Judged on the p99 stream, which includes its admission: n requests sent at once are
            // admitted one after the other, so the last one's stream starts later than direct.
            // The median and how far one direct round's p99 is from the other's are shown too.
            let ratio = gw.p99 / dir.p99, median = gw.p50 / dir.p50
            let roundP99s = directRounds.map { Sample($0).p99 }
            let directSpread = (roundP99s.max() ?? 0) / max(1, roundP99s.min() ?? 1) - 1
            let ok = lost == 0 && failedStreams == 0 && directBad == 0 && ratio <= 1.05
            cpuPerChunk[n] = Double(cpuNs) / Double(max(1, delivered)) / 1000
            let line = "p50 duration \(Report.fmt(gw.p50 / 1000)) ms vs direct \(Report.fmt(dir.p50 / 1000)) ms, "
                + "p99 \(Report.fmt(gw.p99 / 1000)) vs \(Report.fmt(dir.p99 / 1000)) ms, lost chunks \(lost), "
                + "failed streams \(failedStreams), direct failures \(directBad), "
                + "direct p99 round to round \(Report.fmt(directSpread * 100)) %, "
                + "gateway CPU per chunk \(Report.fmt(cpuPerChunk[n]!)) µs"
            note("  \(n) streams: \(line) → \(ok ? "held" : "not held")")
            report.notes.append("concurrency \(n): \(line)")
            // Held = the highest level with every level up to it held; later levels still run
            // (within the time budget) so the table shows where it breaks, and the 512 memory.
            if ok && !broken { held = n; heldRatios = (median, ratio) }
            if !ok { broken = true }
        }
        report.add(Figure(name: "concurrent streams held (20 ms chunks)", unit: "streams", value: Double(held),
                          goal: .value(.atLeast, 512)))
        if let heldRatios {
            report.add(Figure(name: "stream duration p99 at \(held) streams / direct", unit: "ratio", value: heldRatios.p99,
                              goal: .value(.atMost, 1.05)))
            report.add(Figure(name: "stream duration p50 at \(held) streams / direct", unit: "ratio", value: heldRatios.p50))
        }
        report.add(Figure(name: "RSS with 512 open streams (peak)", unit: "MB", value: rss512.map(Self.mb),
                          goal: .value(.atMost, 80)))
        for n in [64, 512, 1024] {
            guard let perChunk = cpuPerChunk[n] else { continue }
            report.add(Figure(name: "CPU per chunk, all-in, \(n) streams (20 ms chunks)", unit: "µs", value: perChunk))
        }
    }

    /// `n` direct streams at once; their durations (µs) and how many were incomplete.
    private func directStreams(_ n: Int, chunks: Int) async -> ([Double], Int) {
        let direct = self.direct
        let results = await withTaskGroup(of: DirectClient.Result.self) { group -> [DirectClient.Result] in
            for _ in 0..<n { group.addTask { await direct.stream() } }
            return await group.reduce(into: []) { $0.append($1) }
        }
        let bad = results.filter { !$0.ok || $0.chunks != chunks }.count
        return (results.map { Self.us($0.latencyNs) }, bad)
    }

    /// Memory of the socket gateway: idle (fresh and after warm-up) and after the load.
    func idleMemory(warm: Int) {
        report.add(Figure(name: "RSS idle, fresh", unit: "MB", value: Self.mb(idleFreshRSS), goal: .value(.atMost, 30)))
        report.add(Figure(name: "RSS idle, after warm-up", unit: "MB", value: Self.mb(warm), goal: .value(.atMost, 30)))
        if let (pss, uss) = ProcStats.pssAndUss(pid: socketGW.pid) {
            report.add(Figure(name: "PSS idle, after warm-up", unit: "MB", value: Self.mb(pss)))
            report.add(Figure(name: "USS idle (private pages), after warm-up", unit: "MB", value: Self.mb(uss)))
        }
    }

    func afterLoadMemory(warm: Int) async {
        // Idle upstream connections and freed buffers settle.
        try? await Task.sleep(nanoseconds: 2_000_000_000)
        let after = socketGW.rss
        report.add(Figure(name: "RSS after the load (2 s later)", unit: "MB", value: Self.mb(after),
                          baselineName: "RSS idle after warm-up", baseline: Self.mb(warm), goal: .ratio(.atMost, 1.25)))
    }

    /// Spawn of `llmrpc serve` on stdio to its first `server/health` answer: on a fresh data
    /// dir (secrets, schema, catalogue, superuser created) and a warm restart on an existing one.
    func coldStart() async throws {
        let n = opts.quick ? 3 : 10
        note("cold start: \(n) first starts and \(n) restarts")
        var fresh: [Double] = [], warm: [Double] = []
        let warmDir = NSTemporaryDirectory() + "llmrpc-bench-warm-" + UUID().uuidString.prefix(8).lowercased()
        try FileManager.default.createDirectory(atPath: warmDir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: warmDir) }
        _ = try await timeToHealth(dataDir: warmDir)
        for _ in 0..<n {
            let dir = NSTemporaryDirectory() + "llmrpc-bench-cold-" + UUID().uuidString.prefix(8).lowercased()
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
            fresh.append(try await timeToHealth(dataDir: dir))
            try? FileManager.default.removeItem(atPath: dir)
            warm.append(try await timeToHealth(dataDir: warmDir))
        }
        report.add(Figure(name: "cold start, existing data dir (p50)", unit: "ms", value: Sample(warm).p50,
                          goal: .value(.atMost, 50)))
        report.add(Figure(name: "cold start, existing data dir (max)", unit: "ms", value: Sample(warm).percentile(100)))
        report.add(Figure(name: "first start, new data dir (p50)", unit: "ms", value: Sample(fresh).p50,
                          note: "includes secret generation, migrations, catalogue seed and the superuser's argon2id hash"))
    }

    /// Milliseconds from spawning `llmrpc serve` (stdio) to its `server/health` response.
    private func timeToHealth(dataDir: String) async throws -> Double {
        let setup = self.setup
        let r: Result<Double, Error> = await onThread {
            Result {
                let p = Process()
                p.executableURL = URL(fileURLWithPath: setup.binary)
                p.arguments = ["serve"]
                p.environment = setup.environment(usageLogging: true, dataDir: dataDir)
                p.currentDirectoryURL = URL(fileURLWithPath: dataDir)
                let inp = Pipe(), out = Pipe()
                p.standardInput = inp
                p.standardOutput = out
                p.standardError = FileHandle.nullDevice
                // The request waits in the pipe; the server reads it as soon as it can.
                inp.fileHandleForWriting.write(Data("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"server/health\"}\n".utf8))
                let t0 = nowNs()
                try p.run()
                let fd = out.fileHandleForReading.fileDescriptor
                var line: [UInt8] = []
                var byte: UInt8 = 0
                while read(fd, &byte, 1) == 1, byte != 0x0A { line.append(byte) }
                let t1 = nowNs()
                try? inp.fileHandleForWriting.close()
                p.waitUntilExit()
                guard let v = try? JSONParser.parse(line), v["result"]?["status"]?.stringValue == "ok" else {
                    throw BenchError("cold start: unexpected answer \(String(decoding: line, as: UTF8.self))")
                }
                return Double(t1 - t0) / 1e6
            }
        }
        return try r.get()
    }
}

/// Samples a process's resident memory every 20 ms until stopped; returns the peak.
final class RSSSampler: @unchecked Sendable {
    private let lock = NSLock()
    private var stopped = false
    private var task: Task<Int, Never>?

    init(pid: Int32) {
        task = Task.detached { [self] in
            var peak = 0
            while !isStopped {
                peak = max(peak, ProcStats.rssBytes(pid: pid) ?? 0)
                try? await Task.sleep(nanoseconds: 20_000_000)
            }
            return max(peak, ProcStats.rssBytes(pid: pid) ?? 0)
        }
    }

    private var isStopped: Bool { lock.withLock { stopped } }

    func stop() async -> Int {
        lock.withLock { stopped = true }
        return await task!.value
    }
}
