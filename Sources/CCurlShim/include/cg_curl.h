// Typed, non-variadic wrappers over libcurl's variadic calls.
//
// Swift cannot call C variadic functions (`curl_easy_setopt`, `curl_easy_getinfo`,
// `curl_multi_setopt` are "unavailable: Variadic function is unavailable"), so each argument
// kind gets one prefixed pass-through here, as swift-corelibs-foundation's
// CFURLSessionInterface.h does. No logic lives in this target: every decision is in Swift
// (Sources/CurlClient).
#ifndef CG_CURL_H
#define CG_CURL_H

#include <curl/curl.h>

// The shape shared by CURLOPT_WRITEFUNCTION and CURLOPT_HEADERFUNCTION:
// https://curl.se/libcurl/c/CURLOPT_WRITEFUNCTION.html
// https://curl.se/libcurl/c/CURLOPT_HEADERFUNCTION.html
typedef size_t (*cg_curl_data_callback)(char *_Nonnull data, size_t size, size_t nmemb, void *_Nullable userdata);

// CURLOPT_DEBUGFUNCTION's shape: https://curl.se/libcurl/c/CURLOPT_DEBUGFUNCTION.html
typedef int (*cg_curl_debug_callback)(CURL *_Nonnull handle, curl_infotype type, char *_Nonnull data, size_t size, void *_Nullable userdata);

// curl_easy_setopt, one per argument kind.
CURLcode cg_easy_setopt_long(CURL *_Nonnull handle, CURLoption option, long value);
CURLcode cg_easy_setopt_off_t(CURL *_Nonnull handle, CURLoption option, curl_off_t value);
CURLcode cg_easy_setopt_string(CURL *_Nonnull handle, CURLoption option, const char *_Nullable value);
CURLcode cg_easy_setopt_pointer(CURL *_Nonnull handle, CURLoption option, void *_Nullable value);
CURLcode cg_easy_setopt_slist(CURL *_Nonnull handle, CURLoption option, struct curl_slist *_Nullable value);
CURLcode cg_easy_setopt_data_callback(CURL *_Nonnull handle, CURLoption option, cg_curl_data_callback _Nullable value);
CURLcode cg_easy_setopt_debug_callback(CURL *_Nonnull handle, CURLoption option, cg_curl_debug_callback _Nullable value);

// curl_easy_getinfo, one per out-type.
CURLcode cg_easy_getinfo_long(CURL *_Nonnull handle, CURLINFO info, long *_Nonnull out);
CURLcode cg_easy_getinfo_off_t(CURL *_Nonnull handle, CURLINFO info, curl_off_t *_Nonnull out);
CURLcode cg_easy_getinfo_string(CURL *_Nonnull handle, CURLINFO info, const char *_Nullable *_Nonnull out);
CURLcode cg_easy_getinfo_pointer(CURL *_Nonnull handle, CURLINFO info, void *_Nullable *_Nonnull out);

// curl_multi_setopt for long-valued options.
CURLMcode cg_multi_setopt_long(CURLM *_Nonnull handle, CURLMoption option, long value);

#endif
