/* Secure Boot V2 key material: the bytes a block stores for a public key, and their digest. */
#include "sbv2_priv.h"

#include "hota/error.h"
#include "core/bytes.h"

#include <mbedtls/ecp.h>
#include <mbedtls/rsa.h>
#include <mbedtls/sha256.h>

#include <string.h>

/* R = 2^(2 * 3072) mod n (the Montgomery constant the ESP RSA peripheral is given) and
 * mdash = -n^-1 mod 2^32. */
static int rsa_montgomery(const mbedtls_mpi *n, mbedtls_mpi *rinv, uint32_t *mdash)
{
    int mrc;
    uint8_t inv_le[4];
    mbedtls_mpi t, inv;
    mbedtls_mpi_init(&t);
    mbedtls_mpi_init(&inv);
    mrc = mbedtls_mpi_lset(rinv, 1);
    if (mrc == 0)
        mrc = mbedtls_mpi_shift_l(rinv, 2 * 3072);
    if (mrc == 0)
        mrc = mbedtls_mpi_mod_mpi(rinv, rinv, n);
    if (mrc == 0)
        mrc = mbedtls_mpi_lset(&t, 1);
    if (mrc == 0)
        mrc = mbedtls_mpi_shift_l(&t, 32);
    if (mrc == 0)
        mrc = mbedtls_mpi_inv_mod(&inv, n, &t);
    if (mrc == 0)
        mrc = mbedtls_mpi_write_binary_le(&inv, inv_le, sizeof inv_le);
    if (mrc == 0)
        *mdash = 0u - hota_get_le32(inv_le);
    mbedtls_mpi_free(&inv);
    mbedtls_mpi_free(&t);
    return mrc == 0 ? HOTA_OK : hota_sbv2_mbedtls_err(mrc, HOTA_E_KEY);
}

int hota_sbv2_rsa_material(const mbedtls_mpi *n, const mbedtls_mpi *e,
                           uint8_t out[SBV2_RSA_KEY_LEN])
{
    int rc = HOTA_E_KEY;
    uint32_t mdash = 0;
    mbedtls_mpi rinv;
    mbedtls_mpi_init(&rinv);
    if (mbedtls_mpi_bitlen(n) != 3072 || mbedtls_mpi_get_bit(n, 0) != 1 ||
        mbedtls_mpi_cmp_int(e, 3) < 0 || mbedtls_mpi_bitlen(e) > 32)
        goto out;
    if (mbedtls_mpi_write_binary_le(n, out, SBV2_RSA_BYTES) != 0 ||
        mbedtls_mpi_write_binary_le(e, out + SBV2_RSA_BYTES, 4) != 0)
        goto out;
    rc = rsa_montgomery(n, &rinv, &mdash);
    if (rc != HOTA_OK)
        goto out;
    rc = HOTA_E_KEY;
    if (mbedtls_mpi_write_binary_le(&rinv, out + SBV2_RSA_BYTES + 4, SBV2_RSA_BYTES) != 0)
        goto out;
    hota_put_le32(out + 2 * SBV2_RSA_BYTES + 4, mdash);
    rc = HOTA_OK;
out:
    mbedtls_mpi_free(&rinv);
    return rc;
}

static int pk_rsa_material(const mbedtls_pk_context *pk, uint8_t *out)
{
    int rc = HOTA_E_KEY;
    mbedtls_mpi n, e;
    mbedtls_mpi_init(&n);
    mbedtls_mpi_init(&e);
    if (mbedtls_rsa_export(mbedtls_pk_rsa(*pk), &n, NULL, NULL, NULL, &e) == 0)
        rc = hota_sbv2_rsa_material(&n, &e, out);
    mbedtls_mpi_free(&e);
    mbedtls_mpi_free(&n);
    return rc;
}

