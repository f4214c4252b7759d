/* The server's certificates as DER, the same for both TLS backends (hota_tls_peer_cert). */
#include "hota/tls.h"

#include "hota/error.h"

#include <string.h>

#if HOTA_TLS_OPENSSL
#include <openssl/x509.h>

/* Length and bytes of the index-th certificate of the peer's chain (the leaf first). */
static int peer_der(const hota_tls_t *t, size_t index, uint8_t *buf, size_t cap, size_t *len)
{
    STACK_OF(X509) *chain = SSL_get_peer_cert_chain(t->ssl);
    X509 *crt;
    int n;
    if (!chain || index >= (size_t)sk_X509_num(chain))
        return HOTA_E_NOT_FOUND;
    crt = sk_X509_value(chain, (int)index);
    n = i2d_X509(crt, NULL);
    if (n <= 0)
        return HOTA_E_INTERNAL;
    *len = (size_t)n;
    if (cap < *len)
        return HOTA_E_BUFFER_TOO_SMALL;
    return i2d_X509(crt, &buf) == n ? HOTA_OK : HOTA_E_INTERNAL;
}
#else
static int peer_der(const hota_tls_t *t, size_t index, uint8_t *buf, size_t cap, size_t *len)
{
    const mbedtls_x509_crt *crt = mbedtls_ssl_get_peer_cert(&t->ssl);
    for (; crt && crt->raw.p && index; index--)
        crt = crt->next;
    if (!crt || !crt->raw.p)
        return HOTA_E_NOT_FOUND;
    *len = crt->raw.len;
    if (cap < *len)
        return HOTA_E_BUFFER_TOO_SMALL;
    memcpy(buf, crt->raw.p, crt->raw.len);
    return HOTA_OK;
}
#endif

int hota_tls_peer_cert(const hota_tls_t *t, size_t index, uint8_t *buf, size_t cap, size_t *len)
{
    if (!t || !buf || !len)
        return HOTA_E_INVALID_ARG;
    *len = 0;
    if (!t->live || !t->up)
        return HOTA_E_BAD_STATE;
    return peer_der(t, index, buf, cap, len);
}
