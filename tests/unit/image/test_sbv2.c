/* Secure Boot V2 signing and verification with keys generated here (no vectors needed). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "hota/error.h"
#include "hota/sbv2.h"

#include <mbedtls/ctr_drbg.h>
#include <mbedtls/ecdsa.h>
#include <mbedtls/entropy.h>
#include <mbedtls/pk.h>
#include <mbedtls/rsa.h>
#include <mbedtls/sha256.h>
#include <mbedtls/sha512.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define SECTOR HOTA_SBV2_SECTOR_SIZE
#define BLOCK HOTA_SBV2_BLOCK_SIZE

enum { K_RSA_A, K_RSA_B, K_P256_A, K_P256_B, K_P384, K_RSA2048, K_P192, K_COUNT };

struct keys {
    char dir[64];
    char priv[K_COUNT][128], pub[K_COUNT][128];
    int have[K_COUNT];
    mbedtls_entropy_context ent;
    mbedtls_ctr_drbg_context drbg;
};

static int write_text(const char *path, const unsigned char *pem)
{
    FILE *f = fopen(path, "w");
    int ok = f && fputs((const char *)pem, f) >= 0;
    if (f && fclose(f) != 0)
        ok = 0;
    return ok ? 0 : -1;
}

static int gen_key(struct keys *k, int idx, const char *name)
{
    static unsigned char pem[16000];
    mbedtls_pk_context pk;
    int rc;
    mbedtls_pk_init(&pk);
    if (idx == K_RSA_A || idx == K_RSA_B || idx == K_RSA2048) {
        rc = mbedtls_pk_setup(&pk, mbedtls_pk_info_from_type(MBEDTLS_PK_RSA));
        if (rc == 0)
            rc = mbedtls_rsa_gen_key(mbedtls_pk_rsa(pk), mbedtls_ctr_drbg_random, &k->drbg,
                                     idx == K_RSA2048 ? 2048 : 3072, 65537);
    } else {
        mbedtls_ecp_group_id g = idx == K_P384   ? MBEDTLS_ECP_DP_SECP384R1
                                 : idx == K_P192 ? MBEDTLS_ECP_DP_SECP192R1
                                                 : MBEDTLS_ECP_DP_SECP256R1;
        rc = mbedtls_pk_setup(&pk, mbedtls_pk_info_from_type(MBEDTLS_PK_ECKEY));
        if (rc == 0)
            rc = mbedtls_ecp_gen_key(g, mbedtls_pk_ec(pk), mbedtls_ctr_drbg_random, &k->drbg);
    }
    char dir[sizeof k->dir];
    memcpy(dir, k->dir, sizeof dir); /* a copy: snprintf's source must not alias *k */
    snprintf(k->priv[idx], sizeof k->priv[idx], "%s/%s.pem", dir, name);
    snprintf(k->pub[idx], sizeof k->pub[idx], "%s/%s.pub.pem", dir, name);
    if (rc == 0)
        rc = mbedtls_pk_write_key_pem(&pk, pem, sizeof pem);
    if (rc == 0)
        rc = write_text(k->priv[idx], pem);
    if (rc == 0)
        rc = mbedtls_pk_write_pubkey_pem(&pk, pem, sizeof pem);
    if (rc == 0)
        rc = write_text(k->pub[idx], pem);
    k->have[idx] = rc == 0;
    mbedtls_pk_free(&pk);
    return rc;
}

static int setup(void **state)
{
    static struct keys k;
    static const char *const names[K_COUNT] = {"rsa-a", "rsa-b", "p256-a", "p256-b",
                                               "p384", "rsa2048", "p192"};
    memset(&k, 0, sizeof k);
    snprintf(k.dir, sizeof k.dir, "/tmp/hota-sbv2-XXXXXX");
    if (!mkdtemp(k.dir))
        return -1;
    mbedtls_entropy_init(&k.ent);
    mbedtls_ctr_drbg_init(&k.drbg);
    if (mbedtls_ctr_drbg_seed(&k.drbg, mbedtls_entropy_func, &k.ent, NULL, 0) != 0)
        return -1;
    for (int i = 0; i < K_COUNT; i++)
        if (gen_key(&k, i, names[i]) != 0 && i != K_P192) /* P-192 may be compiled out */
            return -1;
    *state = &k;
    return 0;
}

