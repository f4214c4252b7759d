/* Shared by the verifier tests that need Secure Boot V2 signed images: EC keys written as PEM
 * files into a test directory, and an image signed with some of them. */
#ifndef HOTA_TEST_SIG_FIXTURE_H
#define HOTA_TEST_SIG_FIXTURE_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include <mbedtls/ctr_drbg.h>
#include <mbedtls/ecp.h>
#include <mbedtls/entropy.h>
#include <mbedtls/pk.h>

#include "hota/error.h"
#include "hota/image_create.h"
#include "hota/sbv2.h"

#define SIGFX_SECTOR 4096u
#define SIGFX_PATH 128

/* An EC private key (P-384 when p384, else P-256) written to "<dir>/k<idx>.pem" (the name goes
 * to path, cap bytes) and its key digest as eFuse holds it. */
static inline void sigfx_gen_key(const char *dir, int idx, int p384, mbedtls_ctr_drbg_context *drbg,
                                 char *path, size_t cap, uint8_t digest[32])
{
    static unsigned char pem[4096];
    mbedtls_pk_context pk;
    FILE *out;
    mbedtls_pk_init(&pk);
    assert_int_equal(mbedtls_pk_setup(&pk, mbedtls_pk_info_from_type(MBEDTLS_PK_ECKEY)), 0);
    assert_int_equal(mbedtls_ecp_gen_key(p384 ? MBEDTLS_ECP_DP_SECP384R1
                                              : MBEDTLS_ECP_DP_SECP256R1,
                                         mbedtls_pk_ec(pk), mbedtls_ctr_drbg_random, drbg),
                     0);
    assert_int_equal(mbedtls_pk_write_key_pem(&pk, pem, sizeof pem), 0);
    assert_true(snprintf(path, cap, "%s/k%d.pem", dir, idx) < (int)cap);
    out = fopen(path, "w");
    assert_non_null(out);
    assert_true(fputs((const char *)pem, out) >= 0);
    assert_int_equal(fclose(out), 0);
    assert_int_equal(hota_sbv2_key_digest_file(path, digest, NULL), HOTA_OK);
    mbedtls_pk_free(&pk);
}

/* A new temporary directory from tmpl ("/tmp/name-XXXXXX", changed in place) holding n EC
 * keys k0.pem..k<n-1>.pem (key i is P-384 when bit i of p384_mask is set, else P-256), their
 * paths in priv and their key digests in digest. 0, or -1 when the directory or the random
 * generator could not be had. */
static inline int sigfx_keys(char *tmpl, unsigned n, unsigned p384_mask,
                             char (*priv)[SIGFX_PATH], uint8_t (*digest)[32])
{
    mbedtls_entropy_context ent;
    mbedtls_ctr_drbg_context drbg;
    int rc = -1;
    mbedtls_entropy_init(&ent);
    mbedtls_ctr_drbg_init(&drbg);
    if (mkdtemp(tmpl) && mbedtls_ctr_drbg_seed(&drbg, mbedtls_entropy_func, &ent, NULL, 0) == 0) {
        for (unsigned i = 0; i < n; i++)
            sigfx_gen_key(tmpl, (int)i, (int)((p384_mask >> i) & 1u), &drbg, priv[i], SIGFX_PATH,
                          digest[i]);
        rc = 0;
    }
    mbedtls_ctr_drbg_free(&drbg);
    mbedtls_entropy_free(&ent);
    return rc;
}

/* Remove what sigfx_keys() made. */
static inline void sigfx_keys_remove(const char *dir, unsigned n, char (*priv)[SIGFX_PATH])
{
    for (unsigned i = 0; i < n; i++)
        unlink(priv[i]);
    rmdir(dir);
}

/* An esp32 image of `size` bytes for `project` in img (cap bytes), padded with 0xFF to a sector
 * boundary, then the signature sector: one block per key of paths (n of them). *image_len gets
 * the image's own length; returns the signed length (where the signature sector starts; the
 * whole is that + SIGFX_SECTOR). */
static inline size_t sigfx_make_signed(uint8_t *img, size_t cap, const char *project,
                                       uint32_t size, const char *const *paths, unsigned n,
                                       size_t *image_len)
{
    hota_image_create_params_t p;
    size_t signed_len;
    hota_image_create_defaults(&p);
    p.project = project;
    p.version = "1.0.0";
    p.size = size;
    assert_int_equal(hota_image_create_buffer(&p, img, cap, image_len, NULL), HOTA_OK);
    signed_len = (*image_len + SIGFX_SECTOR - 1) / SIGFX_SECTOR * SIGFX_SECTOR;
    assert_true(signed_len > *image_len && signed_len + SIGFX_SECTOR <= cap);
    memset(img + *image_len, 0xFF, signed_len - *image_len);
    assert_int_equal(hota_sbv2_sign_image(img, *image_len, paths, n, img + signed_len), HOTA_OK);
    return signed_len;
}

#endif
