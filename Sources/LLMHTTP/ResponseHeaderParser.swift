import CCurl

extension Transfer {
    /// The header callback: libcurl passes one complete header line at a time (with its CRLF),
    /// for every response it reads, interim ones included. Collects the status and headers of
    /// the block being read; a block ending with a final status (>= 200) is delivered to `send`.
    /// Proxy CONNECT responses never arrive here (CURLOPT_SUPPRESS_CONNECT_HEADERS); trailers
    /// after the body are ignored. Engine thread.
    func receiveHeaderLine(_ bytes: UnsafeMutablePointer<CChar>, count: Int) {
        activity &+= 1
        if headDelivered { return }
        let raw = UnsafeRawBufferPointer(start: bytes, count: count)
        var end = raw.count
        while end > 0 && (raw[end - 1] == 0x0A || raw[end - 1] == 0x0D) { end -= 1 }
        let line = UnsafeRawBufferPointer(rebasing: raw[0..<end])

        if line.isEmpty {
            if responseStatus >= 200 {
                deliverHead()
            } else {
                // An interim response (100 Continue, 103 Early Hints): the real one follows.
                responseStatus = 0
                responseHeaders = []
            }
            return
        }
        if line.starts(with: "HTTP/".utf8) {
            responseStatus = Self.parseStatus(line)
            responseHeaders = []
            return
        }
        if line[0] == 0x20 || line[0] == 0x09 {
            // An obsolete folded continuation of the previous header's value.
            if !responseHeaders.isEmpty {
                let more = Self.trimmed(line, from: 0, to: line.count)
                responseHeaders[responseHeaders.count - 1].1 += " " + more
            }
            return
        }
        guard let colon = line.firstIndex(of: UInt8(ascii: ":")) else { return }
        let name = String(unsafeUninitializedCapacity: colon) { buffer in
            for i in 0..<colon {
                let byte = line[i]
                buffer[i] = (byte >= 0x41 && byte <= 0x5A) ? byte | 0x20 : byte
            }
            return colon
        }
        responseHeaders.append((name, Self.trimmed(line, from: colon + 1, to: line.count)))
    }

    /// The three-digit code after "HTTP/x.y " (or "HTTP/2 "); 0 if malformed.
    private static func parseStatus(_ line: UnsafeRawBufferPointer) -> Int {
        guard let space = line.firstIndex(of: UInt8(ascii: " ")) else { return 0 }
        var status = 0
        var index = space + 1
        while index < line.count && index < space + 4 {
            let byte = line[index]
            guard byte >= 0x30 && byte <= 0x39 else { return 0 }
            status = status * 10 + Int(byte - 0x30)
            index += 1
        }
        return status
    }

    /// The bytes `from..<to` without surrounding spaces and tabs, as a String.
    private static func trimmed(_ line: UnsafeRawBufferPointer, from: Int, to: Int) -> String {
        var start = from
        var end = to
        while start < end && (line[start] == 0x20 || line[start] == 0x09) { start += 1 }
        while end > start && (line[end - 1] == 0x20 || line[end - 1] == 0x09) { end -= 1 }
        return String(decoding: UnsafeRawBufferPointer(rebasing: line[start..<end]), as: UTF8.self)
    }
}
