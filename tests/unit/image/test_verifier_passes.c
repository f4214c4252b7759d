/* The verifier's hash passes: SHA-384 only when P-384 blocks may be used (policy.want_sha384,
 * any chip, report_all), a P-384 block without it never valid; the running SHA-256 of a prefix
 * (hota_image_verifier_digest); the word-wise checksum under every way of cutting the input. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "hota/error.h"
#include "hota/image.h"
#include "hota/image_create.h"
#include "hota/sbv2.h"
#include "sig_fixture.h"

#include <mbedtls/ctr_drbg.h>
#include <mbedtls/ecp.h>
#include <mbedtls/entropy.h>
#include <mbedtls/pk.h>
#include <mbedtls/sha256.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define SECTOR 4096u
#define IMG_SIZE (64u * 1024u + 48u) /* not sector-aligned: 0xFF padding before the sector */

enum { K_P256, K_P384, K_COUNT };

typedef struct fx {
    char dir[64];
    char priv[K_COUNT][SIGFX_PATH];
    uint8_t digest[K_COUNT][32]; /* key digests, as eFuse holds them */
    uint8_t *img;                /* image, padding, signature sector */
    size_t image_len, len;
} fx_t;

/* An esp32 image signed with the keys named in `which` (K_* indexes). */
static void make_signed(fx_t *f, const int *which, unsigned n)
{
    const char *paths[HOTA_SBV2_MAX_BLOCKS];
    for (unsigned i = 0; i < n; i++)
        paths[i] = f->priv[which[i]];
    free(f->img);
    f->img = malloc(IMG_SIZE + 2 * SECTOR);
    assert_non_null(f->img);
    f->len = sigfx_make_signed(f->img, IMG_SIZE + 2 * SECTOR, "passes", IMG_SIZE, paths, n,
                               &f->image_len) +
             SECTOR;
}

static int setup(void **state)
{
    static fx_t f;
    memset(&f, 0, sizeof f);
    snprintf(f.dir, sizeof f.dir, "/tmp/hota-passes-XXXXXX");
    if (sigfx_keys(f.dir, K_COUNT, 1u << K_P384, f.priv, f.digest) != 0)
        return -1;
    *state = &f;
    return 0;
}

static int teardown(void **state)
{
    fx_t *f = *state;
    sigfx_keys_remove(f->dir, K_COUNT, f->priv);
    free(f->img);
    f->img = NULL;
    return 0;
}

static hota_image_policy_t trusting(const fx_t *f, int key, int chip_id)
{
    hota_image_policy_t p = {.chip_id = chip_id, .require_app_desc = 1, .n_trusted = 1};
    p.trusted_keys = (const uint8_t(*)[32])f->digest[key];
    return p;
}

static void test_p384_needs_the_sha384_pass(void **state)
{
    fx_t *f = *state;
    hota_image_policy_t p = trusting(f, K_P384, 0);
    hota_image_info_t in;
    make_signed(f, (const int[]){K_P384}, 1);
    /* ESP32 policy without want_sha384: the block is not verified, never valid */
    assert_int_equal(hota_image_verify_buffer(f->img, f->len, &p, &in), HOTA_E_UNSUPPORTED);
    assert_int_equal(in.sig_count, 1);
    assert_int_equal(in.sigs[0].scheme, HOTA_SIG_ECDSA384);
    assert_int_equal(in.sigs[0].result, HOTA_E_UNSUPPORTED);
    assert_false(in.sigs[0].valid);
    assert_false(in.sigs[0].trusted);
    /* the caller says P-384 may be used */
    p.want_sha384 = 1;
    assert_int_equal(hota_image_verify_buffer(f->img, f->len, &p, &in), HOTA_OK);
    assert_true(in.sigs[0].valid && in.sigs[0].trusted);
    /* any chip: computed as well */
    p = trusting(f, K_P384, -1);
    assert_int_equal(hota_image_verify_buffer(f->img, f->len, &p, &in), HOTA_OK);
    assert_true(in.sigs[0].valid);
    /* reports (report_all) see the block verified */
    p = (hota_image_policy_t){.chip_id = 0, .report_all = 1};
    assert_int_equal(hota_image_verify_buffer(f->img, f->len, &p, &in), HOTA_OK);
    assert_true(in.sigs[0].valid);
}

