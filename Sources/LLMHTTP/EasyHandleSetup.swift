import CCurl

/// libcurl's write callback: body bytes, on the engine thread.
private let writeCallback: llm_curl_data_callback = { bytes, size, count, userdata in
    guard let bytes, let userdata else { return 0 }
    let transfer = Unmanaged<Transfer>.fromOpaque(userdata).takeUnretainedValue()
    return transfer.receiveBody(bytes, count: size &* count)
}

/// libcurl's header callback: one header line, on the engine thread.
private let headerCallback: llm_curl_data_callback = { bytes, size, count, userdata in
    let total = size &* count
    guard let bytes, let userdata else { return total }
    let transfer = Unmanaged<Transfer>.fromOpaque(userdata).takeUnretainedValue()
    transfer.receiveHeaderLine(bytes, count: total)
    return total
}

extension Transfer {
    /// Creates and configures the easy handle for `request`. Runs on the caller's thread,
    /// before the handle is given to the engine.
    func configure(_ request: HTTPRequest, _ configuration: HTTPClientConfiguration) throws {
        guard let handle = engine.takeEasyHandle() else {
            throw HTTPError(.transport, "curl_easy_init failed")
        }
        easy = handle
        let me = Unmanaged.passUnretained(self).toOpaque()

        try check(llm_curl_easy_setopt_string(handle, CURLOPT_URL, request.url), "URL")
        _ = llm_curl_easy_setopt_string(handle, CURLOPT_PROTOCOLS_STR, "http,https")
        _ = llm_curl_easy_setopt_long(handle, CURLOPT_NOSIGNAL, 1)
        _ = llm_curl_easy_setopt_long(handle, CURLOPT_HTTP_VERSION, CURL_HTTP_VERSION_2TLS)
        _ = llm_curl_easy_setopt_long(handle, CURLOPT_SUPPRESS_CONNECT_HEADERS, 1)
        _ = llm_curl_easy_setopt_long(handle, CURLOPT_TCP_KEEPALIVE, 1)
        _ = llm_curl_easy_setopt_long(handle, CURLOPT_CONNECTTIMEOUT_MS, milliseconds(configuration.connectTimeout))
        if let total = configuration.totalTimeout {
            _ = llm_curl_easy_setopt_long(handle, CURLOPT_TIMEOUT_MS, milliseconds(total))
        }
        if request.url.utf8.starts(with: "https:".utf8) {
            // Wait for an HTTP/2 connection being set up rather than opening another.
            _ = llm_curl_easy_setopt_long(handle, CURLOPT_PIPEWAIT, 1)
        }
        _ = llm_curl_easy_setopt_pointer(handle, CURLOPT_ERRORBUFFER, errorBuffer)
        _ = llm_curl_easy_setopt_pointer(handle, CURLOPT_PRIVATE, me)
        _ = llm_curl_easy_setopt_callback(handle, CURLOPT_WRITEFUNCTION, writeCallback)
        _ = llm_curl_easy_setopt_pointer(handle, CURLOPT_WRITEDATA, me)
        _ = llm_curl_easy_setopt_callback(handle, CURLOPT_HEADERFUNCTION, headerCallback)
        _ = llm_curl_easy_setopt_pointer(handle, CURLOPT_HEADERDATA, me)

        let method = request.method.uppercased()
        let sendsBody = !request.body.isEmpty || method == "POST" || method == "PUT" || method == "PATCH"
        var hasContentType = false
        var hasExpect = false
        for (name, value) in request.headers {
            // UTF-8 bytes, not Characters: "\r\n" is a single Character.
            if name.isEmpty || name.utf8.contains(where: { $0 == 13 || $0 == 10 || $0 == 58 })
                || value.utf8.contains(where: { $0 == 13 || $0 == 10 }) {
                // The message names no header: values may be secrets.
                throw HTTPError(.transport, "invalid request header (empty name, colon or line break)")
            }
            let lower = name.lowercased()
            if lower == "content-type" { hasContentType = true }
            if lower == "expect" { hasExpect = true }
            // "Name;" is libcurl's way to send a header with an empty value.
            appendHeader(value.isEmpty ? "\(name);" : "\(name): \(value)")
        }
        // Never "Expect: 100-continue" (libcurl would wait up to 1 s for an answer).
        if !hasExpect { appendHeader("Expect:") }
        // No implicit "application/x-www-form-urlencoded" on bodies.
        if sendsBody && !hasContentType { appendHeader("Content-Type:") }
        _ = llm_curl_easy_setopt_slist(handle, CURLOPT_HTTPHEADER, headerList)

        if sendsBody {
            _ = llm_curl_easy_setopt_off_t(handle, CURLOPT_POSTFIELDSIZE_LARGE, curl_off_t(request.body.count))
            // COPYPOSTFIELDS copies the bytes: the request may go away.
            if request.body.isEmpty {
                try check(llm_curl_easy_setopt_string(handle, CURLOPT_COPYPOSTFIELDS, ""), "body")
            } else {
                try request.body.withUnsafeBytes { bytes in
                    let pointer = UnsafeMutableRawPointer(mutating: bytes.baseAddress!)
                    try check(llm_curl_easy_setopt_pointer(handle, CURLOPT_COPYPOSTFIELDS, pointer), "body")
                }
            }
            if method != "POST" {
                try check(llm_curl_easy_setopt_string(handle, CURLOPT_CUSTOMREQUEST, method), "method")
            }
        } else if method == "HEAD" {
            _ = llm_curl_easy_setopt_long(handle, CURLOPT_NOBODY, 1)
        } else if method != "GET" {
            try check(llm_curl_easy_setopt_string(handle, CURLOPT_CUSTOMREQUEST, method), "method")
        }
    }

    private func appendHeader(_ line: String) {
        headerList = curl_slist_append(headerList, line)
    }

    private func check(_ code: CURLcode, _ what: String) throws {
        if code != CURLE_OK {
            throw HTTPError(.transport, "invalid request \(what): " + String(cString: curl_easy_strerror(code)))
        }
    }

    private func milliseconds(_ seconds: Double) -> Int {
        Int(max(1, min(seconds * 1000, Double(Int32.max))))
    }
}
