/* The signature sector taken block by block: each 1216-byte block is parsed and verified once
 * its bytes are in, whatever the pieces the sector comes in; a bad block does not hide the
 * next one; a missing block ends the sector (later blocks are not looked at); the verdict and
 * info.sig_count come at the sector's last byte; the running SHA-256 stops at signed_len. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "hota/crc32.h"
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
#define BLOCK 1216u
#define IMG_SIZE (8u * 1024u + 48u) /* not sector-aligned: 0xFF padding before the sector */
#define CAP (IMG_SIZE + 2u * SECTOR)
#define MAX_PIECE 1300u             /* pieces of 1..MAX_PIECE bytes: more than one block */

enum { K_A, K_B, K_384, K_COUNT }; /* P-256, P-256, P-384 */

typedef struct fx {
    char dir[64];
    char priv[K_COUNT][SIGFX_PATH];
    uint8_t digest[K_COUNT][32]; /* key digests, as eFuse holds them */
    uint8_t img[CAP];            /* image, padding, signature sector */
    size_t image_len, signed_len, len;
    uint8_t signed_sha[32];      /* SHA-256 of [0, signed_len) */
} fx_t;

/* An esp32 image signed with the keys named in `which` (K_* indexes), one block each. */
static void make_signed(fx_t *f, const int *which, unsigned n)
{
    const char *paths[HOTA_SBV2_MAX_BLOCKS];
    for (unsigned i = 0; i < n; i++)
        paths[i] = f->priv[which[i]];
    f->signed_len = sigfx_make_signed(f->img, CAP, "blocks", IMG_SIZE, paths, n, &f->image_len);
    assert_int_equal(mbedtls_sha256_ret(f->img, f->signed_len, f->signed_sha, 0), 0);
    f->len = f->signed_len + SECTOR;
}

static uint8_t *block_at(fx_t *f, unsigned i)
{
    return f->img + f->signed_len + i * BLOCK;
}

/* Flip a byte of the signature (r of an ECDSA block); fix_crc: repair the block's CRC too. */
static void spoil_block(fx_t *f, unsigned i, int fix_crc)
{
    uint8_t *b = block_at(f, i);
    uint32_t crc;
    b[101 + 10] ^= 0x01;
    if (!fix_crc)
        return;
    crc = hota_crc32_le(0, b, HOTA_SBV2_CRC_LEN);
    b[HOTA_SBV2_CRC_LEN] = (uint8_t)crc;
    b[HOTA_SBV2_CRC_LEN + 1] = (uint8_t)(crc >> 8);
    b[HOTA_SBV2_CRC_LEN + 2] = (uint8_t)(crc >> 16);
    b[HOTA_SBV2_CRC_LEN + 3] = (uint8_t)(crc >> 24);
}

static int setup(void **state)
{
    static fx_t f;
    memset(&f, 0, sizeof f);
    snprintf(f.dir, sizeof f.dir, "/tmp/hota-blocks-XXXXXX");
    if (sigfx_keys(f.dir, K_COUNT, 1u << K_384, f.priv, f.digest) != 0)
        return -1;
    *state = &f;
    return 0;
}

static int teardown(void **state)
{
    fx_t *f = *state;
    sigfx_keys_remove(f->dir, K_COUNT, f->priv);
    return 0;
}

static hota_image_policy_t trusting(const fx_t *f, int key, int chip_id)
{
    hota_image_policy_t p = {.chip_id = chip_id, .require_app_desc = 1, .n_trusted = 1};
    p.trusted_keys = (const uint8_t(*)[32])f->digest[key];
    return p;
}

/* Feed the whole image in pieces of `step` bytes. Every piece but the last is taken with
 * HOTA_OK, the last gives want (the verdict comes at the sector's last byte); until then
 * info.sig_count stays 0, the image is not complete, and the running SHA-256 gives a digest
 * exactly while no byte of the sector is in. Returns finish()'s result. */