static void test_p256_with_p384_beside_it(void **state)
{
    fx_t *f = *state;
    hota_image_policy_t p = trusting(f, K_P256, 0);
    hota_image_info_t in;
    make_signed(f, (const int[]){K_P384, K_P256}, 2);
    assert_int_equal(hota_image_verify_buffer(f->img, f->len, &p, &in), HOTA_OK);
    assert_int_equal(in.sig_count, 2);
    assert_int_equal(in.sigs[0].result, HOTA_E_UNSUPPORTED);
    assert_true(in.sigs[1].valid && in.sigs[1].trusted);
    /* trusting only the P-384 key on the ESP32: refused */
    p = trusting(f, K_P384, 0);
    assert_int_equal(hota_image_verify_buffer(f->img, f->len, &p, &in), HOTA_E_SIG_UNTRUSTED);
}

static void test_digest_of_prefix(void **state)
{
    fx_t *f = *state;
    hota_image_policy_t p = trusting(f, K_P256, 0);
    hota_image_verifier_t v;
    const size_t cuts[] = {0, 1, 24, 4096, 5000, 8192};
    uint8_t got[32], want[32];
    size_t fed = 0, signed_len;
    make_signed(f, (const int[]){K_P256}, 1);
    signed_len = f->len - SECTOR;
    hota_image_verifier_init(&v, &p);
    for (size_t i = 0; i < sizeof cuts / sizeof cuts[0]; i++) {
        assert_int_equal(hota_image_verifier_feed(&v, f->img + fed, cuts[i] - fed), HOTA_OK);
        fed = cuts[i];
        assert_int_equal(hota_image_verifier_digest(&v, got), HOTA_OK);
        assert_int_equal(mbedtls_sha256_ret(f->img, fed, want, 0), 0);
        assert_memory_equal(got, want, 32);
    }
    /* up to signed_len the digest is the SHA-256 the signature blocks carry */
    assert_int_equal(hota_image_verifier_feed(&v, f->img + fed, signed_len - fed), HOTA_OK);
    assert_int_equal(hota_image_verifier_digest(&v, got), HOTA_OK);
    assert_int_equal(mbedtls_sha256_ret(f->img, signed_len, want, 0), 0);
    assert_memory_equal(got, want, 32);
    /* bytes of the signature sector are not hashed: no digest any more */
    assert_int_equal(hota_image_verifier_feed(&v, f->img + signed_len, 1), HOTA_OK);
    assert_int_equal(hota_image_verifier_digest(&v, got), HOTA_E_BAD_STATE);
    assert_int_equal(hota_image_verifier_feed(&v, f->img + signed_len + 1, SECTOR - 1), HOTA_OK);
    assert_int_equal(hota_image_verifier_finish(&v), HOTA_OK);
    assert_int_equal(hota_image_verifier_digest(&v, got), HOTA_E_BAD_STATE);
    hota_image_verifier_free(&v);
}

/* Pieces of 1..23 bytes (every alignment of the eight-byte checksum loop) give the same
 * verdict and checksum as one piece; a flipped data byte is still caught. */
static void test_checksum_any_cut(void **state)
{
    fx_t *f = *state;
    hota_image_policy_t p = trusting(f, K_P256, 0);
    hota_image_info_t whole;
    make_signed(f, (const int[]){K_P256}, 1);
    assert_int_equal(hota_image_verify_buffer(f->img, f->len, &p, &whole), HOTA_OK);
    assert_true(whole.checksum_valid);
    for (size_t step = 1; step <= 23; step++) {
        hota_image_verifier_t v;
        hota_image_verifier_init(&v, &p);
        for (size_t off = 0; off < f->len; off += step) {
            size_t n = f->len - off < step ? f->len - off : step;
            assert_int_equal(hota_image_verifier_feed(&v, f->img + off, n), HOTA_OK);
        }
        assert_int_equal(hota_image_verifier_finish(&v), HOTA_OK);
        assert_int_equal(hota_image_verifier_info(&v)->checksum_calc, whole.checksum_calc);
        hota_image_verifier_free(&v);
    }
    p = (hota_image_policy_t){.chip_id = 0, .report_all = 1};
    f->img[whole.segments[1].offset + 13] ^= 0x40;
    assert_int_equal(hota_image_verify_buffer(f->img, f->image_len, &p, &whole),
                     HOTA_E_IMAGE_CHECKSUM);
    assert_false(whole.checksum_valid);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_p384_needs_the_sha384_pass),
        cmocka_unit_test(test_p256_with_p384_beside_it),
        cmocka_unit_test(test_digest_of_prefix),
        cmocka_unit_test(test_checksum_any_cut),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
