import Foundation
import Testing
@testable import LLMServer
import LLMTestSupport

/// Writes that must never wait: answers and stream chunks go out from the thread that serves
/// every chat, log lines from whichever thread logs.
@Suite struct ImmediateWriteTests {
    static func line(_ n: Int, _ fill: UInt8) -> [UInt8] { [UInt8](repeating: fill, count: n - 1) + [0x0a] }

    /// Bytes a pipe's reader end has now, without blocking.
    static func drain(_ fd: Int32) -> [UInt8] {
        var out: [UInt8] = []
        var buf = [UInt8](repeating: 0, count: 65536)
        while true {
            var p = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            guard poll(&p, 1, 0) == 1 else { return out }
            let n = buf.withUnsafeMutableBytes { read(fd, $0.baseAddress!, $0.count) }
            if n <= 0 { return out }
            out += buf[0..<n]
        }
    }

    @Test func aPipeTakesALineWholeOrNotAtAllAndALongLineInPart() throws {
        var fds: [Int32] = [0, 0]
        try #require(pipe(&fds) == 0)
        defer { close(fds[0]); close(fds[1]) }
        var w = ImmediateWrite(fd: fds[1])
        #expect(w.kind == .pipe)
        // Fill the pipe with 1000-byte lines until one does not fit.
        var written = 0
        while true {
            let tried = w.attempt(Self.line(1000, 0x61))
            let n = try #require(tried)
            if n < 0 {
                #expect(errno == EAGAIN)
                break
            }
            #expect(n == 1000)  // never a part of a short line
            written += n
            try #require(written < 1 << 22)
        }
        #expect(written >= 16 * 1024)
        #expect(Self.drain(fds[0]) == Self.expectedLines(written / 1000))

        // Empty again: a line longer than the pipe goes in as far as it fits (pipe kind) or is
        // left to the caller's thread (poll kind); never blocks.
        let long = Self.line(300_000, 0x62)
        let n = w.attempt(long)
        if w.kind == .pipe {
            let n = try #require(n)
            #expect(n > 0 && n < long.count)
            #expect(Self.drain(fds[0]) == Array(long[0..<n]))
        } else {
            #expect(n == nil)
        }
    }

    static func expectedLines(_ k: Int) -> [UInt8] { (0..<k).flatMap { _ in line(1000, 0x61) } }

    @Test func aTerminalOrFileIsWrittenAfterAPollAndASocketWithANonBlockingSend() throws {
        let path = NSTemporaryDirectory() + "immediate-write-\(getpid()).txt"
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        try #require(fd >= 0)
        defer { close(fd); unlink(path) }
        var file = ImmediateWrite(fd: fd)
        #expect(file.kind == .polled)
        let short = file.attempt(Self.line(100, 0x63))
        #expect(short == 100)
        let tooLong = file.attempt(Self.line(5000, 0x63))
        #expect(tooLong == nil)  // longer than an atomic pipe write: not tried
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == Data(Self.line(100, 0x63)))

        var sv: [Int32] = [0, 0]
        try #require(socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0, &sv) == 0)
        defer { close(sv[0]); close(sv[1]) }
        var sock = ImmediateWrite(fd: sv[0])
        #expect(sock.kind == .socket)
        let sent = sock.attempt(Self.line(200, 0x64))
        #expect(sent == 200)
        #expect(Self.drain(sv[1]) == Self.line(200, 0x64))
    }

    /// A slow reader: a line longer than the pipe, then short ones, written while nothing reads.
    /// Everything arrives once the reader reads, whole and in order, and no write waited.
    @Test(.timeLimit(.minutes(1))) func aLineWriterKeepsOrderAcrossAPartialWrite() throws {
        var fds: [Int32] = [0, 0]
        try #require(pipe(&fds) == 0)
        defer { close(fds[0]) }
        let writer = FDLineWriter(fd: fds[1], maxUnsent: 1 << 24)
        var expected: [UInt8] = []
        let first = Self.line(200_000, 0x65)
        writer.writeLine(first)
        expected += first
        for i in 0..<50 {
            let l = Array("line \(i)\n".utf8)
            writer.writeLine(l)
            expected += l
        }
        let reader = ThreadReader(fd: fds[0])
        writer.closeAndFlush()
        close(fds[1])
        let got = reader.wait()
        #expect(got.count == expected.count)
        #expect(got == expected)
    }
}