static int feed_in_steps(hota_image_verifier_t *v, const fx_t *f, size_t step, int want)
{
    uint8_t d[32];
    for (size_t off = 0; off < f->len; off += step) {
        size_t n = f->len - off < step ? f->len - off : step;
        int last = off + n == f->len;
        assert_int_equal(hota_image_verifier_feed(v, f->img + off, n), last ? want : HOTA_OK);
        if (last)
            break;
        assert_false(hota_image_verifier_is_complete(v));
        assert_int_equal(hota_image_verifier_info(v)->sig_count, 0);
        assert_int_equal(hota_image_verifier_digest(v, d),
                         off + n <= f->signed_len ? HOTA_OK : HOTA_E_BAD_STATE);
        if (off + n == f->signed_len)
            assert_memory_equal(d, f->signed_sha, 32);
    }
    assert_int_equal(hota_image_verifier_is_complete(v), want == HOTA_OK);
    assert_int_equal(hota_image_verifier_digest(v, d), want ? want : HOTA_E_BAD_STATE);
    return hota_image_verifier_finish(v);
}

static void whole(const fx_t *f, const hota_image_policy_t *p, int want, hota_image_info_t *out)
{
    hota_image_verifier_t v;
    hota_image_verifier_init(&v, p);
    assert_int_equal(feed_in_steps(&v, f, f->len, want), want);
    *out = *hota_image_verifier_info(&v);
    hota_image_verifier_free(&v);
}

/* Three blocks (P-256, P-256, P-384) fed in pieces of every size from 1 to MAX_PIECE bytes:
 * the blocks are cut at every offset and the pieces straddle every block boundary. The info
 * (sigs[] included) and the verdict are those of one piece; a refusal comes with the last
 * piece only. */
static void test_every_piece_size(void **state)
{
    fx_t *f = *state;
    hota_image_policy_t ok = trusting(f, K_B, -1);       /* SHA-384 on: all three valid */
    hota_image_policy_t refused = trusting(f, K_384, 0); /* ESP32: P-384 not usable */
    hota_image_info_t ok_in, refused_in;
    make_signed(f, (const int[]){K_A, K_B, K_384}, 3);
    whole(f, &ok, HOTA_OK, &ok_in);
    assert_int_equal(ok_in.sig_count, 3);
    for (int i = 0; i < 3; i++) {
        assert_true(ok_in.sigs[i].valid);
        assert_int_equal(ok_in.sigs[i].trusted, i == 1);
        assert_memory_equal(ok_in.sigs[i].key_digest, f->digest[i], 32);
    }
    assert_int_equal(ok_in.sigs[2].scheme, HOTA_SIG_ECDSA384);
    whole(f, &refused, HOTA_E_SIG_UNTRUSTED, &refused_in);
    assert_int_equal(refused_in.sig_count, 3);
    assert_int_equal(refused_in.sigs[2].result, HOTA_E_UNSUPPORTED);
    for (size_t step = 1; step <= MAX_PIECE; step++) {
        hota_image_verifier_t v;
        hota_image_verifier_init(&v, &ok);
        assert_int_equal(feed_in_steps(&v, f, step, HOTA_OK), HOTA_OK);
        assert_memory_equal(hota_image_verifier_info(&v), &ok_in, sizeof ok_in);
        hota_image_verifier_free(&v);
        if (step > 16 && step % 10 != 0)
            continue; /* a refusal at the last piece: a sample of the sizes is enough */
        hota_image_verifier_init(&v, &refused);
        assert_int_equal(feed_in_steps(&v, f, step, HOTA_E_SIG_UNTRUSTED), HOTA_E_SIG_UNTRUSTED);
        assert_memory_equal(hota_image_verifier_info(&v), &refused_in, sizeof refused_in);
        hota_image_verifier_free(&v);
    }
}

/* Two pieces cut a few bytes around the sector's start, each block boundary and its end. */
static void test_cuts_at_block_boundaries(void **state)
{
    fx_t *f = *state;
    hota_image_policy_t p = trusting(f, K_384, -1);
    hota_image_info_t want;
    make_signed(f, (const int[]){K_A, K_B, K_384}, 3);
    whole(f, &p, HOTA_OK, &want);
    for (unsigned b = 0; b <= 3; b++) {
        for (int delta = -2; delta <= 2; delta++) {
            size_t cut = (size_t)((long)(f->signed_len + b * BLOCK) + delta);
            hota_image_verifier_t v;
            hota_image_verifier_init(&v, &p);
            assert_int_equal(hota_image_verifier_feed(&v, f->img, cut), HOTA_OK);
            assert_int_equal(hota_image_verifier_feed(&v, f->img + cut, f->len - cut), HOTA_OK);
            assert_int_equal(hota_image_verifier_finish(&v), HOTA_OK);
            assert_memory_equal(hota_image_verifier_info(&v), &want, sizeof want);
            hota_image_verifier_free(&v);
        }
    }
    /* the last cut: only the sector's final byte is left */
    {
        hota_image_verifier_t v;
        hota_image_verifier_init(&v, &p);
        assert_int_equal(hota_image_verifier_feed(&v, f->img, f->len - 1), HOTA_OK);
        assert_false(hota_image_verifier_is_complete(&v));
        assert_int_equal(hota_image_verifier_finish(&v), HOTA_E_IMAGE_TRUNCATED);
        assert_int_equal(hota_image_verifier_info(&v)->sig_count, 0);
        assert_int_equal(hota_image_verifier_feed(&v, f->img + f->len - 1, 1), HOTA_OK);
        assert_int_equal(hota_image_verifier_finish(&v), HOTA_OK);
        assert_int_equal(hota_image_verifier_info(&v)->sig_count, 3);
        hota_image_verifier_free(&v);
    }
}

