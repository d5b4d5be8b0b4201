#ifndef LLMRPC_CCURL_SHIM_H
#define LLMRPC_CCURL_SHIM_H

#include <curl/curl.h>

/*
 * Typed wrappers for libcurl's variadic functions (curl_easy_setopt, curl_easy_getinfo,
 * curl_multi_setopt), which Swift cannot call, and for macros Swift does not import.
 * Integer options take `long`, as libcurl expects.
 */

/* The callback type shared by CURLOPT_WRITEFUNCTION and CURLOPT_HEADERFUNCTION. */
typedef size_t (*llm_curl_data_callback)(char *buffer, size_t size, size_t nitems, void *userdata);

static inline CURLcode llm_curl_global_init(void) {
    return curl_global_init(CURL_GLOBAL_ALL);
}

static inline CURLcode llm_curl_easy_setopt_long(CURL *handle, CURLoption option, long value) {
    return curl_easy_setopt(handle, option, value);
}

static inline CURLcode llm_curl_easy_setopt_off_t(CURL *handle, CURLoption option, curl_off_t value) {
    return curl_easy_setopt(handle, option, value);
}

static inline CURLcode llm_curl_easy_setopt_string(CURL *handle, CURLoption option, const char *value) {
    return curl_easy_setopt(handle, option, value);
}

static inline CURLcode llm_curl_easy_setopt_pointer(CURL *handle, CURLoption option, void *value) {
    return curl_easy_setopt(handle, option, value);
}

static inline CURLcode llm_curl_easy_setopt_slist(CURL *handle, CURLoption option, struct curl_slist *value) {
    return curl_easy_setopt(handle, option, value);
}

static inline CURLcode llm_curl_easy_setopt_callback(CURL *handle, CURLoption option, llm_curl_data_callback value) {
    return curl_easy_setopt(handle, option, value);
}

static inline CURLcode llm_curl_easy_getinfo_long(CURL *handle, CURLINFO info, long *value) {
    return curl_easy_getinfo(handle, info, value);
}

static inline CURLcode llm_curl_easy_getinfo_pointer(CURL *handle, CURLINFO info, void **value) {
    return curl_easy_getinfo(handle, info, value);
}

static inline CURLMcode llm_curl_multi_setopt_long(CURLM *multi, CURLMoption option, long value) {
    return curl_multi_setopt(multi, option, value);
}

/* Resumes a transfer paused with CURL_WRITEFUNC_PAUSE (both directions). */
static inline CURLcode llm_curl_easy_unpause(CURL *handle) {
    return curl_easy_pause(handle, CURLPAUSE_CONT);
}

/* The value a write callback returns to pause the transfer. */
static inline size_t llm_curl_writefunc_pause(void) {
    return CURL_WRITEFUNC_PAUSE;
}

/* The result code of a CURLMSG_DONE message (the union is awkward from Swift). */
static inline CURLcode llm_curl_msg_result(const CURLMsg *message) {
    return message->data.result;
}

/* CURL_ERROR_SIZE: the size of a CURLOPT_ERRORBUFFER. */
static inline size_t llm_curl_error_size(void) {
    return CURL_ERROR_SIZE;
}

#endif
