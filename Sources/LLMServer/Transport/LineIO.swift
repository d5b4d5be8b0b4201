import Threading
import CLinux
import JSONRPC
import LLMHTTP
import Logging
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// Writes protocol lines to a file descriptor (stdout, or a socket connection): directly from
/// the caller when nothing is queued and there is room, else from its own thread, so a slow reader never
/// blocks a request; `waitUntilWritable` holds producers back once `maxUnsent` bytes wait.
/// The thread starts the first time a line must wait: most connections never need it.
final class FDLineWriter: RPCOutput, @unchecked Sendable {
    private let fd: Int32
    private let maxUnsent: Int
    private let cond = PosixCondition()
    private var queue: [[UInt8]] = []
    private var unsent = 0
    private var closed = false
    private var failed = false
    private var finishedWriting = false
    /// The writer thread is writing a batch taken from the queue.
    private var writing = false
    private var threadStarted = false
    /// How a line is written without waiting (with `cond` held).
    private var immediate: ImmediateWrite
    /// Called once when a write fails (the peer is gone).
    var onFailure: (@Sendable () -> Void)?
    private let waiters = Mutex<[CheckedContinuation<Void, Never>]>([])

    init(fd: Int32, maxUnsent: Int) {
        self.fd = fd
        self.maxUnsent = maxUnsent
        immediate = ImmediateWrite(fd: fd)
    }

    /// Queues a line for the writer thread, starting it if needed. With `cond` held.
    private func enqueueLocked(_ bytes: [UInt8]) {
        queue.append(bytes)
        unsent += bytes.count
        if !threadStarted {
            threadStarted = true
            Threads.start(name: "llmrpc-write") { [self] in self.run() }
        }
        cond.signal()
    }

    func writeLine(_ bytes: [UInt8]) {
        cond.lock()
        if closed || failed { cond.unlock(); return }
        // The common case, written here at once: nothing queued or being written, and room for
        // the line now. Handing every line to the writer thread cost a thread wake-up per answer
        // and per stream chunk, and on a busy core the answer waited behind whatever the caller
        // did next.
        if queue.isEmpty && !writing, let n = immediate.attempt(bytes) {
            if n == bytes.count { cond.unlock(); return }
            if n < 0 && errno != EINTR && errno != EAGAIN {
                failed = true
                let notify = onFailure
                cond.unlock()
                wakeWaiters()
                notify?()
                return
            }
            // A partial write: the rest goes to the writer thread, in order.
            enqueueLocked(n > 0 ? Array(bytes[n...]) : bytes)
            cond.unlock()
            return
        }
        enqueueLocked(bytes)
        cond.unlock()
    }

    func waitUntilWritable() async {
        while true {
            cond.lock()
            let ok = unsent <= maxUnsent || failed || closed
            cond.unlock()
            if ok { return }
            await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
                waiters.withLock { $0.append(c) }
                // Re-check after registering, so a drain between the check and here is not missed.
                cond.lock()
                let ok2 = unsent <= maxUnsent || failed || closed
                cond.unlock()
                if ok2 { wakeWaiters() }
            }
        }
    }

    private func wakeWaiters() {
        let w = waiters.withLock { ws -> [CheckedContinuation<Void, Never>] in
            let all = ws
            ws = []
            return all
        }
        for c in w { c.resume() }
    }

    /// Writes everything queued, then stops the thread. Blocks until done.
    func closeAndFlush() {
        cond.lock()
        closed = true
        if !threadStarted { finishedWriting = true }  // nothing was ever queued
        cond.signal()
        while !finishedWriting { cond.wait() }
        cond.unlock()
        wakeWaiters()
    }

    private func run() {
        while true {
            cond.lock()
            while queue.isEmpty && !closed { cond.wait() }
            if queue.isEmpty && closed {
                finishedWriting = true
                cond.broadcast()
                cond.unlock()
                return
            }
            let batch = queue
            queue.removeAll(keepingCapacity: true)
            writing = true
            cond.unlock()

            var written = 0
            var newlyFailed = false
            for line in batch {
                if !failed, !writeAll(line) { failed = true; newlyFailed = true }
                written += line.count
            }
            cond.lock()
            writing = false
            unsent -= written
            let below = unsent <= maxUnsent
            let notify = newlyFailed ? onFailure : nil
            cond.unlock()
            if below || failed { wakeWaiters() }
            notify?()
        }
    }

    private func writeAll(_ bytes: [UInt8]) -> Bool {
        bytes.withUnsafeBytes { buf -> Bool in
            var off = 0
            while off < buf.count {
                let n = write(fd, buf.baseAddress! + off, buf.count - off)
                if n < 0 {
                    if errno == EINTR || errno == EAGAIN { continue }
                    return false
                }
                off += n
            }
            return true
        }
    }
}

