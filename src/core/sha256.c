/* SHA-256 on the build's crypto library (see hota/sha256.h): one small adapter per library. */
#include "hota/config.h"
#include "hota/sha256.h"

#include <string.h>

#if HOTA_TLS_OPENSSL
/* The SHA256_* calls are the only allocation-free streaming interface of libcrypto (EVP
 * contexts are allocated); OpenSSL 3 keeps them, marked deprecated. */
#define OPENSSL_SUPPRESS_DEPRECATED
#include <openssl/sha.h>
typedef SHA256_CTX ctx_t;
#else
#include <mbedtls/sha256.h>
typedef mbedtls_sha256_context ctx_t;
#endif

_Static_assert(sizeof(ctx_t) <= sizeof(hota_sha256_t), "hota_sha256_t too small");
_Static_assert(_Alignof(ctx_t) <= _Alignof(hota_sha256_t), "hota_sha256_t misaligned");

static ctx_t *ctx(hota_sha256_t *s)
{
    return (ctx_t *)(void *)s->opaque;
}

#if HOTA_TLS_OPENSSL

void hota_sha256_init(hota_sha256_t *s)
{
    memset(s, 0, sizeof *s);
    (void)SHA256_Init(ctx(s));
}

void hota_sha256_update(hota_sha256_t *s, const void *p, size_t len)
{
    if (len)
        (void)SHA256_Update(ctx(s), p, len);
}

void hota_sha256_finish(hota_sha256_t *s, uint8_t out[32])
{
    (void)SHA256_Final(out, ctx(s));
}

const char *hota_sha256_library(void)
{
    return "openssl";
}

#else

void hota_sha256_init(hota_sha256_t *s)
{
    memset(s, 0, sizeof *s);
    mbedtls_sha256_init(ctx(s));
    (void)mbedtls_sha256_starts_ret(ctx(s), 0); /* fails only on hardware-accelerated ports */
}

void hota_sha256_update(hota_sha256_t *s, const void *p, size_t len)
{
    if (len)
        (void)mbedtls_sha256_update_ret(ctx(s), p, len);
}

void hota_sha256_finish(hota_sha256_t *s, uint8_t out[32])
{
    (void)mbedtls_sha256_finish_ret(ctx(s), out);
}

const char *hota_sha256_library(void)
{
    return "mbedtls";
}

#endif

/* Both contexts are plain data (no pointers, nothing to release): a copy hashes on alone. */
void hota_sha256_peek(const hota_sha256_t *s, uint8_t out[32])
{
    hota_sha256_t copy = *s;
    hota_sha256_finish(&copy, out);
    hota_sha256_free(&copy);
}

void hota_sha256_free(hota_sha256_t *s)
{
    volatile uint8_t *p = (volatile uint8_t *)s->opaque;
    for (size_t i = 0; i < sizeof s->opaque; i++)
        p[i] = 0;
}
