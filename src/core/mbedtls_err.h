/* Internal: reading mbedTLS 2.28 error codes. */
#ifndef HOTA_CORE_MBEDTLS_ERR_H
#define HOTA_CORE_MBEDTLS_ERR_H

#include <mbedtls/asn1.h>
#include <mbedtls/bignum.h>
#include <mbedtls/ecp.h>
#include <mbedtls/md.h>
#include <mbedtls/pem.h>
#include <mbedtls/pk.h>
#include <mbedtls/ssl.h>
#include <mbedtls/x509.h>

/* An mbedTLS code is a high-level part (bits 7..14) plus a low-level part (bits 0..6); either
 * may say "out of memory". 1 when r reports a failed allocation. */
static inline int hota_mbedtls_alloc_failed(int r)
{
    int hi = -((-r) & 0x7F80), lo = -((-r) & 0x007F);
    return hi == MBEDTLS_ERR_SSL_ALLOC_FAILED || hi == MBEDTLS_ERR_X509_ALLOC_FAILED ||
           hi == MBEDTLS_ERR_PK_ALLOC_FAILED || hi == MBEDTLS_ERR_ECP_ALLOC_FAILED ||
           hi == MBEDTLS_ERR_PEM_ALLOC_FAILED || hi == MBEDTLS_ERR_MD_ALLOC_FAILED ||
           lo == MBEDTLS_ERR_ASN1_ALLOC_FAILED || lo == MBEDTLS_ERR_MPI_ALLOC_FAILED;
}

#endif
