/* Secure Boot V2 signature blocks: parsing and verification (layout in include/hota/sbv2.h). */
#include "sbv2_priv.h"

#include "hota/error.h"
#include "core/bytes.h"
#include "core/mbedtls_err.h"

#include <mbedtls/ecdsa.h>
#include <mbedtls/ecp.h>
#include <mbedtls/md.h>
#include <mbedtls/rsa.h>
#include <mbedtls/sha256.h>

#include <string.h>

/* Where each kind of block keeps its pieces. */
struct block_shape {
    hota_sig_scheme_t scheme;
    uint16_t digest_len, key_off, key_len, sig_len;
};

static const struct block_shape shape_rsa = {HOTA_SIG_RSA3072, 32, SBV2_OFF_KEY,
                                             SBV2_RSA_KEY_LEN, SBV2_RSA_BYTES};
static const struct block_shape shape_p256 = {HOTA_SIG_ECDSA256, 32, SBV2_OFF_KEY, 65, 64};
static const struct block_shape shape_p384 = {HOTA_SIG_ECDSA384, 48, SBV2_OFF_KEY_384, 97, 96};

const char *hota_sig_scheme_name(hota_sig_scheme_t scheme)
{
    switch (scheme) {
    case HOTA_SIG_RSA3072:
        return "rsa3072";
    case HOTA_SIG_ECDSA256:
        return "ecdsa256";
    case HOTA_SIG_ECDSA384:
        return "ecdsa384";
    default:
        return "none";
    }
}

void hota_sbv2_reverse(uint8_t *dst, const uint8_t *src, size_t n)
{
    for (size_t i = 0; i < n; i++)
        dst[i] = src[n - 1 - i];
}

int hota_sbv2_mbedtls_err(int mbedtls_rc, int fallback)
{
    if (mbedtls_rc == 0)
        return HOTA_OK;
    return hota_mbedtls_alloc_failed(mbedtls_rc) ? HOTA_E_NO_MEMORY : fallback;
}

/* The shape of a block from its version, digest type and curve id; NULL when unknown. */
static const struct block_shape *block_shape(const uint8_t *blk)
{
    if (blk[1] == HOTA_SBV2_VERSION_RSA)
        return &shape_rsa;
    if (blk[1] != HOTA_SBV2_VERSION_ECDSA)
        return NULL;
    if (blk[2] == SBV2_ECDSA_TYPE_SHA256 && blk[SBV2_OFF_KEY] == SBV2_CURVE_P256)
        return &shape_p256;
    if (blk[2] == SBV2_ECDSA_TYPE_SHA384 && blk[SBV2_OFF_KEY_384] == SBV2_CURVE_P384)
        return &shape_p384;
    return NULL;
}

int hota_sbv2_parse_block(const uint8_t *sector, unsigned i, hota_sbv2_block_t *out)
{
    const uint8_t *blk;
    const struct block_shape *sh;
    if (!sector || !out || i >= HOTA_SBV2_MAX_BLOCKS)
        return HOTA_E_INVALID_ARG;
    blk = sector + (size_t)i * HOTA_SBV2_BLOCK_SIZE;
    if (blk[0] != HOTA_SBV2_MAGIC)
        return HOTA_E_NOT_FOUND;
    if (blk[1] != HOTA_SBV2_VERSION_RSA && blk[1] != HOTA_SBV2_VERSION_ECDSA)
        return HOTA_E_SIG_BLOCK;
    if (hota_crc32_le(0, blk, HOTA_SBV2_CRC_LEN) != hota_get_le32(blk + SBV2_OFF_CRC))
        return HOTA_E_SIG_CRC;
    sh = block_shape(blk);
    if (!sh)
        return HOTA_E_SIG_BLOCK;
    memset(out, 0, sizeof *out);
    out->scheme = sh->scheme;
    if (sh->digest_len == 32)
        memcpy(out->image_digest, blk + SBV2_OFF_DIGEST, 32);
    else
        memcpy(out->image_digest384, blk + SBV2_OFF_DIGEST, 48);
    out->key_len = sh->key_len;
    memcpy(out->key, blk + sh->key_off, sh->key_len);
    out->sig_len = sh->sig_len;
    memcpy(out->sig, blk + sh->key_off + sh->key_len, sh->sig_len);
    if (mbedtls_sha256_ret(out->key, out->key_len, out->key_digest, 0) != 0)
        return HOTA_E_INTERNAL;
    return HOTA_OK;
}

/* RSA: the stored rinv and mdash must be the ones derived from n, then PSS must verify. */
static int rsa_check_material(const hota_sbv2_block_t *b, mbedtls_mpi *n, mbedtls_mpi *e)
{
    uint8_t expect[SBV2_RSA_KEY_LEN];
    int rc = hota_sbv2_mbedtls_err(mbedtls_mpi_read_binary_le(n, b->key, SBV2_RSA_BYTES),
                                   HOTA_E_KEY);
    if (rc != HOTA_OK)
        return rc;
    rc = hota_sbv2_mbedtls_err(mbedtls_mpi_read_binary_le(e, b->key + SBV2_RSA_BYTES, 4),
                               HOTA_E_KEY);
    if (rc != HOTA_OK)
        return rc;
    rc = hota_sbv2_rsa_material(n, e, expect);
    if (rc == HOTA_OK && memcmp(expect, b->key, SBV2_RSA_KEY_LEN) != 0)
        rc = HOTA_E_KEY;
    return rc;
}

