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

/* The multi handle's socket callback (CURLMOPT_SOCKETFUNCTION): which sockets to wait on, for what. */
typedef int (*llm_curl_socket_callback)(CURL *easy, curl_socket_t socket, int what, void *userp, void *socketp);

/* The multi handle's timer callback (CURLMOPT_TIMERFUNCTION): when to call it back (-1: never). */
typedef int (*llm_curl_timer_callback)(CURLM *multi, long timeout_ms, void *userp);

/* Sets both callbacks, with `userp` passed to each. */
static inline CURLMcode llm_curl_multi_set_event_callbacks(CURLM *multi, llm_curl_socket_callback onSocket,
                                                           llm_curl_timer_callback onTimer, void *userp) {
    CURLMcode code = curl_multi_setopt(multi, CURLMOPT_SOCKETFUNCTION, onSocket);
    if (code == CURLM_OK) code = curl_multi_setopt(multi, CURLMOPT_SOCKETDATA, userp);
    if (code == CURLM_OK) code = curl_multi_setopt(multi, CURLMOPT_TIMERFUNCTION, onTimer);
    if (code == CURLM_OK) code = curl_multi_setopt(multi, CURLMOPT_TIMERDATA, userp);
    return code;
}

/* CURL_SOCKET_TIMEOUT: the "socket" that tells curl_multi_socket_action its timer expired. */
static inline curl_socket_t llm_curl_socket_timeout(void) {
    return CURL_SOCKET_TIMEOUT;
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
