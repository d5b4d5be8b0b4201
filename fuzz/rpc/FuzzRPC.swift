// fuzz-rpc: the line framer, the JSON parser/writer and the JSON-RPC connection (envelope
// decoding, dispatch, batches, cancellation, shutdown, the in-flight limit) on arbitrary bytes.
//
// Invariants checked on every input:
// 1. Framing does not depend on how the bytes are chunked (whole == random chunks == bytes one by one
//    for short inputs).
// 2. JSON round trip: every frame that parses is written and parsed back to an equal value, and
//    writing is idempotent (write(parse(write(v))) == write(v)); written JSON has no raw newline.
// 3. Every output line is one line of valid JSON: a response object (jsonrpc "2.0", an id, exactly one
//    of result/error, a well-formed error object), a notification, or a batch array of responses.
// 4. Each request with a string/number id gets exactly one response with that id (counted per id,
//    separately for single lines and for batch members); nothing answers an id nobody sent.
import Dispatch
import JSONRPC
import LLMJSON
import Synchronization

/// Collects the connection's output in memory.
final class MemoryOutput: RPCOutput {
    let lines = Mutex<[[UInt8]]>([])
    func writeLine(_ bytes: [UInt8]) { lines.withLock { $0.append(bytes) } }
    func waitUntilWritable() async {}
}

struct FuzzError: Error {}

/// A few methods that answer synchronously: enough to reach every path of the dispatcher.
final class FuzzHandler: RPCHandler {
    func handle(_ request: RPCRequest, context: RPCContext) async throws -> JSONValue {
        if Task.isCancelled { throw CancellationError() }
        switch request.method {
        case "echo": return .object(request.params.object)
        case "notify":
            context.notify("fuzz/note", .object(request.params.object))
            return .null
        case "fail": throw RPCError.invalidParams(field: "x", "fuzz failure")
        case "throw": throw FuzzError()
        case "login": return "ok"  // a barrier
        case "shutdown":
            context.connection.beginShutdown()
            return .null
        case "exit": return .null
        default: throw RPCError.methodNotFound(request.method)
        }
    }
    func wireError(for error: Error) -> RPCError {
        (error as? RPCError) ?? .internalError()
    }
    func cancelsOnInputEnd(method: String) -> Bool { method == "echo" }
    func isBarrier(method: String) -> Bool { method == "login" || method == "shutdown" }
}

let maxLine = 4096

func frames(of chunks: [[UInt8]]) -> [LineFramer.Frame] {
    var framer = LineFramer(maxLineLength: maxLine)
    var out: [LineFramer.Frame] = []
    for c in chunks { framer.feed(c) { out.append($0) } }
    framer.finish { out.append($0) }
    return out
}

/// The id key of a valid request id (its JSON text, echoed verbatim by the server).
func idKey(_ v: JSONValue?) -> String? {
    guard let v else { return nil }
    switch v {
    case .string, .number: return JSONWriter.string(v)
    default: return nil
    }
}

/// `FUZZ_SKIP=dup-key-equality` skips the `==` comparison for values whose objects repeat a key
/// (fuzz/regressions/fuzz-rpc/json-duplicate-key-equality: `JSONObject ==` is not reflexive there),
/// so a fuzzing run can look past that known issue until it is fixed.
let skipDuplicateKeyEquality = skip("dup-key-equality")

func hasDuplicateKeys(_ v: JSONValue) -> Bool {
    switch v {
    case .object(let o): return Set(o.keys).count != o.count || o.contains { hasDuplicateKeys($0.value) }
    case .array(let a): return a.contains(where: hasDuplicateKeys)
    default: return false
    }
}

func checkRoundTrip(_ v: JSONValue) {
    let w = JSONWriter.bytes(v)
    check(!w.contains(0x0A), "written JSON contains a newline")
    guard let back = try? JSONParser.parse(w) else { fatalError("written JSON does not parse: \(JSONWriter.string(v))") }
    check(JSONWriter.bytes(back) == w, "writing is not idempotent: \(JSONWriter.string(v))")
    if skipDuplicateKeyEquality && hasDuplicateKeys(v) { return }
    check(back == v, "round trip: the parsed value is not == to the original: \(JSONWriter.string(v))")
}