static int teardown(void **state)
{
    struct keys *k = *state;
    for (int i = 0; i < K_COUNT; i++) {
        unlink(k->priv[i]);
        unlink(k->pub[i]);
    }
    rmdir(k->dir);
    mbedtls_ctr_drbg_free(&k->drbg);
    mbedtls_entropy_free(&k->ent);
    return 0;
}

/* A pseudo-random "image" of len bytes. */
static uint8_t *make_image(size_t len, uint32_t seed)
{
    uint8_t *p = malloc(len ? len : 1);
    assert_non_null(p);
    for (size_t i = 0; i < len; i++) {
        seed = seed * 1103515245u + 12345u;
        p[i] = (uint8_t)(seed >> 16);
    }
    return p;
}

/* SHA-256 / SHA-384 of the image padded with 0xFF to a 4096-byte multiple, computed on a copy. */
static void padded_digest(const uint8_t *img, size_t len, uint8_t d256[32], uint8_t d384[48])
{
    size_t plen = (len + SECTOR - 1) / SECTOR * SECTOR;
    uint8_t *p = malloc(plen ? plen : 1), out[64];
    assert_non_null(p);
    memset(p, 0xFF, plen);
    memcpy(p, img, len);
    assert_int_equal(mbedtls_sha256_ret(p, plen, d256, 0), 0);
    assert_int_equal(mbedtls_sha512_ret(p, plen, out, 1), 0);
    memcpy(d384, out, 48);
    free(p);
}

static void fix_crc(uint8_t *blk)
{
    uint32_t c = hota_crc32_le(0, blk, HOTA_SBV2_CRC_LEN);
    for (int k = 0; k < 4; k++)
        blk[HOTA_SBV2_CRC_LEN + k] = (uint8_t)(c >> (8 * k));
}

static void test_crc32(void **state)
{
    const uint8_t s[] = "123456789";
    (void)state;
    assert_int_equal(hota_crc32_le(0, s, 9), 0xCBF43926u);
    assert_int_equal(hota_crc32_le(hota_crc32_le(0, s, 4), s + 4, 5), 0xCBF43926u);
    assert_int_equal(hota_crc32_le(0, s, 0), 0u);
}

static void test_scheme_names(void **state)
{
    (void)state;
    assert_string_equal(hota_sig_scheme_name(HOTA_SIG_RSA3072), "rsa3072");
    assert_string_equal(hota_sig_scheme_name(HOTA_SIG_ECDSA256), "ecdsa256");
    assert_string_equal(hota_sig_scheme_name(HOTA_SIG_ECDSA384), "ecdsa384");
    assert_string_equal(hota_sig_scheme_name(HOTA_SIG_NONE), "none");
    assert_string_equal(hota_sig_scheme_name((hota_sig_scheme_t)42), "none");
}

