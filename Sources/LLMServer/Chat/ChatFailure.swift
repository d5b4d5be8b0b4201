import JSONRPC
import LLMJSON

/// A chat request that failed after it started: the wire error already carries the partial
/// usage and cost in `data`, and the usage row has been recorded.
struct ChatFailure: Error {
    let wire: RPCError
}
