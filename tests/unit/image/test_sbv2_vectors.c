/* Secure Boot V2 against images signed by espsecure.py (needs $HOTA_VECTORS_DIR). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "hota/error.h"
#include "hota/sbv2.h"

#include <mbedtls/sha256.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define SECTOR HOTA_SBV2_SECTOR_SIZE
#define BLOCK HOTA_SBV2_BLOCK_SIZE

static const char *vec_dir;

struct vec {
    const char *file;
    int blocks;
    hota_sig_scheme_t scheme;
};

static const struct vec signed_vecs[] = {
    {"esp32-app-template.rsa3072-signed.bin", 1, HOTA_SIG_RSA3072},
    {"esp32-app-template.ecdsa256-signed.bin", 1, HOTA_SIG_ECDSA256},
    {"esp32-app-template.rsa3072-2keys-signed.bin", 2, HOTA_SIG_RSA3072},
};

static char *vpath(const char *name)
{
    static char buf[4096];
    snprintf(buf, sizeof buf, "%s/%s", vec_dir, name);
    return buf;
}

static uint8_t *load(const char *name, size_t *len)
{
    FILE *f = fopen(vpath(name), "rb");
    uint8_t *buf;
    long sz;
    assert_non_null(f);
    assert_int_equal(fseek(f, 0, SEEK_END), 0);
    sz = ftell(f);
    assert_true(sz > 0);
    rewind(f);
    buf = malloc((size_t)sz);
    assert_non_null(buf);
    assert_int_equal(fread(buf, 1, (size_t)sz, f), (size_t)sz);
    fclose(f);
    *len = (size_t)sz;
    return buf;
}

/* SHA-256 of everything before the signature sector. */
static void image_digest(const uint8_t *img, size_t len, uint8_t out[32])
{
    assert_true(len > SECTOR && len % SECTOR == 0);
    assert_int_equal(mbedtls_sha256_ret(img, len - SECTOR, out, 0), 0);
}

static void fix_crc(uint8_t *blk)
{
    uint32_t c = hota_crc32_le(0, blk, HOTA_SBV2_CRC_LEN);
    for (int k = 0; k < 4; k++)
        blk[HOTA_SBV2_CRC_LEN + k] = (uint8_t)(c >> (8 * k));
}

static void hex(const char *s, uint8_t *out, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        unsigned v;
        assert_int_equal(sscanf(s + 2 * i, "%2x", &v), 1);
        out[i] = (uint8_t)v;
    }
}

static void test_parse_every_block(void **state)
{
    (void)state;
    for (size_t v = 0; v < sizeof signed_vecs / sizeof signed_vecs[0]; v++) {
        size_t len;
        uint8_t *img = load(signed_vecs[v].file, &len);
        const uint8_t *sec = img + len - SECTOR;
        hota_sbv2_block_t b;
        int i;
        for (i = 0; i < signed_vecs[v].blocks; i++) {
            assert_int_equal(hota_sbv2_parse_block(sec, (unsigned)i, &b), HOTA_OK);
            assert_int_equal(b.scheme, signed_vecs[v].scheme);
            assert_int_equal(b.key_len, b.scheme == HOTA_SIG_RSA3072 ? 776 : 65);
            assert_int_equal(b.sig_len, b.scheme == HOTA_SIG_RSA3072 ? 384 : 64);
        }
        if (i < HOTA_SBV2_MAX_BLOCKS)
            assert_int_equal(hota_sbv2_parse_block(sec, (unsigned)i, &b), HOTA_E_NOT_FOUND);
        for (size_t k = (size_t)i * BLOCK; k < SECTOR; k++)
            assert_int_equal(sec[k], 0xFF);
        assert_int_equal(hota_sbv2_parse_block(sec, HOTA_SBV2_MAX_BLOCKS, &b), HOTA_E_INVALID_ARG);
        free(img);
    }
}

static void check_file_digest(const char *key, hota_sig_scheme_t want, const uint8_t d[32])
{
    uint8_t got[32];
    hota_sig_scheme_t s = HOTA_SIG_NONE;
    assert_int_equal(hota_sbv2_key_digest_file(vpath(key), got, &s), HOTA_OK);
    assert_int_equal(s, want);
    assert_memory_equal(got, d, 32);
}