static void round_trip(const struct keys *k, int idx, hota_sig_scheme_t want, size_t len)
{
    uint8_t *img = make_image(len, (uint32_t)(len + (size_t)idx)), sec[SECTOR], d[32], d384[48];
    uint8_t kd_pub[32], kd_priv[32];
    const char *path = k->priv[idx];
    hota_sbv2_block_t b;
    hota_sig_scheme_t s = HOTA_SIG_NONE;
    padded_digest(img, len, d, d384);
    assert_int_equal(hota_sbv2_sign_image(img, len, &path, 1, sec), HOTA_OK);
    assert_int_equal(hota_sbv2_parse_block(sec, 0, &b), HOTA_OK);
    assert_int_equal(b.scheme, want);
    assert_int_equal(hota_sbv2_key_digest_file(k->pub[idx], kd_pub, &s), HOTA_OK);
    assert_int_equal(s, want);
    assert_int_equal(hota_sbv2_key_digest_file(k->priv[idx], kd_priv, NULL), HOTA_OK);
    assert_memory_equal(b.key_digest, kd_pub, 32);
    assert_memory_equal(kd_priv, kd_pub, 32);
    if (want == HOTA_SIG_ECDSA384) {
        assert_int_equal(hota_sbv2_verify_block(&b, d), HOTA_E_UNSUPPORTED);
        assert_int_equal(hota_sbv2_verify_block_digest(&b, d384, 48), HOTA_OK);
        assert_int_equal(hota_sbv2_verify_block_digest(&b, d, 32), HOTA_E_SIG_DIGEST);
        assert_memory_equal(b.image_digest384, d384, 48);
    } else {
        assert_int_equal(hota_sbv2_verify_block(&b, d), HOTA_OK);
        assert_int_equal(hota_sbv2_verify_block_digest(&b, d384, 48), HOTA_E_SIG_DIGEST);
        assert_memory_equal(b.image_digest, d, 32);
        d[31] ^= 0x10;
        assert_int_equal(hota_sbv2_verify_block(&b, d), HOTA_E_SIG_DIGEST);
    }
    assert_int_equal(hota_sbv2_parse_block(sec, 1, &b), HOTA_E_NOT_FOUND);
    for (size_t i = BLOCK; i < SECTOR; i++)
        assert_int_equal(sec[i], 0xFF);
    free(img);
}

static void test_round_trip(void **state)
{
    const struct keys *k = *state;
    static const size_t lens[] = {1, 5000, 8192, 12289};
    for (size_t i = 0; i < sizeof lens / sizeof lens[0]; i++) {
        round_trip(k, K_RSA_A, HOTA_SIG_RSA3072, lens[i]);
        round_trip(k, K_P256_A, HOTA_SIG_ECDSA256, lens[i]);
        round_trip(k, K_P384, HOTA_SIG_ECDSA384, lens[i]);
    }
}

static void test_one_two_three_keys(void **state)
{
    const struct keys *k = *state;
    const char *paths[4] = {k->priv[K_RSA_A], k->priv[K_P256_A], k->priv[K_RSA_B],
                            k->priv[K_P256_B]};
    const char *pubs[3] = {k->pub[K_RSA_A], k->pub[K_P256_A], k->pub[K_RSA_B]};
    uint8_t d[32], sec[SECTOR], kd[32];
    hota_sbv2_block_t b;
    memset(d, 0x5A, sizeof d);
    for (unsigned n = 1; n <= 3; n++) {
        assert_int_equal(hota_sbv2_sign(d, paths, n, sec), HOTA_OK);
        for (unsigned i = 0; i < n; i++) {
            assert_int_equal(hota_sbv2_parse_block(sec, i, &b), HOTA_OK);
            assert_int_equal(hota_sbv2_key_digest_file(pubs[i], kd, NULL), HOTA_OK);
            assert_memory_equal(b.key_digest, kd, 32);
            assert_int_equal(hota_sbv2_verify_block(&b, d), HOTA_OK);
        }
        if (n < 3)
            assert_int_equal(hota_sbv2_parse_block(sec, n, &b), HOTA_E_NOT_FOUND);
        for (size_t i = n * BLOCK; i < SECTOR; i++)
            assert_int_equal(sec[i], 0xFF);
    }
    assert_int_equal(hota_sbv2_sign(d, paths, 0, sec), HOTA_E_INVALID_ARG);
    assert_int_equal(hota_sbv2_sign(d, paths, 4, sec), HOTA_E_INVALID_ARG);
    paths[1] = NULL;
    assert_int_equal(hota_sbv2_sign(d, paths, 2, sec), HOTA_E_INVALID_ARG);
    assert_int_equal(hota_sbv2_sign(NULL, paths, 1, sec), HOTA_E_INVALID_ARG);
    assert_int_equal(hota_sbv2_sign(d, paths, 1, NULL), HOTA_E_INVALID_ARG);
}

