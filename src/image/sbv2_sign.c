/* Secure Boot V2 signing: one block per private key, in a 4096-byte signature sector. */
#include "sbv2_priv.h"

#include "hota/error.h"
#include "hota/port.h"
#include "core/bytes.h"

#include <mbedtls/ctr_drbg.h>
#include <mbedtls/ecdsa.h>
#include <mbedtls/entropy.h>
#include <mbedtls/rsa.h>
#include <mbedtls/sha256.h>
#include <mbedtls/sha512.h>

#include <string.h>

/* The image digests a signing run may need: SHA-384 only for P-384 keys (NULL if unknown). */
struct sbv2_digests {
    const uint8_t *sha256;
    const uint8_t *sha384;
};

static const char drbg_label[] = "hota sbv2 sign";

static int entropy_cb(void *unused, unsigned char *buf, size_t len)
{
    (void)unused;
    return hota_entropy(buf, len) == HOTA_OK ? 0 : MBEDTLS_ERR_ENTROPY_SOURCE_FAILED;
}

/* RSA-PSS (SHA-256, MGF1-SHA-256, 32-byte salt) over the digest; stored little-endian. */
static int sign_rsa(mbedtls_pk_context *pk, mbedtls_ctr_drbg_context *drbg,
                    const uint8_t digest[32], uint8_t *sig_out)
{
    uint8_t sig_be[SBV2_RSA_BYTES];
    mbedtls_rsa_context *rsa = mbedtls_pk_rsa(*pk);
    int mrc;
    mbedtls_rsa_set_padding(rsa, MBEDTLS_RSA_PKCS_V21, MBEDTLS_MD_SHA256);
    mrc = mbedtls_rsa_rsassa_pss_sign_ext(rsa, mbedtls_ctr_drbg_random, drbg, MBEDTLS_MD_SHA256,
                                          32, digest, 32, sig_be);
    if (mrc != 0)
        return hota_sbv2_mbedtls_err(mrc, HOTA_E_SIGN);
    hota_sbv2_reverse(sig_out, sig_be, SBV2_RSA_BYTES);
    return HOTA_OK;
}

/* ECDSA over the digest; r then s, each little-endian and w bytes wide. */
static int sign_ecdsa(mbedtls_pk_context *pk, mbedtls_ctr_drbg_context *drbg,
                      const uint8_t *digest, size_t w, uint8_t *sig_out)
{
    mbedtls_ecp_keypair *kp = mbedtls_pk_ec(*pk);
    mbedtls_mpi r, s;
    int mrc;
    mbedtls_mpi_init(&r);
    mbedtls_mpi_init(&s);
    mrc = mbedtls_ecdsa_sign(&kp->grp, &r, &s, &kp->d, digest, w, mbedtls_ctr_drbg_random, drbg);
    if (mrc == 0)
        mrc = mbedtls_mpi_write_binary_le(&r, sig_out, w);
    if (mrc == 0)
        mrc = mbedtls_mpi_write_binary_le(&s, sig_out + w, w);
    mbedtls_mpi_free(&s);
    mbedtls_mpi_free(&r);
    return mrc == 0 ? HOTA_OK : hota_sbv2_mbedtls_err(mrc, HOTA_E_SIGN);
}

/* Header, digest, key material and signature of one block for a loaded private key. */
static int fill_block(mbedtls_pk_context *pk, mbedtls_ctr_drbg_context *drbg,
                      const struct sbv2_digests *d, uint8_t *blk)
{
    uint8_t material[HOTA_SBV2_KEY_MAX];
    uint16_t len = 0;
    hota_sig_scheme_t scheme = HOTA_SIG_NONE;
    size_t dlen = 32, off = SBV2_OFF_KEY;
    int rc = hota_sbv2_pk_material(pk, material, &len, &scheme);
    if (rc != HOTA_OK)
        return rc;
    if (scheme == HOTA_SIG_ECDSA384) {
        if (!d->sha384)
            return HOTA_E_UNSUPPORTED;
        dlen = 48;
        off = SBV2_OFF_KEY_384;
    }
    memset(blk, 0, HOTA_SBV2_BLOCK_SIZE);
    blk[0] = HOTA_SBV2_MAGIC;
    blk[1] = scheme == HOTA_SIG_RSA3072 ? HOTA_SBV2_VERSION_RSA : HOTA_SBV2_VERSION_ECDSA;
    blk[2] = dlen == 48 ? SBV2_ECDSA_TYPE_SHA384 : SBV2_ECDSA_TYPE_SHA256;
    memcpy(blk + SBV2_OFF_DIGEST, dlen == 48 ? d->sha384 : d->sha256, dlen);
    memcpy(blk + off, material, len);
    if (scheme == HOTA_SIG_RSA3072)
        rc = sign_rsa(pk, drbg, d->sha256, blk + off + len);
    else
        rc = sign_ecdsa(pk, drbg, blk + SBV2_OFF_DIGEST, dlen, blk + off + len);
    if (rc == HOTA_OK)
        hota_put_le32(blk + SBV2_OFF_CRC, hota_crc32_le(0, blk, HOTA_SBV2_CRC_LEN));
    return rc;
}