static void test_key_digests(void **state)
{
    static const struct {
        const char *img;
        unsigned blk;
        const char *pub, *priv, *head, *tail;
        hota_sig_scheme_t s;
    } t[] = {
        {"esp32-app-template.rsa3072-signed.bin", 0, "dev-rsa3072.pub.pem", "dev-rsa3072.pem",
         "2fdac2ab", "7516", HOTA_SIG_RSA3072},
        {"esp32-app-template.ecdsa256-signed.bin", 0, "dev-ecdsa256.pub.pem", "dev-ecdsa256.pem",
         "ccc39ad0", "665b", HOTA_SIG_ECDSA256},
        {"esp32-app-template.rsa3072-2keys-signed.bin", 0, "dev-rsa3072.pub.pem",
         "dev-rsa3072.pem", "2fdac2ab", "7516", HOTA_SIG_RSA3072},
        {"esp32-app-template.rsa3072-2keys-signed.bin", 1, "dev-rsa3072-b.pub.pem",
         "dev-rsa3072-b.pem", NULL, NULL, HOTA_SIG_RSA3072},
    };
    (void)state;
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
        size_t len;
        uint8_t *img = load(t[i].img, &len), head[4], tail[2];
        hota_sbv2_block_t b;
        assert_int_equal(hota_sbv2_parse_block(img + len - SECTOR, t[i].blk, &b), HOTA_OK);
        if (t[i].head) {
            hex(t[i].head, head, 4);
            hex(t[i].tail, tail, 2);
            assert_memory_equal(b.key_digest, head, 4);
            assert_memory_equal(b.key_digest + 30, tail, 2);
        }
        check_file_digest(t[i].pub, t[i].s, b.key_digest);
        check_file_digest(t[i].priv, t[i].s, b.key_digest);
        free(img);
    }
}

static void test_every_block_verifies(void **state)
{
    (void)state;
    for (size_t v = 0; v < sizeof signed_vecs / sizeof signed_vecs[0]; v++) {
        size_t len;
        uint8_t *img = load(signed_vecs[v].file, &len), d[32];
        hota_sbv2_block_t b;
        image_digest(img, len, d);
        for (int i = 0; i < signed_vecs[v].blocks; i++) {
            assert_int_equal(hota_sbv2_parse_block(img + len - SECTOR, (unsigned)i, &b), HOTA_OK);
            assert_memory_equal(b.image_digest, d, 32);
            assert_int_equal(hota_sbv2_verify_block(&b, d), HOTA_OK);
            assert_int_equal(hota_sbv2_verify_block_digest(&b, d, 32), HOTA_OK);
            d[0] ^= 1;
            assert_int_equal(hota_sbv2_verify_block(&b, d), HOTA_E_SIG_DIGEST);
            d[0] ^= 1;
        }
        free(img);
    }
}

/* Mutate one byte of block 0 (optionally re-computing the CRC) and expect parse, then verify,
 * to give the codes listed. */
struct mutation {
    size_t off;
    uint8_t xor_mask;
    int fix;
    int parse_rc, verify_rc;
};

static void run_mutations(const char *file, const struct mutation *m, size_t n)
{
    size_t len;
    uint8_t *img = load(file, &len), d[32], sec[SECTOR];
    hota_sbv2_block_t b;
    image_digest(img, len, d);
    for (size_t i = 0; i < n; i++) {
        int rc;
        memcpy(sec, img + len - SECTOR, SECTOR);
        sec[m[i].off] ^= m[i].xor_mask;
        if (m[i].fix)
            fix_crc(sec);
        rc = hota_sbv2_parse_block(sec, 0, &b);
        if (rc != m[i].parse_rc)
            fail_msg("%s: byte %zu ^ 0x%02x: parse %s, want %s", file, m[i].off, m[i].xor_mask,
                     hota_errname(rc), hota_errname(m[i].parse_rc));
        if (rc != HOTA_OK)
            continue;
        rc = hota_sbv2_verify_block(&b, d);
        if (rc != m[i].verify_rc)
            fail_msg("%s: byte %zu ^ 0x%02x: verify %s, want %s", file, m[i].off, m[i].xor_mask,
                     hota_errname(rc), hota_errname(m[i].verify_rc));
    }
    free(img);
}

