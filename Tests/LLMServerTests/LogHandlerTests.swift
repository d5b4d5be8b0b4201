import Foundation
import LLMServer
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
}
