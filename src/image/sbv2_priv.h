/* Internal pieces shared by sbv2.c (parse, verify), sbv2_key.c (key material) and sbv2_sign.c. */
#ifndef HOTA_SBV2_PRIV_H
#define HOTA_SBV2_PRIV_H

#include "hota/sbv2.h"

#include <mbedtls/bignum.h>
#include <mbedtls/pk.h>

/* Block field offsets (see the table in include/hota/sbv2.h). */
#define SBV2_OFF_DIGEST 4
#define SBV2_OFF_KEY 36          /* RSA and ECDSA with a SHA-256 digest */
#define SBV2_OFF_KEY_384 52      /* ECDSA with a SHA-384 digest */
#define SBV2_OFF_CRC HOTA_SBV2_CRC_LEN
#define SBV2_RSA_BYTES 384
#define SBV2_RSA_KEY_LEN (384 + 4 + 384 + 4)
#define SBV2_ECDSA_TYPE_SHA256 0
#define SBV2_ECDSA_TYPE_SHA384 1
#define SBV2_CURVE_P192 1
#define SBV2_CURVE_P256 2
#define SBV2_CURVE_P384 3

/* Map an mbedTLS result to a hota code: 0 to HOTA_OK, allocation failures to NO_MEMORY,
 * anything else to fallback. */
int hota_sbv2_mbedtls_err(int mbedtls_rc, int fallback);

/* Key material of an RSA public key (n, e) as stored in a block: n LE, e LE32, rinv LE, mdash.
 * HOTA_OK, HOTA_E_KEY (n not 3072 bits, even, or e wider than 32 bits), HOTA_E_NO_MEMORY. */
int hota_sbv2_rsa_material(const mbedtls_mpi *n, const mbedtls_mpi *e,
                           uint8_t out[SBV2_RSA_KEY_LEN]);

/* Key material (block bytes) and scheme of a parsed public or private key.
 * HOTA_OK, HOTA_E_KEY (not RSA-3072, P-256 or P-384), HOTA_E_NO_MEMORY. */
int hota_sbv2_pk_material(const mbedtls_pk_context *pk, uint8_t out[HOTA_SBV2_KEY_MAX],
                          uint16_t *len, hota_sig_scheme_t *scheme);

/* Load a PEM private key file: HOTA_OK, HOTA_E_FILE_OPEN, HOTA_E_KEY, HOTA_E_NO_MEMORY. */
int hota_sbv2_load_private(mbedtls_pk_context *pk, const char *path);

/* Reverse n bytes from src into dst (little-endian <-> big-endian); src != dst. */
void hota_sbv2_reverse(uint8_t *dst, const uint8_t *src, size_t n);

#endif