static void test_rsa_mutations(void **state)
{
    static const struct mutation m[] = {
        {0, 0x01, 0, HOTA_E_NOT_FOUND, 0},        /* magic */
        {0, 0x18, 1, HOTA_E_NOT_FOUND, 0},        /* magic, CRC made right */
        {1, 0x06, 1, HOTA_E_SIG_BLOCK, 0},        /* version 0x04 */
        {1, 0x02, 0, HOTA_E_SIG_BLOCK, 0},        /* version 0x00 */
        {4, 0x80, 0, HOTA_E_SIG_CRC, 0},          /* digest, CRC stale */
        {4, 0x80, 1, HOTA_OK, HOTA_E_SIG_DIGEST}, /* digest */
        {35, 0x01, 1, HOTA_OK, HOTA_E_SIG_DIGEST},
        {36, 0x02, 0, HOTA_E_SIG_CRC, 0},         /* n, CRC stale */
        {36, 0x02, 1, HOTA_OK, HOTA_E_KEY},       /* n no longer matches rinv/mdash */
        {419, 0x40, 1, HOTA_OK, HOTA_E_KEY},      /* top byte of n */
        {420, 0x01, 1, HOTA_OK, HOTA_E_KEY},      /* e even */
        {420, 0x02, 1, HOTA_OK, HOTA_E_SIG_INVALID}, /* e = 65539: another valid key */
        {424, 0x01, 1, HOTA_OK, HOTA_E_KEY},      /* rinv */
        {808, 0x01, 1, HOTA_OK, HOTA_E_KEY},      /* mdash */
        {812, 0x01, 0, HOTA_E_SIG_CRC, 0},        /* signature, CRC stale */
        {812, 0x01, 1, HOTA_OK, HOTA_E_SIG_INVALID},
        {1195, 0x80, 1, HOTA_OK, HOTA_E_SIG_INVALID},
        {1196, 0x01, 0, HOTA_E_SIG_CRC, 0},       /* CRC itself */
        {1199, 0x80, 0, HOTA_E_SIG_CRC, 0},
        {2, 0x01, 1, HOTA_OK, HOTA_OK},           /* reserved bytes are not interpreted */
        {1200, 0x01, 0, HOTA_OK, HOTA_OK},        /* padding after the CRC is not covered */
    };
    (void)state;
    run_mutations("esp32-app-template.rsa3072-signed.bin", m, sizeof m / sizeof m[0]);
}

static void test_ecdsa_mutations(void **state)
{
    static const struct mutation m[] = {
        {0, 0x01, 0, HOTA_E_NOT_FOUND, 0},
        {1, 0x07, 1, HOTA_E_SIG_BLOCK, 0},        /* version 0x04 */
        {1, 0x01, 1, HOTA_OK, HOTA_E_KEY},        /* version 0x02: read as an RSA block */
        {2, 0x02, 1, HOTA_E_SIG_BLOCK, 0},        /* digest type 2 */
        {2, 0x01, 1, HOTA_E_SIG_BLOCK, 0},        /* SHA-384 type with a P-256 curve id */
        {36, 0x03, 1, HOTA_E_SIG_BLOCK, 0},       /* curve id 1 (P-192) */
        {36, 0x01, 1, HOTA_E_SIG_BLOCK, 0},       /* curve id 3 with SHA-256 type */
        {4, 0x01, 0, HOTA_E_SIG_CRC, 0},
        {4, 0x01, 1, HOTA_OK, HOTA_E_SIG_DIGEST},
        {37, 0x01, 1, HOTA_OK, HOTA_E_KEY},       /* x: point leaves the curve */
        {100, 0x01, 1, HOTA_OK, HOTA_E_KEY},      /* y */
        {101, 0x01, 0, HOTA_E_SIG_CRC, 0},        /* r, CRC stale */
        {101, 0x01, 1, HOTA_OK, HOTA_E_SIG_INVALID},
        {164, 0x01, 1, HOTA_OK, HOTA_E_SIG_INVALID}, /* s */
        {1196, 0x01, 0, HOTA_E_SIG_CRC, 0},
    };
    (void)state;
    run_mutations("esp32-app-template.ecdsa256-signed.bin", m, sizeof m / sizeof m[0]);
}

/* A valid key that did not make the signature: block 1's key material in block 0. */
static void test_swapped_key_refused(void **state)
{
    size_t len;
    uint8_t *img = load("esp32-app-template.rsa3072-2keys-signed.bin", &len), d[32];
    uint8_t *sec = img + len - SECTOR;
    hota_sbv2_block_t b;
    (void)state;
    image_digest(img, len, d);
    memcpy(sec + 36, sec + BLOCK + 36, 776);
    fix_crc(sec);
    assert_int_equal(hota_sbv2_parse_block(sec, 0, &b), HOTA_OK);
    assert_int_equal(hota_sbv2_verify_block(&b, d), HOTA_E_SIG_INVALID);
    free(img);
}