/* Parse the block just written and verify it, so a bad block never leaves this module. */
static int check_block(const uint8_t *sector, unsigned i, const struct sbv2_digests *d)
{
    hota_sbv2_block_t b;
    int rc = hota_sbv2_parse_block(sector, i, &b);
    if (rc != HOTA_OK)
        return HOTA_E_SIGN;
    if (b.scheme == HOTA_SIG_ECDSA384)
        rc = hota_sbv2_verify_block_digest(&b, d->sha384, 48);
    else
        rc = hota_sbv2_verify_block(&b, d->sha256);
    return rc == HOTA_OK || rc == HOTA_E_NO_MEMORY ? rc : HOTA_E_SIGN;
}

static int sign_one(const char *path, mbedtls_ctr_drbg_context *drbg,
                    const struct sbv2_digests *d, uint8_t *sector, unsigned i)
{
    mbedtls_pk_context pk;
    int rc;
    mbedtls_pk_init(&pk);
    rc = hota_sbv2_load_private(&pk, path);
    if (rc == HOTA_OK)
        rc = fill_block(&pk, drbg, d, sector + (size_t)i * HOTA_SBV2_BLOCK_SIZE);
    if (rc == HOTA_OK)
        rc = check_block(sector, i, d);
    mbedtls_pk_free(&pk);
    return rc;
}

static int sign_sector(const struct sbv2_digests *d, const char *const *paths, unsigned n,
                       uint8_t *sector)
{
    int rc = HOTA_E_INVALID_ARG;
    mbedtls_ctr_drbg_context drbg;
    mbedtls_ctr_drbg_init(&drbg);
    if (!paths || !sector || n < 1 || n > HOTA_SBV2_MAX_BLOCKS)
        goto out;
    for (unsigned i = 0; i < n; i++)
        if (!paths[i])
            goto out;
    rc = HOTA_E_IO;
    if (mbedtls_ctr_drbg_seed(&drbg, entropy_cb, NULL, (const unsigned char *)drbg_label,
                              sizeof drbg_label - 1) != 0)
        goto out;
    memset(sector, 0xFF, HOTA_SBV2_SECTOR_SIZE);
    for (unsigned i = 0; i < n; i++) {
        rc = sign_one(paths[i], &drbg, d, sector, i);
        if (rc != HOTA_OK)
            goto out;
    }
out:
    mbedtls_ctr_drbg_free(&drbg);
    return rc;
}

int hota_sbv2_sign(const uint8_t image_digest[32], const char *const *priv_pem_paths, unsigned n,
                   uint8_t sector[HOTA_SBV2_SECTOR_SIZE])
{
    struct sbv2_digests d = {image_digest, NULL};
    if (!image_digest)
        return HOTA_E_INVALID_ARG;
    return sign_sector(&d, priv_pem_paths, n, sector);
}

/* SHA-256 and SHA-384 of image[0..len) followed by 0xFF up to the next 4096-byte boundary. */
static int padded_digests(const uint8_t *image, size_t len, uint8_t sha256[32], uint8_t sha384[48])
{
    uint8_t ff[64], out512[64]; /* SHA-384 output through the SHA-512 API's 64-byte buffer */
    size_t pad = (HOTA_SBV2_SECTOR_SIZE - len % HOTA_SBV2_SECTOR_SIZE) % HOTA_SBV2_SECTOR_SIZE;
    int mrc;
    mbedtls_sha256_context s2;
    mbedtls_sha512_context s5;
    mbedtls_sha256_init(&s2);
    mbedtls_sha512_init(&s5);
    memset(ff, 0xFF, sizeof ff);
    mrc = mbedtls_sha256_starts_ret(&s2, 0) | mbedtls_sha512_starts_ret(&s5, 1);
    mrc |= mbedtls_sha256_update_ret(&s2, image, len) | mbedtls_sha512_update_ret(&s5, image, len);
    for (size_t k = 0; mrc == 0 && k < pad; k += sizeof ff) {
        size_t c = pad - k < sizeof ff ? pad - k : sizeof ff;
        mrc = mbedtls_sha256_update_ret(&s2, ff, c) | mbedtls_sha512_update_ret(&s5, ff, c);
    }
    if (mrc == 0)
        mrc = mbedtls_sha256_finish_ret(&s2, sha256) | mbedtls_sha512_finish_ret(&s5, out512);
    memcpy(sha384, out512, 48);
    mbedtls_sha512_free(&s5);
    mbedtls_sha256_free(&s2);
    return mrc == 0 ? HOTA_OK : HOTA_E_INTERNAL;
}

int hota_sbv2_sign_image(const uint8_t *image, size_t len, const char *const *priv_pem_paths,
                         unsigned n, uint8_t sector[HOTA_SBV2_SECTOR_SIZE])
{
    uint8_t sha256[32], sha384[48];
    struct sbv2_digests d = {sha256, sha384};
    int rc;
    if (!image && len)
        return HOTA_E_INVALID_ARG;
    rc = padded_digests(image ? image : sha256, len, sha256, sha384);
    if (rc != HOTA_OK)
        return rc;
    return sign_sector(&d, priv_pem_paths, n, sector);
}