/* Block signed by key a with the key material of key b (same scheme): refused. */
static void wrong_key(const struct keys *k, int a, int bk)
{
    const char *pa = k->priv[a], *pb = k->priv[bk];
    uint8_t d[32], sa[SECTOR], sb[SECTOR], kd[32];
    hota_sbv2_block_t b;
    size_t key_len;
    memset(d, 0xA5, sizeof d);
    assert_int_equal(hota_sbv2_sign(d, &pa, 1, sa), HOTA_OK);
    assert_int_equal(hota_sbv2_sign(d, &pb, 1, sb), HOTA_OK);
    assert_int_equal(hota_sbv2_parse_block(sa, 0, &b), HOTA_OK);
    key_len = b.key_len;
    assert_int_equal(hota_sbv2_key_digest_file(k->pub[bk], kd, NULL), HOTA_OK);
    assert_memory_not_equal(b.key_digest, kd, 32);
    memcpy(sa + 36, sb + 36, key_len);
    fix_crc(sa);
    assert_int_equal(hota_sbv2_parse_block(sa, 0, &b), HOTA_OK);
    assert_memory_equal(b.key_digest, kd, 32);
    assert_int_equal(hota_sbv2_verify_block(&b, d), HOTA_E_SIG_INVALID);
}

static void test_wrong_key(void **state)
{
    const struct keys *k = *state;
    wrong_key(k, K_RSA_A, K_RSA_B);
    wrong_key(k, K_P256_A, K_P256_B);
}

/* The RSA key material is n, e, rinv = 2^6144 mod n and mdash = -n^-1 mod 2^32, checked here
 * with mbedTLS directly, and the PSS signature verifies with mbedTLS on the hash alone. */
static void test_rsa_direct_mbedtls(void **state)
{
    const struct keys *k = *state;
    const char *path = k->priv[K_RSA_A];
    uint8_t d[32], sec[SECTOR], sig_be[384], buf[384];
    hota_sbv2_block_t b;
    mbedtls_pk_context pk;
    mbedtls_rsa_context *rsa;
    mbedtls_mpi n, two, x, rr;
    uint32_t n0, mdash;
    memset(d, 0x3C, sizeof d);
    assert_int_equal(hota_sbv2_sign(d, &path, 1, sec), HOTA_OK);
    assert_int_equal(hota_sbv2_parse_block(sec, 0, &b), HOTA_OK);
    mbedtls_pk_init(&pk);
    mbedtls_mpi_init(&n), mbedtls_mpi_init(&two), mbedtls_mpi_init(&x), mbedtls_mpi_init(&rr);
    assert_int_equal(mbedtls_pk_parse_public_keyfile(&pk, k->pub[K_RSA_A]), 0);
    rsa = mbedtls_pk_rsa(pk);
    assert_int_equal(mbedtls_rsa_export(rsa, &n, NULL, NULL, NULL, NULL), 0);
    assert_int_equal(mbedtls_mpi_write_binary_le(&n, buf, 384), 0);
    assert_memory_equal(b.key, buf, 384);
    assert_int_equal(b.key[384] | b.key[385] << 8 | b.key[386] << 16 | b.key[387] << 24, 65537);
    assert_int_equal(mbedtls_mpi_lset(&two, 2), 0);
    assert_int_equal(mbedtls_mpi_lset(&x, 6144), 0);
    assert_int_equal(mbedtls_mpi_exp_mod(&rr, &two, &x, &n, NULL), 0);
    assert_int_equal(mbedtls_mpi_write_binary_le(&rr, buf, 384), 0);
    assert_memory_equal(b.key + 388, buf, 384);
    n0 = (uint32_t)b.key[0] | (uint32_t)b.key[1] << 8 | (uint32_t)b.key[2] << 16 |
         (uint32_t)b.key[3] << 24;
    mdash = (uint32_t)b.key[772] | (uint32_t)b.key[773] << 8 | (uint32_t)b.key[774] << 16 |
            (uint32_t)b.key[775] << 24;
    assert_int_equal((uint32_t)(n0 * mdash), 0xFFFFFFFFu);
    for (int i = 0; i < 384; i++)
        sig_be[i] = b.sig[383 - i];
    mbedtls_rsa_set_padding(rsa, MBEDTLS_RSA_PKCS_V21, MBEDTLS_MD_SHA256);
    assert_int_equal(mbedtls_rsa_rsassa_pss_verify_ext(rsa, NULL, NULL, MBEDTLS_RSA_PUBLIC,
                                                       MBEDTLS_MD_SHA256, 32, d,
                                                       MBEDTLS_MD_SHA256, 32, sig_be),
                     0);
    d[0] ^= 1;
    assert_int_not_equal(mbedtls_rsa_rsassa_pss_verify_ext(rsa, NULL, NULL, MBEDTLS_RSA_PUBLIC,
                                                           MBEDTLS_MD_SHA256, 32, d,
                                                           MBEDTLS_MD_SHA256, 32, sig_be),
                         0);
    mbedtls_mpi_free(&n), mbedtls_mpi_free(&two), mbedtls_mpi_free(&x), mbedtls_mpi_free(&rr);
    mbedtls_pk_free(&pk);
}