/* Sign the unsigned image: everything but the (randomized) signature equals espsecure's. */
static void check_like_vector(const char *vec, const char *const *keys, unsigned n, size_t same,
                              size_t sig_len)
{
    size_t ulen, vlen;
    uint8_t *u = load("esp32-app-template.bin", &ulen), *v = load(vec, &vlen), d[32];
    uint8_t sec[SECTOR];
    const uint8_t *vsec = v + vlen - SECTOR;
    char paths[HOTA_SBV2_MAX_BLOCKS][4096];
    const char *pp[HOTA_SBV2_MAX_BLOCKS];
    hota_sbv2_block_t b;
    assert_int_equal(vlen, (ulen + SECTOR - 1) / SECTOR * SECTOR + SECTOR);
    image_digest(v, vlen, d);
    for (unsigned i = 0; i < n; i++) {
        snprintf(paths[i], sizeof paths[i], "%s", vpath(keys[i]));
        pp[i] = paths[i];
    }
    assert_int_equal(hota_sbv2_sign_image(u, ulen, pp, n, sec), HOTA_OK);
    for (unsigned i = 0; i < n; i++) {
        const uint8_t *ours = sec + i * BLOCK, *theirs = vsec + i * BLOCK;
        assert_memory_equal(ours, theirs, same);
        assert_memory_equal(ours + same + sig_len, theirs + same + sig_len,
                            HOTA_SBV2_CRC_LEN - same - sig_len);
        assert_memory_not_equal(ours + same, theirs + same, sig_len);
        assert_memory_equal(ours + HOTA_SBV2_CRC_LEN + 4, theirs + HOTA_SBV2_CRC_LEN + 4, 16);
        assert_int_equal(hota_sbv2_parse_block(sec, i, &b), HOTA_OK);
        assert_int_equal(hota_sbv2_verify_block(&b, d), HOTA_OK);
        assert_int_equal(hota_sbv2_parse_block(vsec, i, &b), HOTA_OK);
    }
    assert_memory_equal(sec + n * BLOCK, vsec + n * BLOCK, SECTOR - n * BLOCK);
    /* the same sector from the digest alone */
    assert_int_equal(hota_sbv2_sign(d, pp, n, sec), HOTA_OK);
    assert_memory_equal(sec, vsec, same);
    free(u);
    free(v);
}

static void test_sign_like_espsecure_rsa(void **state)
{
    static const char *const k1[] = {"dev-rsa3072.pem"};
    static const char *const k2[] = {"dev-rsa3072.pem", "dev-rsa3072-b.pem"};
    (void)state;
    /* magic, version, reserved, digest, n, e, rinv, mdash: 812 bytes byte for byte */
    check_like_vector("esp32-app-template.rsa3072-signed.bin", k1, 1, 812, 384);
    check_like_vector("esp32-app-template.rsa3072-2keys-signed.bin", k2, 2, 812, 384);
}

static void test_sign_like_espsecure_ecdsa(void **state)
{
    static const char *const k[] = {"dev-ecdsa256.pem"};
    (void)state;
    /* header, digest, curve id, x, y: 101 bytes; zero from the end of r, s to the CRC */
    check_like_vector("esp32-app-template.ecdsa256-signed.bin", k, 1, 101, 64);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_every_block),
        cmocka_unit_test(test_key_digests),
        cmocka_unit_test(test_every_block_verifies),
        cmocka_unit_test(test_rsa_mutations),
        cmocka_unit_test(test_ecdsa_mutations),
        cmocka_unit_test(test_swapped_key_refused),
        cmocka_unit_test(test_sign_like_espsecure_rsa),
        cmocka_unit_test(test_sign_like_espsecure_ecdsa),
    };
    vec_dir = getenv("HOTA_VECTORS_DIR");
    if (!vec_dir || !*vec_dir || access(vpath("esp32-app-template.rsa3072-signed.bin"), R_OK)) {
        printf("SKIPPED test_sbv2_vectors: vectors not found at %s\n", vec_dir ? vec_dir : "");
        return 77;
    }
    return cmocka_run_group_tests(tests, NULL, NULL);
}
