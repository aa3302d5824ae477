// One-line pass-throughs; see include/cg_curl.h for why they exist.
#include "cg_curl.h"

CURLcode cg_easy_setopt_long(CURL *_Nonnull handle, CURLoption option, long value) {
    return curl_easy_setopt(handle, option, value);
}

CURLcode cg_easy_setopt_off_t(CURL *_Nonnull handle, CURLoption option, curl_off_t value) {
    return curl_easy_setopt(handle, option, value);
}

CURLcode cg_easy_setopt_string(CURL *_Nonnull handle, CURLoption option, const char *_Nullable value) {
    return curl_easy_setopt(handle, option, value);
}

CURLcode cg_easy_setopt_pointer(CURL *_Nonnull handle, CURLoption option, void *_Nullable value) {
    return curl_easy_setopt(handle, option, value);
}

CURLcode cg_easy_setopt_slist(CURL *_Nonnull handle, CURLoption option, struct curl_slist *_Nullable value) {
    return curl_easy_setopt(handle, option, value);
}

CURLcode cg_easy_setopt_data_callback(CURL *_Nonnull handle, CURLoption option, cg_curl_data_callback _Nullable value) {
    return curl_easy_setopt(handle, option, value);
}

CURLcode cg_easy_setopt_debug_callback(CURL *_Nonnull handle, CURLoption option, cg_curl_debug_callback _Nullable value) {
    return curl_easy_setopt(handle, option, value);
}

CURLcode cg_easy_getinfo_long(CURL *_Nonnull handle, CURLINFO info, long *_Nonnull out) {
    return curl_easy_getinfo(handle, info, out);
}

CURLcode cg_easy_getinfo_off_t(CURL *_Nonnull handle, CURLINFO info, curl_off_t *_Nonnull out) {
    return curl_easy_getinfo(handle, info, out);
}

CURLcode cg_easy_getinfo_string(CURL *_Nonnull handle, CURLINFO info, const char *_Nullable *_Nonnull out) {
    return curl_easy_getinfo(handle, info, out);
}

CURLcode cg_easy_getinfo_pointer(CURL *_Nonnull handle, CURLINFO info, void *_Nullable *_Nonnull out) {
    return curl_easy_getinfo(handle, info, out);
}

CURLMcode cg_multi_setopt_long(CURLM *_Nonnull handle, CURLMoption option, long value) {
    return curl_multi_setopt(handle, option, value);
}
