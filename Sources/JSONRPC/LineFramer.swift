#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Splits a byte stream into lines ended by "\n". One trailing "\r" is stripped, blank lines are
/// skipped, a last line without "\n" is delivered by `finish()`, and a line longer than
/// `maxLineLength` is reported once as `.tooLong` and then skipped up to its end, without
/// buffering more than the limit.
public struct LineFramer {
    public enum Frame: Equatable {
        case line([UInt8])
        case tooLong
    }

    public let maxLineLength: Int
    private var buffer: [UInt8] = []
    private var discarding = false

    public init(maxLineLength: Int = 16 * 1024 * 1024) {
        self.maxLineLength = maxLineLength
    }

    /// Feeds bytes; calls `emit` for every complete frame, in order.
    public mutating func feed<C: Collection>(_ bytes: C, _ emit: (Frame) -> Void) where C.Element == UInt8 {
        let done: Void? = bytes.withContiguousStorageIfAvailable { feed(UnsafeRawBufferPointer($0), emit) }
        if done == nil { Array(bytes).withUnsafeBytes { feed($0, emit) } }
    }

    /// Feeds bytes; calls `emit` for every complete frame, in order. Lines are found with
    /// `memchr` (the generic, unspecialised search cost more than parsing the request).
    public mutating func feed(_ bytes: UnsafeRawBufferPointer, _ emit: (Frame) -> Void) {
        guard let base = bytes.baseAddress else { return }
        var start = 0
        let end = bytes.count
        while start < end {
            guard let hit = memchr(base + start, 0x0A, end - start) else {
                let rest = UnsafeRawBufferPointer(rebasing: bytes[start..<end])
                if !discarding {
                    if buffer.count + rest.count > maxLineLength + 1 {  // +1: a "\r" may still be stripped
                        buffer.removeAll(keepingCapacity: false)
                        discarding = true
                        emit(.tooLong)
                    } else {
                        buffer.append(contentsOf: rest)
                    }
                }
                return
            }
            let nl = base.distance(to: UnsafeRawPointer(hit))
            let part = UnsafeRawBufferPointer(rebasing: bytes[start..<nl])
            if discarding {
                discarding = false
            } else if buffer.isEmpty {
                deliver(Array(part), emit)
            } else {
                buffer.append(contentsOf: part)
                let line = buffer
                buffer.removeAll(keepingCapacity: true)
                deliver(line, emit)
            }
            start = nl + 1
        }
    }

    /// End of input: delivers a last unterminated line.
    public mutating func finish(_ emit: (Frame) -> Void) {
        if !discarding, !buffer.isEmpty {
            let line = buffer
            buffer = []
            deliver(line, emit)
        }
        discarding = false
    }

    private func deliver(_ line: [UInt8], _ emit: (Frame) -> Void) {
        var line = line
        if line.last == 0x0D { line.removeLast() }
        if line.count > maxLineLength { emit(.tooLong); return }
        // Blank (whitespace-only) lines are skipped (a request starts with "{" at once).
        if line.first != UInt8(ascii: "{"), line.allSatisfy({ $0 == 0x20 || $0 == 0x09 || $0 == 0x0D }) { return }
        emit(.line(line))
    }
}