func checkResponse(_ v: JSONValue, inBatch: Bool) -> String? {
    guard case .object(let o) = v else { fatalError("output is not an object: \(v)") }
    check(o["jsonrpc"] == .string("2.0"), "no jsonrpc 2.0: \(v)")
    if o["method"] != nil {
        check(!inBatch, "a notification inside a batch reply: \(v)")
        check(o["id"] == nil && o["method"]?.stringValue != nil, "bad notification: \(v)")
        return nil
    }
    guard let id = o["id"] else { fatalError("response without id: \(v)") }
    check(id.isNull || idKey(id) != nil, "bad id: \(v)")
    check((o["result"] != nil) != (o["error"] != nil), "not exactly one of result/error: \(v)")
    if let e = o["error"] {
        check(e["code"]?.intValue != nil, "error code not an integer: \(v)")
        check(e["message"]?.stringValue != nil, "error message not a string: \(v)")
        check(e["data"]?["type"]?.stringValue != nil, "error data.type missing: \(v)")
        check(e["data"]?["retryable"]?.boolValue != nil, "error data.retryable missing: \(v)")
    }
    return idKey(id)
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    var rng = SplitMix64(seed: fnv1a(bytes))

    // 1. Framing is chunking-independent.
    let whole = frames(of: [bytes])
    check(frames(of: randomChunks(bytes, &rng)) == whole, "framing depends on chunking")
    if bytes.count <= 512 { check(frames(of: bytes.map { [$0] }) == whole, "framing differs byte by byte") }

    // 2. Round trip, and the ids the connection must answer.
    var singleIDs: [String: Int] = [:]
    var batchIDs: [String: Int] = [:]
    for f in whole {
        guard case .line(let line) = f else { continue }
        check(!line.isEmpty && line.count <= maxLine && !line.contains(0x0A), "bad frame")
        guard let v = try? JSONParser.parse(line) else { continue }
        checkRoundTrip(v)
        switch v {
        case .object(let o): if let k = idKey(o["id"]) { singleIDs[k, default: 0] += 1 }
        case .array(let items):
            for case .object(let o) in items { if let k = idKey(o["id"]) { batchIDs[k, default: 0] += 1 } }
        default: break
        }
    }

    // 3. Through a real connection.
    let output = MemoryOutput()
    let connection = RPCConnection(output: output, maxInFlight: 1 + Int(rng.below(8)))
    connection.setHandler(FuzzHandler())
    for f in whole { connection.receive(f) }
    let done = DispatchSemaphore(value: 0)
    Task {
        await connection.inputEnded()
        done.signal()
    }
    done.wait()
    check(connection.inFlightCount == 0, "requests still in flight after drain")

    var gotSingle: [String: Int] = [:]
    var gotBatch: [String: Int] = [:]
    for line in output.lines.withLock({ $0 }) {
        check(line.last == 0x0A && line.firstIndex(of: 0x0A) == line.count - 1, "output is not exactly one line")
        guard let v = try? JSONParser.parse(line.dropLast()) else {
            fatalError("output line is not JSON: \(String(decoding: line, as: UTF8.self))")
        }
        if case .array(let items) = v {
            check(!items.isEmpty, "empty batch reply")
            for item in items { if let k = checkResponse(item, inBatch: true) { gotBatch[k, default: 0] += 1 } }
        } else if let k = checkResponse(v, inBatch: false) {
            gotSingle[k, default: 0] += 1
        }
    }
    check(gotSingle == singleIDs, "responses per id \(gotSingle) != requests per id \(singleIDs)")
    check(gotBatch == batchIDs, "batch responses per id \(gotBatch) != batch requests per id \(batchIDs)")
    return 0
}
