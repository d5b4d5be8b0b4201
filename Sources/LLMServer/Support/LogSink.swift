import Threading
#if canImport(Glibc)
import Glibc
#endif

/// Where log lines go (stderr), without ever blocking the thread that logs.
///
/// A client that starts `llmrpc` with stderr on a pipe it never reads (a common way to spawn a
/// helper) fills the pipe after ~64 KB of log lines; a blocking `write(2)` then stops the
/// thread that logged, and chats log from the one thread that serves them all. So a line is
/// written at once only when nothing is queued and the descriptor has room for it now (a
/// pipe with room takes a line of up to `PIPE_BUF` bytes whole); otherwise it is queued for a
/// writer thread, started on first need. At most `maxQueued` bytes wait: past that, lines are
/// dropped and counted, and one line saying how many follows once the reader catches up.
public final class LogSink: @unchecked Sendable {
    /// The process's standard error.
    public static let standardError = LogSink(fd: 2)

    private let fd: Int32
    private let maxQueued: Int
    private let cond = PosixCondition()
    // locked
    private var queue: [UInt8] = []
    private var writing = false
    private var dropped = 0
    private var failed = false
    private var threadStarted = false
    private var immediate: ImmediateWrite

    public init(fd: Int32, maxQueued: Int = 1 << 20) {
        self.fd = fd
        self.maxQueued = maxQueued
        immediate = ImmediateWrite(fd: fd)
    }

    /// Writes `line` (which ends with a newline) now if it can without waiting, else queues it.
    public func write(_ line: [UInt8]) {
        cond.lock()
        defer { cond.unlock() }
        if failed { return }
        if queue.isEmpty && !writing {
            let n = immediate.attempt(line) ?? 0
            if n == line.count { return }
            if n < 0 && errno != EAGAIN && errno != EINTR && errno != EWOULDBLOCK {
                // Closed or broken for good (nothing more is written), or failing for now (a
                // full disk): this line is lost, later ones are tried.
                if Self.isPermanent(errno) { failed = true }
                return
            }
            // Not at all, or in part: the rest waits, in order.
            queue.append(contentsOf: n > 0 ? line[n...] : line[...])
        } else if queue.count + line.count > maxQueued {
            dropped += 1
            return
        } else {
            queue.append(contentsOf: line)
        }
        if !threadStarted {
            threadStarted = true
            Threads.start(name: "llmrpc-log") { [self] in self.run() }
        }
        cond.signal()
    }

    /// Waits until every queued line is written, for at most `seconds` (a reader that never
    /// reads must not hold up an exit). True when everything was written.
    @discardableResult
    public func flush(seconds: Double = 1) -> Bool {
        cond.lock()
        defer { cond.unlock() }
        var waited = false
        // A count of dropped lines is pending too: its note is written after them.
        while (!queue.isEmpty || writing || dropped > 0) && !failed {
            if waited { return false }
            waited = !cond.wait(seconds: seconds)
        }
        return true
    }

    /// The writer thread: writes what is queued (blocking here is fine), then says how many
    /// lines were dropped meanwhile, if any.
    private func run() {
        while true {
            cond.lock()
            while queue.isEmpty && dropped == 0 { cond.wait() }
            var batch: [UInt8] = []
            swap(&batch, &queue)
            let lost = dropped
            dropped = 0
            writing = true
            cond.unlock()

            if lost > 0 {
                var note = [UInt8]()
                StderrLogHandler.appendTimestamp(&note)
                note.append(contentsOf: " warning llmrpc: log lines dropped count=\(lost) (stderr was not read)\n".utf8)
                batch.append(contentsOf: note)
            }
            let error = Self.writeAll(fd, batch)

            cond.lock()
            writing = false
            if error != 0 && Self.isPermanent(error) {
                failed = true
                queue = []
            }
            cond.broadcast()
            cond.unlock()
        }
    }

    /// Writes all of `bytes`, waiting as long as it takes; 0, or the `errno` that stopped it
    /// (the rest of the batch is then lost).
    private static func writeAll(_ fd: Int32, _ bytes: [UInt8]) -> Int32 {
        bytes.withUnsafeBytes { raw in
            var off = 0
            while off < raw.count {
                let n = Glibc.write(fd, raw.baseAddress! + off, raw.count - off)
                if n > 0 {
                    off += n
                } else if n < 0 && (errno == EINTR || errno == EAGAIN) {
                    if errno == EAGAIN {  // a descriptor someone made non-blocking: wait for room
                        var p = pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)
                        _ = poll(&p, 1, -1)
                    }
                } else {
                    return n < 0 ? errno : EIO
                }
            }
            return 0
        }
    }

    /// Errors after which stderr will never take a line again (closed, or its reader gone).
    private static func isPermanent(_ error: Int32) -> Bool {
        error == EBADF || error == EPIPE || error == EINVAL
    }
}
