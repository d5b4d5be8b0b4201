#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// stdout carries protocol messages only. The protocol writer gets a private duplicate of fd 1,
/// and fd 1 itself is pointed at stderr, so a stray `print` anywhere lands in the log instead
/// of corrupting the stream.
public enum StdoutGuard {
    /// Returns the file descriptor the protocol must write to.
    public static func takeOverStdout() -> Int32 {
        let protocolFD = dup(1)
        precondition(protocolFD >= 0, "cannot duplicate stdout")
        _ = dup2(2, 1)
        return protocolFD
    }
}