/* curve id, then x and y little-endian, each as wide as the curve. */
static int pk_ec_material(const mbedtls_pk_context *pk, uint8_t *out, uint16_t *len,
                          hota_sig_scheme_t *scheme)
{
    const mbedtls_ecp_keypair *kp = mbedtls_pk_ec(*pk);
    size_t w;
    if (kp->grp.id == MBEDTLS_ECP_DP_SECP256R1) {
        w = 32;
        out[0] = SBV2_CURVE_P256;
        *scheme = HOTA_SIG_ECDSA256;
    } else if (kp->grp.id == MBEDTLS_ECP_DP_SECP384R1) {
        w = 48;
        out[0] = SBV2_CURVE_P384;
        *scheme = HOTA_SIG_ECDSA384;
    } else {
        return HOTA_E_KEY;
    }
    if (mbedtls_mpi_write_binary_le(&kp->Q.X, out + 1, w) != 0 ||
        mbedtls_mpi_write_binary_le(&kp->Q.Y, out + 1 + w, w) != 0)
        return HOTA_E_KEY;
    *len = (uint16_t)(1 + 2 * w);
    return HOTA_OK;
}

int hota_sbv2_pk_material(const mbedtls_pk_context *pk, uint8_t out[HOTA_SBV2_KEY_MAX],
                          uint16_t *len, hota_sig_scheme_t *scheme)
{
    int rc;
    switch (mbedtls_pk_get_type(pk)) {
    case MBEDTLS_PK_RSA:
        rc = pk_rsa_material(pk, out);
        *len = SBV2_RSA_KEY_LEN;
        *scheme = HOTA_SIG_RSA3072;
        return rc;
    case MBEDTLS_PK_ECKEY:
    case MBEDTLS_PK_ECDSA:
        return pk_ec_material(pk, out, len, scheme);
    default:
        return HOTA_E_KEY;
    }
}

static int pk_load_err(int mrc)
{
    if (mrc == MBEDTLS_ERR_PK_FILE_IO_ERROR)
        return HOTA_E_FILE_OPEN;
    return hota_sbv2_mbedtls_err(mrc, HOTA_E_KEY);
}

int hota_sbv2_load_private(mbedtls_pk_context *pk, const char *path)
{
    int mrc = mbedtls_pk_parse_keyfile(pk, path, NULL);
    return mrc == 0 ? HOTA_OK : pk_load_err(mrc);
}

/* A public key file, or else a private key file (whose public half is used). */
static int load_any(mbedtls_pk_context *pk, const char *path)
{
    int mrc = mbedtls_pk_parse_public_keyfile(pk, path);
    if (mrc == 0 || mrc == MBEDTLS_ERR_PK_FILE_IO_ERROR || mrc == MBEDTLS_ERR_PK_ALLOC_FAILED)
        return mrc == 0 ? HOTA_OK : pk_load_err(mrc);
    mbedtls_pk_free(pk);
    mbedtls_pk_init(pk);
    return hota_sbv2_load_private(pk, path);
}

int hota_sbv2_key_digest_file(const char *pem_path, uint8_t out[32], hota_sig_scheme_t *scheme)
{
    int rc;
    uint16_t len = 0;
    hota_sig_scheme_t sch = HOTA_SIG_NONE;
    uint8_t material[HOTA_SBV2_KEY_MAX];
    mbedtls_pk_context pk;
    if (!pem_path || !out)
        return HOTA_E_INVALID_ARG;
    mbedtls_pk_init(&pk);
    rc = load_any(&pk, pem_path);
    if (rc != HOTA_OK)
        goto out;
    rc = hota_sbv2_pk_material(&pk, material, &len, &sch);
    if (rc != HOTA_OK)
        goto out;
    rc = mbedtls_sha256_ret(material, len, out, 0) == 0 ? HOTA_OK : HOTA_E_INTERNAL;
    if (rc == HOTA_OK && scheme)
        *scheme = sch;
out:
    mbedtls_pk_free(&pk);
    return rc;
}
