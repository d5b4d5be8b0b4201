import Foundation
import LLMServer
import LLMTestSupport
import Logging
import Testing

@Suite struct LogHandlerTests {
    @Test func oneLineWithAUTCTimestampLevelLabelMessageAndMetadata() throws {
        var fds: [Int32] = [0, 0]
        #expect(pipe(&fds) == 0)
        defer { close(fds[0]) }
        var logger = Logger(label: "llmrpc") { label in StderrLogHandler(label: label, fd: fds[1]) }
        logger.logLevel = .info
        let before = Date()
        logger.info("chat\ndone", metadata: ["status": "completed"])
        logger.debug("not written")
        close(fds[1])
        let after = Date()
        let text = String(decoding: FileHandle(fileDescriptor: fds[0]).readDataToEndOfFile(), as: UTF8.self)
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        #expect(lines.count == 2 && lines[1].isEmpty, "\(text)")
        let line = String(lines[0])
        #expect(line.hasSuffix(" info llmrpc: chat done status=completed"), "\(line)")
        let stamp = String(line.prefix(24))
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        let date = try #require(f.date(from: stamp), "\(stamp)")
        #expect(date >= before.addingTimeInterval(-0.001) && date <= after)
        #expect(stamp.hasSuffix("Z") && stamp.count == 24)
    }

    /// 100-byte numbered lines.
    static func numbered(_ i: Int) -> [UInt8] {
        let n = String(i)
        return Array((String(repeating: "0", count: 5 - n.count) + n + String(repeating: "x", count: 94) + "\n").utf8)
    }

    @Test(.timeLimit(.minutes(3))) func aSinkNeverBlocksAndSaysHowManyLinesItDropped() throws {
        var fds: [Int32] = [0, 0]
        #expect(pipe(&fds) == 0)
        defer { close(fds[0]) }
        let sink = LogSink(fd: fds[1], maxQueued: 4096)
        // Nothing reads the pipe yet: the first lines fill it (64 KB), 4 KB more wait, the
        // rest are dropped. A write that blocked would hang the test here.
        let total = 2000
        for i in 0..<total { sink.write(Self.numbered(i)) }
        let reader = ThreadReader(fd: fds[0])
        #expect(sink.flush(seconds: 30))
        close(fds[1])
        let text = String(decoding: reader.wait(), as: UTF8.self)
        // In order: numbered lines, and after a run of them a note counting the lines dropped
        // right after that run (the next number is that many further on).
        let prefix = " warning llmrpc: log lines dropped count="
        var next = 0, notes = 0, kept = 0
        for line in text.split(separator: "\n") {
            if let r = line.range(of: prefix) {
                #expect(line.hasSuffix(" (stderr was not read)"))
                next += Int(line[r.upperBound...].prefix { $0.isNumber }) ?? -1_000_000
                notes += 1
            } else {
                #expect(Array(line.utf8) + [0x0a] == Self.numbered(next), "\(line.prefix(5)) where \(next) was due")
                next += 1
                kept += 1
            }
        }
        #expect(next == total)
        #expect(notes >= 1 && kept * 100 <= 65536 + 2 * 4096 + 100)
    }

    /// A write that fails for now (a full disk: /dev/full) loses that line only; once the
    /// descriptor works again, lines go out.
    @Test func aFailingWriteLosesOnlyItsLine() throws {
        var fds: [Int32] = [0, 0]
        #expect(pipe(&fds) == 0)
        defer { close(fds[0]) }
        let full = open("/dev/full", O_WRONLY)
        try #require(full >= 0)
        let sink = LogSink(fd: full)
        sink.write(Array("lost\n".utf8))
        #expect(dup2(fds[1], full) == full)  // the same descriptor, now a pipe
        close(fds[1])
        sink.write(Array("kept\n".utf8))
        #expect(sink.flush(seconds: 5))
        close(full)
        let text = String(decoding: FileHandle(fileDescriptor: fds[0], closeOnDealloc: false).readDataToEndOfFile(), as: UTF8.self)
        #expect(text == "kept\n")
    }
}
