/**
 * @file alloc.h
 * @brief The allocator every hota allocation goes through (and, once installed, mbedTLS's too).
 *
 * hota allocates only when a context is set up (TLS contexts inside mbedTLS, a few caller-sized
 * buffers); the streaming path never allocates. The hook lets tests fail the N-th allocation
 * and lets the benchmark count peak heap. The counters are process-wide by nature (one heap).
 *
 * Debian's libmbedtls is built without MBEDTLS_PLATFORM_MEMORY, so hota_alloc_install_mbedtls()
 * does nothing there and hota_alloc_stats() counts only hota's own allocations. To count and
 * fail every allocation of a process, mbedTLS's included, a test program interposes libc's
 * allocator with tests/support/alloc_interpose.h: HOTA_ALLOC_INTERPOSE() defines
 * malloc/calloc/realloc/free in the executable, the dynamic linker binds the shared mbedTLS
 * libraries' calls to them, and they forward to the next definition (libc's, or a sanitizer's)
 * through dlsym(RTLD_NEXT). With an mbedTLS built with MBEDTLS_PLATFORM_MEMORY,
 * hota_alloc_install_mbedtls() routes it through this hook instead.
 */
#ifndef HOTA_ALLOC_H
#define HOTA_ALLOC_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Counters kept by the allocator (process-wide; single-threaded use). */
typedef struct hota_alloc_stats {
    uint64_t count;        /**< successful allocations so far */
    size_t current;        /**< bytes in use now */
    size_t peak;           /**< highest value of current since the last reset */
    uint64_t fail_at;      /**< 0: never fail; N: the N-th allocation from now on fails */
    uint64_t failed;       /**< allocations refused by fail_at */
} hota_alloc_stats_t;

/** @brief calloc through the hook. @return NULL on failure (real or injected). */
void *hota_calloc(size_t n, size_t size);
/** @brief free through the hook; NULL is fine. */
void hota_free(void *p);
/** @brief Route mbedTLS's own allocations through the hook (call once, before any TLS use). */
void hota_alloc_install_mbedtls(void);
/** @brief Fail the n-th allocation counted from now (0 disables). Reads HOTA_ALLOC_FAIL_AT too. */
void hota_alloc_fail_at(uint64_t n);
/** @brief Reset peak to current and return a copy of the counters. */
hota_alloc_stats_t hota_alloc_stats(int reset_peak);

#ifdef __cplusplus
}
#endif
#endif