/// Reads `fd` a `read(2)` at a time, handing each framed line to `connection`; a last line
/// without its newline is delivered at the end of input. Used by one thread at a time.
final class LineReader: @unchecked Sendable {
    private let fd: Int32
    private let maxLine: Int
    private let connection: RPCConnection
    private var framer: LineFramer
    private var buf = [UInt8](repeating: 0, count: 64 * 1024)

    init(fd: Int32, maxLine: Int, into connection: RPCConnection) {
        self.fd = fd
        self.maxLine = maxLine
        self.connection = connection
        framer = LineFramer(maxLineLength: maxLine)
    }

    /// One read (it blocks only if nothing is ready). False at end of input or on a read error,
    /// once the last line is delivered.
    func readOnce() -> Bool {
        var n = 0
        repeat {
            n = buf.withUnsafeMutableBytes { read(fd, $0.baseAddress!, $0.count) }
        } while n < 0 && errno == EINTR
        if n < 0 && errno == EAGAIN { return true }
        let connection = connection, maxLine = maxLine
        func deliver(_ frame: LineFramer.Frame) {
            switch frame {
            case .line(let l): connection.receiveLine(l)
            case .tooLong: connection.receiveTooLong(limit: maxLine)
            }
        }
        if n <= 0 {
            framer.finish(deliver)
            return false
        }
        buf.withUnsafeBytes { raw in framer.feed(UnsafeRawBufferPointer(rebasing: raw[0..<n]), deliver) }
        return true
    }

    /// Reads until end of input, on a thread of its own (`done` then runs there), or, with
    /// `engine`, on the HTTP engine's thread as `fd` becomes readable: requests that run there
    /// (chats) then start without a thread hand-off. A regular file is always read on a thread.
    static func start(fd: Int32, maxLine: Int, into connection: RPCConnection, engine: HTTPClient?,
                      done: @escaping @Sendable () -> Void) {
        let reader = LineReader(fd: fd, maxLine: maxLine, into: connection)
        if let engine, !StdioTransport.isRegularFile(fd), engine.watchReadable(fd: fd, {
            if reader.readOnce() { return true }
            done()
            return false
        }) {
            return
        }
        Threads.start(name: "llmrpc-read") {
            while reader.readOnce() {}
            done()
        }
    }
}

/// Writes a line to a descriptor only if that cannot wait, by the cheapest means the descriptor
/// allows: a socket takes a non-blocking `send` (`MSG_DONTWAIT`), a pipe a non-blocking write
/// (`RWF_NOWAIT`: all of a line of up to `PIPE_BUF` bytes or nothing, a longer line whole or in
/// part). Anything else (a terminal, a file, or a pipe on a kernel without the flag) is written
/// when the line fits a pipe's atomic write and `poll` says there is room. (Before `RWF_NOWAIT`
/// every line to a pipe took a `poll` first, one more system call per answer, stream chunk and
/// log line, and a line over 4 KB, a long answer, always went to a writer thread.)
/// Not thread-safe: its owner calls it under its lock.
struct ImmediateWrite {
    enum Kind: Equatable { case socket, pipe, polled }
    let fd: Int32
    private(set) var kind: Kind

    init(fd: Int32) {
        self.fd = fd
        var st = stat()
        let type = fstat(fd, &st) == 0 ? st.st_mode & S_IFMT : 0
        kind = type == S_IFSOCK ? .socket : type == S_IFIFO ? .pipe : .polled
    }

    /// PIPE_BUF: a write of at most this many bytes to a pipe with room is never split.
    static let atomicWrite = 4096

    /// nil when not tried (no room now, or too long to try), else what the write returned: the
    /// bytes written, or -1 with `errno` (`EAGAIN`: no room now).
    mutating func attempt(_ bytes: [UInt8]) -> Int? {
        switch kind {
        case .socket:
            return bytes.withUnsafeBytes { send(fd, $0.baseAddress!, $0.count, Int32(MSG_DONTWAIT | MSG_NOSIGNAL)) }
        case .pipe:
            let n = bytes.withUnsafeBytes { llmrpc_write_nowait(fd, $0.baseAddress!, $0.count) }
            if n < 0 && (errno == EOPNOTSUPP || errno == EINVAL || errno == ENOSYS) {
                kind = .polled  // a kernel without RWF_NOWAIT for pipes
                return attempt(bytes)
            }
            return n
        case .polled:
            guard bytes.count <= Self.atomicWrite && Self.writableNow(fd) else { return nil }
            return bytes.withUnsafeBytes { write(fd, $0.baseAddress!, $0.count) }
        }
    }

    static func writableNow(_ fd: Int32) -> Bool {
        var p = pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)
        return poll(&p, 1, 0) == 1 && (p.revents & Int16(POLLOUT)) != 0 && (p.revents & Int16(POLLERR | POLLHUP)) == 0
    }
}
