// `fake-provider [--port N] [--threads N] [--keys k1,k2] [--ignore-stdin]`
//
// Starts the fake Anthropic/OpenAI/Gemini server with the default scenarios, prints
// `{"port": N}` as one line on stdout, and runs until stdin closes or SIGTERM/SIGINT arrives.
// Request recording is off (a long benchmark must not grow memory). Diagnostics go to stderr.

import Dispatch
import FakeProvider
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

func fail(_ message: String) -> Never {
    fputs("fake-provider: \(message)\n", stderr)
    exit(2)
}

var port = 0
var threads = 1
var keys: Set<String>?
var watchStdin = true
var arguments = CommandLine.arguments.dropFirst().makeIterator()
while let argument = arguments.next() {
    switch argument {
    case "--port":
        guard let value = arguments.next().flatMap(Int.init), (0...65535).contains(value) else { fail("--port needs a number") }
        port = value
    case "--threads":
        guard let value = arguments.next().flatMap(Int.init), value > 0 else { fail("--threads needs a positive number") }
        threads = value
    case "--keys":
        guard let value = arguments.next() else { fail("--keys needs a comma-separated list") }
        keys = Set(value.split(separator: ",").map(String.init))
    case "--ignore-stdin":
        watchStdin = false
    case "-h", "--help":
        fputs("usage: fake-provider [--port N] [--threads N] [--keys k1,k2] [--ignore-stdin]\n", stderr)
        exit(0)
    default:
        fail("unknown argument \(argument)")
    }
}

/// Resumes a continuation at most once, from any thread.
final class StopLatch: @unchecked Sendable {
    private let queue = DispatchQueue(label: "fake-provider.stop")
    private var continuation: CheckedContinuation<Void, Never>?

    init(_ continuation: CheckedContinuation<Void, Never>) { self.continuation = continuation }

    func fire() {
        queue.sync {
            continuation?.resume()
            continuation = nil
        }
    }
}

/// Resumes once, on the first of: stdin EOF, SIGTERM, SIGINT.
func waitForStop(watchStdin: Bool) async {
    await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
        let latch = StopLatch(continuation)
        let stop: @Sendable () -> Void = { latch.fire() }
        for sig in [SIGTERM, SIGINT] {
            signal(sig, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: sig, queue: .global())
            source.setEventHandler(handler: stop)
            source.resume()
            signalSources.append(source)
        }
        if watchStdin {
            DispatchQueue.global().async {
                var buffer = [UInt8](repeating: 0, count: 4096)
                while read(0, &buffer, buffer.count) > 0 {}
                stop()
            }
        }
    }
}
nonisolated(unsafe) var signalSources: [DispatchSourceSignal] = []

do {
    let server = try await FakeProviderServer.start(port: port, acceptedKeys: keys, recordRequests: false, threads: threads)
    print("{\"port\": \(server.port)}")
    fflush(stdout)
    await waitForStop(watchStdin: watchStdin)
    try await server.shutdown()
    exit(0)
} catch {
    fail("\(error)")
}
