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
        var start = bytes.startIndex
        while start != bytes.endIndex {
            guard let nl = bytes[start...].firstIndex(of: 0x0A) else {
                let rest = bytes[start...]
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
            let part = bytes[start..<nl]
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
            start = bytes.index(after: nl)
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
        // Blank (whitespace-only) lines are skipped.
        if line.allSatisfy({ $0 == 0x20 || $0 == 0x09 || $0 == 0x0D }) { return }
        emit(.line(line))
    }
}