static void ecdsa_direct(const struct keys *k, int idx, size_t w)
{
    const char *path = k->priv[idx];
    uint8_t img[100], sec[SECTOR], d[32], d384[48], buf[48];
    const uint8_t *hash = w == 48 ? d384 : d;
    hota_sbv2_block_t b;
    mbedtls_pk_context pk;
    mbedtls_ecp_keypair *kp;
    mbedtls_mpi r, s;
    memset(img, 0x77, sizeof img);
    padded_digest(img, sizeof img, d, d384);
    assert_int_equal(hota_sbv2_sign_image(img, sizeof img, &path, 1, sec), HOTA_OK);
    assert_int_equal(hota_sbv2_parse_block(sec, 0, &b), HOTA_OK);
    assert_int_equal(sec[2], w == 48 ? 1 : 0);
    assert_int_equal(b.key[0], w == 48 ? 3 : 2);
    mbedtls_pk_init(&pk);
    mbedtls_mpi_init(&r), mbedtls_mpi_init(&s);
    assert_int_equal(mbedtls_pk_parse_public_keyfile(&pk, k->pub[idx]), 0);
    kp = mbedtls_pk_ec(pk);
    assert_int_equal(mbedtls_mpi_write_binary_le(&kp->Q.X, buf, w), 0);
    assert_memory_equal(b.key + 1, buf, w);
    assert_int_equal(mbedtls_mpi_write_binary_le(&kp->Q.Y, buf, w), 0);
    assert_memory_equal(b.key + 1 + w, buf, w);
    assert_int_equal(mbedtls_mpi_read_binary_le(&r, b.sig, w), 0);
    assert_int_equal(mbedtls_mpi_read_binary_le(&s, b.sig + w, w), 0);
    assert_int_equal(mbedtls_ecdsa_verify(&kp->grp, hash, w, &kp->Q, &r, &s), 0);
    assert_int_not_equal(mbedtls_ecdsa_verify(&kp->grp, hash, w, &kp->Q, &s, &r), 0);
    mbedtls_mpi_free(&r), mbedtls_mpi_free(&s);
    mbedtls_pk_free(&pk);
}

static void test_ecdsa_direct_mbedtls(void **state)
{
    ecdsa_direct(*state, K_P256_A, 32);
    ecdsa_direct(*state, K_P384, 48);
}