/* Byte at a time: the index of the byte whose feed failed (len when none), its error in *err. */
static size_t first_error_at(const fx_t *f, const hota_image_policy_t *p, int *err)
{
    hota_image_verifier_t v;
    size_t i;
    hota_image_verifier_init(&v, p);
    *err = HOTA_OK;
    for (i = 0; i < f->len && *err == HOTA_OK; i++)
        *err = hota_image_verifier_feed(&v, f->img + i, 1);
    if (*err == HOTA_OK)
        *err = hota_image_verifier_finish(&v);
    else
        i--;
    hota_image_verifier_free(&v);
    return i;
}

/* Two blocks, block 1 corrupted: block 0 still decides; the bad block is recorded, reported
 * under report_all only when no signature is required. */
static void test_second_block_corrupted(void **state)
{
    fx_t *f = *state;
    hota_image_policy_t p = trusting(f, K_A, 0);
    hota_image_info_t in;
    int err;
    make_signed(f, (const int[]){K_A, K_B}, 2);
    spoil_block(f, 1, 0); /* CRC no longer matches */
    for (int all = 0; all <= 1; all++) {
        p = trusting(f, K_A, 0);
        p.report_all = all;
        assert_int_equal(hota_image_verify_buffer(f->img, f->len, &p, &in), HOTA_OK);
        assert_int_equal(in.sig_count, 2);
        assert_true(in.sigs[0].valid && in.sigs[0].trusted);
        assert_int_equal(in.sigs[1].result, HOTA_E_SIG_CRC);
        assert_false(in.sigs[1].valid || in.sigs[1].trusted);
        assert_int_equal(in.sigs[1].scheme, HOTA_SIG_NONE);
        /* trusting the key of the bad block: block 0 is valid, not trusted */
        p = trusting(f, K_B, 0);
        p.report_all = all;
        assert_int_equal(first_error_at(f, &p, &err), f->len - 1);
        assert_int_equal(err, HOTA_E_SIG_UNTRUSTED);
        /* no signature required: recorded; a defect only under report_all */
        p = (hota_image_policy_t){.chip_id = 0, .report_all = all};
        assert_int_equal(first_error_at(f, &p, &err), f->len);
        assert_int_equal(err, all ? HOTA_E_SIG_CRC : HOTA_OK);
        assert_int_equal(hota_image_verify_buffer(f->img, f->len, &p, &in),
                         all ? HOTA_E_SIG_CRC : HOTA_OK);
        assert_int_equal(in.sig_count, 2);
        assert_true(in.sigs[0].valid);
    }
    /* the CRC repaired: the block parses, its signature does not verify */
    make_signed(f, (const int[]){K_A, K_B}, 2);
    spoil_block(f, 1, 1);
    p = (hota_image_policy_t){.chip_id = 0, .report_all = 1};
    assert_int_equal(hota_image_verify_buffer(f->img, f->len, &p, &in), HOTA_E_SIG_INVALID);
    assert_int_equal(in.sig_count, 2);
    assert_int_equal(in.sigs[1].scheme, HOTA_SIG_ECDSA256);
    assert_memory_equal(in.sigs[1].key_digest, f->digest[K_B], 32);
    assert_int_equal(in.sigs[1].result, HOTA_E_SIG_INVALID);
    p = trusting(f, K_B, 0);
    assert_int_equal(first_error_at(f, &p, &err), f->len - 1);
    assert_int_equal(err, HOTA_E_SIG_UNTRUSTED);
}