static int rsa_verify(const hota_sbv2_block_t *b, const uint8_t digest[32])
{
    int rc, mrc;
    uint8_t sig_be[SBV2_RSA_BYTES];
    mbedtls_mpi n, e;
    mbedtls_rsa_context rsa;
    mbedtls_mpi_init(&n);
    mbedtls_mpi_init(&e);
    mbedtls_rsa_init(&rsa, MBEDTLS_RSA_PKCS_V21, MBEDTLS_MD_SHA256);
    rc = rsa_check_material(b, &n, &e);
    if (rc != HOTA_OK)
        goto out;
    mrc = mbedtls_rsa_import(&rsa, &n, NULL, NULL, NULL, &e);
    if (mrc == 0)
        mrc = mbedtls_rsa_complete(&rsa);
    if (mrc == 0)
        mrc = mbedtls_rsa_check_pubkey(&rsa);
    rc = hota_sbv2_mbedtls_err(mrc, HOTA_E_KEY);
    if (rc != HOTA_OK)
        goto out;
    hota_sbv2_reverse(sig_be, b->sig, SBV2_RSA_BYTES);
    mrc = mbedtls_rsa_rsassa_pss_verify_ext(&rsa, NULL, NULL, MBEDTLS_RSA_PUBLIC, MBEDTLS_MD_SHA256,
                                            32, digest, MBEDTLS_MD_SHA256, 32, sig_be);
    rc = mrc == 0 ? HOTA_OK : hota_sbv2_mbedtls_err(mrc, HOTA_E_SIG_INVALID);
out:
    mbedtls_rsa_free(&rsa);
    mbedtls_mpi_free(&e);
    mbedtls_mpi_free(&n);
    return rc;
}

/* ECDSA: key[0] is the curve id, then x and y; sig is r then s; all little-endian. */
static int ecdsa_load(const hota_sbv2_block_t *b, mbedtls_ecp_group *grp, mbedtls_ecp_point *q,
                      mbedtls_mpi *r, mbedtls_mpi *s)
{
    size_t w = b->scheme == HOTA_SIG_ECDSA384 ? 48 : 32;
    mbedtls_ecp_group_id gid = w == 48 ? MBEDTLS_ECP_DP_SECP384R1 : MBEDTLS_ECP_DP_SECP256R1;
    int mrc = mbedtls_ecp_group_load(grp, gid);
    if (mrc == 0)
        mrc = mbedtls_mpi_read_binary_le(&q->X, b->key + 1, w);
    if (mrc == 0)
        mrc = mbedtls_mpi_read_binary_le(&q->Y, b->key + 1 + w, w);
    if (mrc == 0)
        mrc = mbedtls_mpi_lset(&q->Z, 1);
    if (mrc == 0)
        mrc = mbedtls_ecp_check_pubkey(grp, q);
    if (mrc != 0)
        return hota_sbv2_mbedtls_err(mrc, HOTA_E_KEY);
    mrc = mbedtls_mpi_read_binary_le(r, b->sig, w);
    if (mrc == 0)
        mrc = mbedtls_mpi_read_binary_le(s, b->sig + w, w);
    return mrc == 0 ? HOTA_OK : hota_sbv2_mbedtls_err(mrc, HOTA_E_SIG_INVALID);
}

static int ecdsa_verify(const hota_sbv2_block_t *b, const uint8_t *digest, size_t len)
{
    int rc, mrc;
    mbedtls_ecp_group grp;
    mbedtls_ecp_point q;
    mbedtls_mpi r, s;
    mbedtls_ecp_group_init(&grp);
    mbedtls_ecp_point_init(&q);
    mbedtls_mpi_init(&r);
    mbedtls_mpi_init(&s);
    rc = ecdsa_load(b, &grp, &q, &r, &s);
    if (rc != HOTA_OK)
        goto out;
    mrc = mbedtls_ecdsa_verify(&grp, digest, len, &q, &r, &s);
    rc = mrc == 0 ? HOTA_OK : hota_sbv2_mbedtls_err(mrc, HOTA_E_SIG_INVALID);
out:
    mbedtls_mpi_free(&s);
    mbedtls_mpi_free(&r);
    mbedtls_ecp_point_free(&q);
    mbedtls_ecp_group_free(&grp);
    return rc;
}

int hota_sbv2_verify_block_digest(const hota_sbv2_block_t *b, const uint8_t *digest,
                                  size_t digest_len)
{
    size_t want;
    const uint8_t *stored;
    if (!b || !digest)
        return HOTA_E_INVALID_ARG;
    want = b->scheme == HOTA_SIG_ECDSA384 ? 48 : 32;
    stored = want == 48 ? b->image_digest384 : b->image_digest;
    if (digest_len != want || memcmp(stored, digest, want) != 0)
        return HOTA_E_SIG_DIGEST;
    switch (b->scheme) {
    case HOTA_SIG_RSA3072:
        return rsa_verify(b, digest);
    case HOTA_SIG_ECDSA256:
    case HOTA_SIG_ECDSA384:
        return ecdsa_verify(b, digest, want);
    default:
        return HOTA_E_KEY;
    }
}

int hota_sbv2_verify_block(const hota_sbv2_block_t *b, const uint8_t image_digest[32])
{
    if (!b || !image_digest)
        return HOTA_E_INVALID_ARG;
    if (b->scheme == HOTA_SIG_ECDSA384)
        return HOTA_E_UNSUPPORTED;
    return hota_sbv2_verify_block_digest(b, image_digest, 32);
}
