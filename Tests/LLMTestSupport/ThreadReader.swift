import Foundation

/// Reads a descriptor to its end on a thread of its own. A test that blocks (a flush waiting
/// for a reader) must not read on the task pool: with two cores the pool has two threads, and
/// other tests running at the same time may hold both, so the read would never start.
public final class ThreadReader: @unchecked Sendable {
    private let done = DispatchSemaphore(value: 0)
    private var bytes: [UInt8] = []

    public init(fd: Int32) {
        let t = Thread { [self] in
            bytes = [UInt8](FileHandle(fileDescriptor: fd, closeOnDealloc: false).readDataToEndOfFile())
            done.signal()
        }
        t.start()
    }

    /// Everything read, once every write end is closed.
    public func wait() -> [UInt8] {
        done.wait()
        return bytes
    }
}