/* Block 0 corrupted: block 1 is still parsed and verified, and may be the trusted one. */
static void test_first_block_corrupted(void **state)
{
    fx_t *f = *state;
    hota_image_policy_t p = trusting(f, K_B, 0);
    hota_image_info_t in;
    int err;
    make_signed(f, (const int[]){K_A, K_B}, 2);
    spoil_block(f, 0, 0);
    assert_int_equal(first_error_at(f, &p, &err), f->len);
    assert_int_equal(err, HOTA_OK);
    assert_int_equal(hota_image_verify_buffer(f->img, f->len, &p, &in), HOTA_OK);
    assert_int_equal(in.sig_count, 2);
    assert_int_equal(in.sigs[0].result, HOTA_E_SIG_CRC);
    assert_true(in.sigs[1].valid && in.sigs[1].trusted);
    /* trusting block 0's key: block 1 is valid, not trusted... */
    p = trusting(f, K_A, 0);
    assert_int_equal(hota_image_verify_buffer(f->img, f->len, &p, &in), HOTA_E_SIG_UNTRUSTED);
    /* ...and with no valid block the first block's error is the verdict */
    spoil_block(f, 1, 1);
    assert_int_equal(first_error_at(f, &p, &err), f->len - 1);
    assert_int_equal(err, HOTA_E_SIG_CRC);
}

/* No block 0 (0xFF where it starts): the sector ends there, block 1 is not looked at. */
static void test_first_block_absent(void **state)
{
    fx_t *f = *state;
    hota_image_policy_t p = trusting(f, K_B, 0);
    hota_image_info_t in;
    const hota_sig_info_t none = {0};
    int err;
    make_signed(f, (const int[]){K_A, K_B}, 2);
    block_at(f, 0)[0] = 0xFF;
    assert_int_equal(first_error_at(f, &p, &err), f->len - 1);
    assert_int_equal(err, HOTA_E_SIG_MISSING);
    assert_int_equal(hota_image_verify_buffer(f->img, f->len, &p, &in), HOTA_E_SIG_MISSING);
    assert_int_equal(in.sig_count, 0);
    for (int i = 0; i < HOTA_SBV2_MAX_BLOCKS; i++)
        assert_memory_equal(&in.sigs[i], &none, sizeof none);
    for (int all = 0; all <= 1; all++) {
        p = (hota_image_policy_t){.chip_id = -1, .report_all = all};
        assert_int_equal(first_error_at(f, &p, &err), f->len);
        assert_int_equal(err, HOTA_OK);
        assert_int_equal(hota_image_verify_buffer(f->img, f->len, &p, &in), HOTA_OK);
        assert_int_equal(in.sig_count, 0);
        assert_int_equal(in.total_len, f->len);
    }
}

/* No block 1: block 2 (valid, trusted) is not looked at. */
static void test_middle_block_absent(void **state)
{
    fx_t *f = *state;
    hota_image_policy_t p = trusting(f, K_384, -1);
    hota_image_info_t in;
    const hota_sig_info_t none = {0};
    int err;
    make_signed(f, (const int[]){K_A, K_B, K_384}, 3);
    assert_int_equal(hota_image_verify_buffer(f->img, f->len, &p, &in), HOTA_OK);
    block_at(f, 1)[0] = 0x00;
    assert_int_equal(first_error_at(f, &p, &err), f->len - 1);
    assert_int_equal(err, HOTA_E_SIG_UNTRUSTED);
    assert_int_equal(hota_image_verify_buffer(f->img, f->len, &p, &in), HOTA_E_SIG_UNTRUSTED);
    assert_int_equal(in.sig_count, 1);
    assert_true(in.sigs[0].valid);
    assert_memory_equal(&in.sigs[1], &none, sizeof none);
    assert_memory_equal(&in.sigs[2], &none, sizeof none);
    /* the bytes after a missing block are ignored, whatever they hold */
    memset(block_at(f, 1) + 1, 0xA5, SECTOR - BLOCK - 1);
    p = (hota_image_policy_t){.chip_id = -1, .report_all = 1};
    assert_int_equal(hota_image_verify_buffer(f->img, f->len, &p, &in), HOTA_OK);
    assert_int_equal(in.sig_count, 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_piece_size),
        cmocka_unit_test(test_cuts_at_block_boundaries),
        cmocka_unit_test(test_second_block_corrupted),
        cmocka_unit_test(test_first_block_corrupted),
        cmocka_unit_test(test_first_block_absent),
        cmocka_unit_test(test_middle_block_absent),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
