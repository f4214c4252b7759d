/**
 * @file sha256.h
 * @brief SHA-256 of a byte stream on the build's crypto library: mbedTLS 2.28 by default; with
 *        the OpenSSL TLS backend (HOTA_TLS_BACKEND=openssl, Linux hosts) OpenSSL's libcrypto,
 *        whose SHA-256 uses the CPU's SHA extensions where they exist.
 *
 * The context is caller-allocated, fixed-size and holds no other resource: no call allocates,
 * none can fail. hota_sha256_free() is safe twice and right after init.
 */
#ifndef HOTA_SHA256_H
#define HOTA_SHA256_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/** A running SHA-256. The storage fits either library's context; treat it as opaque. */
typedef struct hota_sha256 {
    uint64_t opaque[16];
} hota_sha256_t;

/** @brief Start an empty hash. Cannot fail. */
void hota_sha256_init(hota_sha256_t *s);

/** @brief Hash len more bytes (p may be NULL when len is 0). Cannot fail. */
void hota_sha256_update(hota_sha256_t *s, const void *p, size_t len);

/** @brief The digest of everything hashed so far; s is unchanged and may go on. */
void hota_sha256_peek(const hota_sha256_t *s, uint8_t out[32]);

/** @brief The digest of everything hashed; s must be initialised again before more use. */
void hota_sha256_finish(hota_sha256_t *s, uint8_t out[32]);

/** @brief Wipe the context. Safe twice and right after init. */
void hota_sha256_free(hota_sha256_t *s);

/** @brief Name of the library doing the work: "mbedtls" or "openssl". */
const char *hota_sha256_library(void);

#ifdef __cplusplus
}
#endif
#endif
