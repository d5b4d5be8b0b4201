import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Monotonic time in nanoseconds (CLOCK_MONOTONIC, read through the vDSO: tens of ns).
@inline(__always)
func nowNs() -> UInt64 {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
}

/// Writes a progress line to stderr (stdout carries the table only).
func note(_ s: String) {
    FileHandle.standardError.write(Data(("bench: " + s + "\n").utf8))
}

/// Percentiles of a sample, nearest-rank.
struct Sample {
    private(set) var values: [Double]

    init(_ values: [Double]) { self.values = values.sorted() }

    var count: Int { values.count }

    func percentile(_ p: Double) -> Double {
        guard !values.isEmpty else { return .nan }
        let rank = Int((p / 100 * Double(values.count)).rounded(.up))
        return values[min(max(rank, 1), values.count) - 1]
    }

    var p50: Double { percentile(50) }
    var p99: Double { percentile(99) }
    var mean: Double { values.isEmpty ? .nan : values.reduce(0, +) / Double(values.count) }
}

/// Reads `/proc` figures of a process.
enum ProcStats {
    /// Resident memory in bytes (`VmRSS` of /proc/PID/status).
    static func rssBytes(pid: Int32) -> Int? {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) else { return nil }
        for line in text.split(separator: "\n") where line.hasPrefix("VmRSS:") {
            let parts = line.split(separator: " ", omittingEmptySubsequences: true)
            if parts.count >= 2, let kb = Int(parts[1]) { return kb * 1024 }
        }
        return nil
    }

    /// Proportional and unique set sizes in bytes (`Pss`, `Private_Clean + Private_Dirty` of
    /// /proc/PID/smaps_rollup): RSS counts every shared library page the process touched, in
    /// full, though other processes share them and the kernel can drop them at will.
    static func pssAndUss(pid: Int32) -> (pss: Int, uss: Int)? {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/smaps_rollup", encoding: .utf8) else { return nil }
        var kb: [String: Int] = [:]
        for line in text.split(separator: "\n") {
            let parts = line.split(separator: " ", omittingEmptySubsequences: true)
            if parts.count >= 2, parts[0].hasSuffix(":"), let v = Int(parts[1]) { kb[String(parts[0].dropLast())] = v }
        }
        guard let pss = kb["Pss"], let clean = kb["Private_Clean"], let dirty = kb["Private_Dirty"] else { return nil }
        return (pss * 1024, (clean + dirty) * 1024)
    }

    /// User + system CPU time of the whole process in nanoseconds: its CPU clock, else fields
    /// 14 and 15 of /proc/PID/stat (in clock ticks).
    static func cpuNs(pid: Int32) -> UInt64? {
        // The process's CPU clock, in ns (all its threads, those that ended included); /proc's
        // utime and stime come in clock ticks (10 ms), too coarse for a phase's few hundred ms.
        var clock = clockid_t()
        if clock_getcpuclockid(pid, &clock) == 0 {
            var ts = timespec()
            if clock_gettime(clock, &ts) == 0 { return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec) }
        }
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = text.lastIndex(of: ")") else { return nil }
        // Fields after the command name, starting with field 3 (state).
        let fields = text[text.index(after: close)...].split(separator: " ")
        guard fields.count > 13, let utime = UInt64(fields[11]), let stime = UInt64(fields[12]) else { return nil }
        let hz = UInt64(sysconf(Int32(_SC_CLK_TCK)))
        return (utime + stime) * 1_000_000_000 / hz
    }
}

/// CPU pinning (see `Options.PinMode`): the gateways on core 1, the bench and its in-process
/// fake on core 0, so "one core" figures mean one core.
enum Pinning {
    static let taskset = "/usr/bin/taskset"

    /// Pins thread `tid` (0: the calling thread) to `core`; threads it creates later inherit it.
    /// (`sched_setaffinity` is not in Swift's Glibc module: it is looked up with dlsym.)
    static func pin(tid: pid_t, core: Int) {
        typealias SetAffinity = @convention(c) (pid_t, Int, UnsafeRawPointer) -> Int32
        guard let sym = dlsym(dlopen(nil, RTLD_NOW), "sched_setaffinity") else { return }
        let setAffinity = unsafeBitCast(sym, to: SetAffinity.self)
        var mask = [UInt64](repeating: 0, count: 16)  // a 1024-bit cpu_set_t
        mask[core / 64] |= 1 << UInt64(core % 64)
        _ = mask.withUnsafeBytes { setAffinity(tid, $0.count, $0.baseAddress!) }
    }

    /// Pins the calling thread, and so every thread created after it, to `core`.
    static func pinSelf(core: Int) { pin(tid: 0, core: core) }

    /// Pins every thread of process `pid` to `core`. Twice over the thread list, so a thread
    /// started by a thread not yet pinned is caught too.
    static func pinProcess(_ pid: pid_t, core: Int) {
        for _ in 0..<2 {
            let tids = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/task")) ?? []
            for tid in tids.compactMap({ pid_t($0) }) { pin(tid: tid, core: core) }
        }
    }

    static var available: Bool {
        FileManager.default.isExecutableFile(atPath: taskset) && sysconf(Int32(_SC_NPROCESSORS_ONLN)) >= 2
    }
}

/// Raises the open-file limit to its hard maximum (1024 streams need 2,000+ descriptors);
/// child processes inherit it.
func raiseFileLimit() {
    var lim = rlimit()
    if getrlimit(Int32(RLIMIT_NOFILE.rawValue), &lim) == 0 {
        lim.rlim_cur = lim.rlim_max
        _ = setrlimit(Int32(RLIMIT_NOFILE.rawValue), &lim)
    }
}

/// Reads a decimal integer at `i` in `bytes`, advancing `i`.
@inline(__always)
func scanInt(_ bytes: UnsafeBufferPointer<UInt8>, _ i: inout Int) -> Int? {
    var n = 0
    var any = false
    while i < bytes.count, bytes[i] >= 0x30, bytes[i] <= 0x39 {
        n = n * 10 + Int(bytes[i] - 0x30)
        i += 1
        any = true
    }
    return any ? n : nil
}

/// The index just after the first occurrence of `needle` in `hay[from...]`, if any.
@inline(__always)
func find(_ needle: [UInt8], in hay: UnsafeBufferPointer<UInt8>, from: Int = 0) -> Int? {
    guard needle.count <= hay.count else { return nil }
    let first = needle[0]
    var i = from
    let last = hay.count - needle.count
    outer: while i <= last {
        if hay[i] == first {
            for j in 1..<needle.count where hay[i + j] != needle[j] {
                i += 1
                continue outer
            }
            return i + needle.count
        }
        i += 1
    }
    return nil
}

/// Runs a closure on a fresh thread and awaits its result (for blocking work off the cooperative pool).
func onThread<T>(_ body: @escaping () -> T) async -> T {
    await withCheckedContinuation { (c: CheckedContinuation<T, Never>) in
        let t = Thread { c.resume(returning: body()) }
        t.stackSize = 1 << 20
        t.start()
    }
}
