import JSONRPC
import LLMHTTP
import Logging
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// JSON-RPC over stdin/stdout. Reads on the HTTP engine's thread when given one (pipes, ttys,
/// sockets), else with a blocking thread of its own (always for a regular file).
public final class StdioTransport: @unchecked Sendable {
    private let inputFD: Int32
    private let writer: FDLineWriter
    public let connection: RPCConnection
    private let maxLine: Int
    private let engine: HTTPClient?

    public init(inputFD: Int32 = 0, outputFD: Int32, config: ServerConfig, sequential: Bool, engine: HTTPClient? = nil) {
        self.inputFD = inputFD
        self.engine = engine
        self.maxLine = config.maxLineBytes
        self.writer = FDLineWriter(fd: outputFD, maxUnsent: config.maxUnsentOutputBytes)
        self.connection = RPCConnection(output: writer, maxInFlight: config.maxInFlight, sequential: sequential)
    }

    /// Whether `fd` is a regular file (`llmrpc serve < transcript.jsonl`).
    public static func isRegularFile(_ fd: Int32) -> Bool {
        var st = stat()
        return fstat(fd, &st) == 0 && (st.st_mode & S_IFMT) == S_IFREG
    }

    /// Reads until end of input, then cancels streams, waits for every answer and flushes.
    public func run() async {
        let done = AsyncStream<Void>.makeStream()
        let conn = connection
        let fd = inputFD
        let limit = maxLine
        LineReader.start(fd: fd, maxLine: limit, into: conn, engine: engine) {
            done.continuation.yield()
            done.continuation.finish()
        }
        for await _ in done.stream {}
        await connection.inputEnded()
        writer.closeAndFlush()
    }

    /// Flushes what is queued (used by `exit`).
    public func flush() { writer.closeAndFlush() }
}
