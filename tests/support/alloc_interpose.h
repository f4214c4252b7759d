/* Counting and failing every heap allocation of a test program, mbedTLS's included.
 *
 * Debian's mbedTLS is built without MBEDTLS_PLATFORM_MEMORY, so mbedtls_platform_set_calloc_free()
 * does not exist and hota_alloc_install_mbedtls() cannot route mbedTLS through hota's allocator.
 * Instead a test program interposes the C library's allocator itself: a program that writes
 * HOTA_ALLOC_INTERPOSE() at file scope defines malloc, calloc, realloc and free. The dynamic
 * linker binds every call to them - the program's own, the shared libmbedtls/libmbedx509/
 * libmbedcrypto's and libc's internal ones - to these definitions, which count the call, fail
 * it when it is the armed one, and forward it to the next definition in lookup order
 * (dlsym(RTLD_NEXT): libc's allocator, or the sanitizer's when built with HOTA_SANITIZE, so
 * AddressSanitizer and LeakSanitizer still see every block).
 *
 * Only programs that expand the macro are affected; the helpers below do nothing elsewhere.
 * Blocks allocated while counting is on are remembered (in a fixed table, no allocation) so
 * that `live` tells how many of them are still not freed: a run that returns to live == 0
 * leaked nothing. Single-threaded use only.
 */
#ifndef HOTA_ALLOC_INTERPOSE_H
#define HOTA_ALLOC_INTERPOSE_H

#include <stddef.h>
#include <stdint.h>

typedef struct hota_ip_stats {
    uint64_t calls;   /* allocation calls (malloc, calloc, realloc) while counting */
    uint64_t failed;  /* calls refused by the armed failure */
    uint64_t live;    /* blocks allocated while counting and not freed yet */
    int overflow;     /* 1: more live blocks than the table holds (live is then a lower bound) */
} hota_ip_stats_t;

/* Start counting from zero; fail_at = N > 0 makes the N-th allocation call return NULL. */
void hota_ip_start(uint64_t fail_at);
/* Stop counting (and failing); the counters stay readable. */
void hota_ip_stop(void);
/* The counters. */
hota_ip_stats_t hota_ip_stats(void);
/* 1 when the program expanded HOTA_ALLOC_INTERPOSE() (calls really go through the counters). */
int hota_ip_active(void);

void *hota_ip_malloc(size_t n);
void *hota_ip_calloc(size_t n, size_t size);
void *hota_ip_realloc(void *p, size_t n);
void hota_ip_free(void *p);

/* Not instrumented: the sanitizer runtime calls these before it is ready. */
#define HOTA_IP_NOSAN __attribute__((no_sanitize("address", "undefined")))

#define HOTA_ALLOC_INTERPOSE()                                                                \
    HOTA_IP_NOSAN void *malloc(size_t n) { return hota_ip_malloc(n); }                        \
    HOTA_IP_NOSAN void *calloc(size_t n, size_t size) { return hota_ip_calloc(n, size); }     \
    HOTA_IP_NOSAN void *realloc(void *p, size_t n) { return hota_ip_realloc(p, n); }          \
    HOTA_IP_NOSAN void free(void *p) { hota_ip_free(p); }                                     \
    extern int hota_ip_dummy_

#endif