static void test_key_errors(void **state)
{
    const struct keys *k = *state;
    char junk[160], missing[160];
    uint8_t d[32] = {0}, sec[SECTOR];
    const char *p;
    FILE *f;
    snprintf(junk, sizeof junk, "%s/junk.pem", k->dir);
    snprintf(missing, sizeof missing, "%s/missing.pem", k->dir);
    f = fopen(junk, "w");
    assert_non_null(f);
    fputs("-----BEGIN PUBLIC KEY-----\nnot base64 at all\n-----END PUBLIC KEY-----\n", f);
    fclose(f);
    assert_int_equal(hota_sbv2_key_digest_file(missing, d, NULL), HOTA_E_FILE_OPEN);
    assert_int_equal(hota_sbv2_key_digest_file(junk, d, NULL), HOTA_E_KEY);
    assert_int_equal(hota_sbv2_key_digest_file(k->pub[K_RSA2048], d, NULL), HOTA_E_KEY);
    assert_int_equal(hota_sbv2_key_digest_file(k->priv[K_RSA2048], d, NULL), HOTA_E_KEY);
    if (k->have[K_P192])
        assert_int_equal(hota_sbv2_key_digest_file(k->pub[K_P192], d, NULL), HOTA_E_KEY);
    assert_int_equal(hota_sbv2_key_digest_file(NULL, d, NULL), HOTA_E_INVALID_ARG);
    p = missing;
    assert_int_equal(hota_sbv2_sign(d, &p, 1, sec), HOTA_E_FILE_OPEN);
    p = junk;
    assert_int_equal(hota_sbv2_sign(d, &p, 1, sec), HOTA_E_KEY);
    p = k->pub[K_RSA_A]; /* a public key cannot sign */
    assert_int_equal(hota_sbv2_sign(d, &p, 1, sec), HOTA_E_KEY);
    p = k->priv[K_RSA2048];
    assert_int_equal(hota_sbv2_sign(d, &p, 1, sec), HOTA_E_KEY);
    p = k->priv[K_P384]; /* needs a SHA-384 digest: hota_sbv2_sign_image */
    assert_int_equal(hota_sbv2_sign(d, &p, 1, sec), HOTA_E_UNSUPPORTED);
    unlink(junk);
}

static void test_parse_args(void **state)
{
    uint8_t sec[SECTOR];
    hota_sbv2_block_t b;
    (void)state;
    memset(sec, 0xFF, sizeof sec);
    assert_int_equal(hota_sbv2_parse_block(sec, 0, &b), HOTA_E_NOT_FOUND);
    assert_int_equal(hota_sbv2_parse_block(NULL, 0, &b), HOTA_E_INVALID_ARG);
    assert_int_equal(hota_sbv2_parse_block(sec, 0, NULL), HOTA_E_INVALID_ARG);
    assert_int_equal(hota_sbv2_parse_block(sec, 3, &b), HOTA_E_INVALID_ARG);
    assert_int_equal(hota_sbv2_verify_block(NULL, sec), HOTA_E_INVALID_ARG);
    memset(sec, 0, BLOCK);
    sec[0] = HOTA_SBV2_MAGIC;
    sec[1] = HOTA_SBV2_VERSION_RSA;
    fix_crc(sec);
    assert_int_equal(hota_sbv2_parse_block(sec, 0, &b), HOTA_OK);
    assert_int_equal(hota_sbv2_verify_block(&b, sec + 4), HOTA_E_KEY); /* n = 0 */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_crc32),
        cmocka_unit_test(test_scheme_names),
        cmocka_unit_test(test_parse_args),
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_one_two_three_keys),
        cmocka_unit_test(test_wrong_key),
        cmocka_unit_test(test_rsa_direct_mbedtls),
        cmocka_unit_test(test_ecdsa_direct_mbedtls),
        cmocka_unit_test(test_key_errors),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
