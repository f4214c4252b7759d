/* Streaming image verifier on synthetic images built here: valid images fed in every way,
 * single-byte mutations, truncations, policy refusals at the byte that decides them. */
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
#include <mbedtls/entropy.h>
#include <mbedtls/pk.h>
#include <mbedtls/sha256.h>

#include "hota/error.h"
#include "hota/flash_file.h"
#include "hota/image.h"
#include "hota/sbv2.h"

#define CAP (64 * 1024)

/* How to build a synthetic image. */
struct spec {
    unsigned nseg;
    uint32_t seg_len[HOTA_IMAGE_MAX_SEGMENTS];
    uint16_t chip_id;
    int hash;        /* hash_appended */
    int desc;        /* write an esp_app_desc_t at the start of segment 0 */
    uint32_t secure_version;
};

static const struct spec base = {
    .nseg = 3, .seg_len = {320, 64, 100}, .chip_id = 0, .hash = 1, .desc = 1, .secure_version = 2};

static void put32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v, p[1] = (uint8_t)(v >> 8), p[2] = (uint8_t)(v >> 16),
    p[3] = (uint8_t)(v >> 24);
}

static void put_desc(uint8_t *d, const struct spec *s)
{
    put32(d, HOTA_APP_DESC_MAGIC);
    put32(d + 4, s->secure_version);
    memset(d + 8, 0, HOTA_APP_DESC_SIZE - 8);
    strcpy((char *)d + 16, "v1.2.3");
    strcpy((char *)d + 48, "synthetic-app");
    strcpy((char *)d + 80, "12:34:56");
    strcpy((char *)d + 96, "Jan  2 2024");
    strcpy((char *)d + 112, "v5.3.1");
    memset(d + 144, 0xA5, 32);
}

/* Write the image into buf; returns image_len. Segment data is a reproducible pattern. */
static size_t build(uint8_t *buf, const struct spec *s)
{
    size_t off = HOTA_IMAGE_HEADER_SIZE;
    uint8_t x = 0xEF;
    memset(buf, 0, HOTA_IMAGE_HEADER_SIZE);
    buf[0] = 0xE9, buf[1] = (uint8_t)s->nseg, buf[2] = 2, buf[3] = 0x20;
    put32(buf + 4, 0x40080010);
    buf[8] = 0xEE, buf[12] = (uint8_t)s->chip_id, buf[13] = (uint8_t)(s->chip_id >> 8);
    buf[17] = buf[18] = 0xFF;
    buf[23] = (uint8_t)s->hash;
    for (unsigned i = 0; i < s->nseg; i++) {
        put32(buf + off, 0x3F400020 + 0x10000 * i);
        put32(buf + off + 4, s->seg_len[i]);
        off += 8;
        for (uint32_t k = 0; k < s->seg_len[i]; k++)
            buf[off + k] = (uint8_t)(k * 7 + i * 13 + 1);
        if (i == 0 && s->desc && s->seg_len[0] >= HOTA_APP_DESC_SIZE)
            put_desc(buf + off, s);
        for (uint32_t k = 0; k < s->seg_len[i]; k++)
            x ^= buf[off + k];
        off += s->seg_len[i];
    }
    while (off % 16 != 15)
        buf[off++] = 0;
    buf[off++] = x;
    if (s->hash) {
        mbedtls_sha256_ret(buf, off, buf + off, 0);
        off += 32;
    }
    return off;
}

static hota_image_policy_t any_policy(void)
{
    hota_image_policy_t p = {.chip_id = -1};
    return p;
}

/* Feed one byte at a time; returns the index of the byte that produced the first error (or
 * len when none), the error in *err. */
static size_t first_error_at(const uint8_t *img, size_t len, const hota_image_policy_t *p,
                             int *err)
{
    hota_image_verifier_t v;
    hota_image_verifier_init(&v, p);
    *err = HOTA_OK;
    for (size_t i = 0; i < len; i++) {
        int rc = hota_image_verifier_feed(&v, img + i, 1);
        if (rc) {
            *err = rc;
            assert_int_equal(hota_image_verifier_feed(&v, img, 1), rc); /* sticky */
            assert_int_equal(hota_image_verifier_finish(&v), rc);
            hota_image_verifier_free(&v);
            return i;
        }
    }
    *err = hota_image_verifier_finish(&v);
    hota_image_verifier_free(&v);
    return len;
}

static void test_valid_image(void **state)
{
    static uint8_t img[CAP];
    hota_image_policy_t p = {.chip_id = 0, .require_app_desc = 1, .min_secure_version = 2};
    hota_image_info_t in;
    size_t len = build(img, &base);
    (void)state;
    assert_int_equal(hota_image_verify_buffer(img, len, &p, &in), HOTA_OK);
    assert_int_equal(in.segment_count, 3);
    assert_int_equal(in.segments[0].load_addr, 0x3F400020);
    assert_int_equal(in.segments[0].length, 320);
    assert_int_equal(in.segments[0].offset, 0x20);
    assert_int_equal(in.segments[2].load_addr, 0x3F420020);
    assert_int_equal(in.segments[2].length, 100);
    assert_int_equal(in.entry_addr, 0x40080010);
    assert_int_equal(in.spi_mode, 2);
    assert_int_equal(in.spi_size, 2);
    assert_int_equal(in.max_chip_rev_full, 0xFFFF);
    assert_true(in.checksum_valid);
    assert_int_equal(in.checksum, img[len - 33]);
    assert_true(in.hash_valid);
    assert_memory_equal(in.hash, img + len - 32, 32);
    assert_int_equal(in.image_len, len);
    assert_int_equal(in.total_len, len);
    assert_int_equal(in.signed_len, (len + 4095) / 4096 * 4096);
    assert_true(in.has_app_desc);
    assert_string_equal(in.app.project_name, "synthetic-app");
    assert_string_equal(in.app.version, "v1.2.3");
    assert_string_equal(in.app.date, "Jan  2 2024");
    assert_string_equal(in.app.time, "12:34:56");
    assert_string_equal(in.app.idf_ver, "v5.3.1");
    assert_int_equal(in.app.secure_version, 2);
    assert_int_equal(in.app.app_elf_sha256[31], 0xA5);
    assert_int_equal(in.sig_count, 0);
}

static void test_no_hash_and_empty_segment(void **state)
{
    static uint8_t img[CAP];
    struct spec s = base;
    hota_image_info_t in;
    hota_image_policy_t p = any_policy();
    size_t len;
    (void)state;
    s.hash = 0;
    s.nseg = 4;
    s.seg_len[1] = 0;
    s.seg_len[3] = 0; /* the last segment is empty too */
    len = build(img, &s);
    assert_int_equal(len % 16, 0);
    assert_int_equal(hota_image_verify_buffer(img, len, &p, &in), HOTA_OK);
    assert_int_equal(in.image_len, len);
    assert_false(in.hash_valid);
    assert_true(in.checksum_valid);
    assert_int_equal(in.segments[1].length, 0);
}

/* Byte-at-a-time, whole, and every two-piece split give the same verdict and info. */
static void test_every_split(void **state)
{
    static uint8_t img[CAP];
    static hota_image_verifier_t whole, v;
    hota_image_policy_t p = {.chip_id = 0, .require_app_desc = 1};
    size_t len = build(img, &base);
    (void)state;
    hota_image_verifier_init(&whole, &p);
    assert_int_equal(hota_image_verifier_feed(&whole, img, len), HOTA_OK);
    assert_true(hota_image_verifier_is_complete(&whole));
    assert_int_equal(hota_image_verifier_finish(&whole), HOTA_OK);
    for (size_t k = 0; k <= len; k++) {
        hota_image_verifier_init(&v, &p);
        assert_int_equal(hota_image_verifier_feed(&v, img, k), HOTA_OK);
        assert_int_equal(hota_image_verifier_is_complete(&v), k == len);
        assert_int_equal(hota_image_verifier_feed(&v, img + k, len - k), HOTA_OK);
        assert_int_equal(hota_image_verifier_finish(&v), HOTA_OK);
        assert_memory_equal(hota_image_verifier_info(&v), hota_image_verifier_info(&whole),
                            sizeof(hota_image_info_t));
        hota_image_verifier_free(&v);
    }
    hota_image_verifier_init(&v, &p);
    for (size_t i = 0; i < len; i++) {
        assert_int_equal(hota_image_verifier_app_desc_ready(&v), i >= 0x20 + HOTA_APP_DESC_SIZE);
        assert_int_equal(hota_image_verifier_feed(&v, img + i, 1), HOTA_OK);
    }
    assert_int_equal(hota_image_verifier_finish(&v), HOTA_OK);
    assert_memory_equal(hota_image_verifier_info(&v), hota_image_verifier_info(&whole),
                            sizeof(hota_image_info_t));
    hota_image_verifier_free(&whole);
}

struct mutation {
    const char *what;
    size_t at;      /* byte to change (from the end when from_end) */
    int from_end;
    uint8_t value;  /* new value (xor 0x01 when use_xor) */
    int use_xor;
    int expect;
    long err_at;    /* expected index of the deciding byte; -1: the mutated byte; -2: last */
};

static void check_mutation(const struct mutation *m, const hota_image_policy_t *p)
{
    static uint8_t img[CAP];
    size_t len = build(img, &base), at = m->from_end ? len - m->at : m->at;
    size_t want_at = m->err_at == -1 ? at : m->err_at == -2 ? len - 1 : (size_t)m->err_at;
    int err;
    img[at] = m->use_xor ? (uint8_t)(img[at] ^ 0x01) : m->value;
    print_message("mutation: %s\n", m->what);
    assert_int_equal(first_error_at(img, len, p, &err), want_at);
    assert_int_equal(err, m->expect);
}

static void test_mutations(void **state)
{
    hota_image_policy_t p = {.chip_id = 0};
    size_t seg1 = 0x20 + 320 + 8; /* first data byte of segment 1 */
    size_t cks = (seg1 + 64 + 8 + 100) | 15;
    const struct mutation ms[] = {
        {"magic", 0, 0, 0xE8, 0, HOTA_E_IMAGE_MAGIC, -1},
        {"segment count 17", 1, 0, 17, 0, HOTA_E_IMAGE_HEADER, -1},
        {"segment count 0", 1, 0, 0, 0, HOTA_E_IMAGE_HEADER, -1},
        {"chip id low byte", 12, 0, 5, 0, HOTA_E_IMAGE_CHIP, 13},
        {"chip id high byte", 13, 0, 1, 0, HOTA_E_IMAGE_CHIP, 13},
        {"hash_appended 2", 23, 0, 2, 0, HOTA_E_IMAGE_HEADER, -1},
        {"segment length not a multiple of 4", 0x1C, 0, 0x41, 0, HOTA_E_IMAGE_SEGMENT, 0x1F},
        {"segment length of 16 MiB", 0x1F, 0, 0x01, 0, HOTA_E_IMAGE_SEGMENT, 0x1F},
        {"byte in segment 1", seg1 + 5, 0, 0, 1, HOTA_E_IMAGE_CHECKSUM, (long)cks},
        {"byte in app desc", 0x20 + 50, 0, 0, 1, HOTA_E_IMAGE_CHECKSUM, (long)cks},
        {"checksum byte", 33, 1, 0, 1, HOTA_E_IMAGE_CHECKSUM, -1},
        {"padding byte", cks - 1, 0, 0, 1, HOTA_E_IMAGE_HASH, -2},
        {"first hash byte", 32, 1, 0, 1, HOTA_E_IMAGE_HASH, -2},
        {"last hash byte", 1, 1, 0, 1, HOTA_E_IMAGE_HASH, -2},
    };
    (void)state;
    for (size_t i = 0; i < sizeof ms / sizeof ms[0]; i++)
        check_mutation(&ms[i], &p);
}

/* Two flips that cancel in the XOR checksum are still caught by the SHA-256. */
static void test_checksum_blind_spot_caught_by_hash(void **state)
{
    static uint8_t img[CAP];
    size_t len = build(img, &base);
    hota_image_policy_t p = any_policy();
    hota_image_info_t in;
    int err;
    (void)state;
    img[0x20 + 300] ^= 0x40;
    img[0x20 + 400] ^= 0x40;
    assert_int_equal(first_error_at(img, len, &p, &err), len - 1);
    assert_int_equal(err, HOTA_E_IMAGE_HASH);
    p.report_all = 1;
    assert_int_equal(hota_image_verify_buffer(img, len, &p, &in), HOTA_E_IMAGE_HASH);
    assert_true(in.checksum_valid);
    assert_false(in.hash_valid);
}

/* report_all: a bad checksum is recorded, parsing continues, finish reports it. */
static void test_report_all(void **state)
{
    static uint8_t img[CAP];
    size_t len = build(img, &base);
    hota_image_policy_t p = {.chip_id = -1, .report_all = 1};
    hota_image_verifier_t v;
    const hota_image_info_t *in;
    (void)state;
    img[0x20 + 300] ^= 0x01;
    hota_image_verifier_init(&v, &p);
    assert_int_equal(hota_image_verifier_feed(&v, img, len), HOTA_OK);
    assert_true(hota_image_verifier_is_complete(&v));
    assert_int_equal(hota_image_verifier_finish(&v), HOTA_E_IMAGE_CHECKSUM);
    in = hota_image_verifier_info(&v);
    assert_false(in->checksum_valid);
    assert_int_equal(in->checksum ^ in->checksum_calc, 0x01);
    assert_false(in->hash_valid);
    assert_int_equal(in->image_len, len);
    hota_image_verifier_free(&v);
}

static void test_truncated_everywhere(void **state)
{
    static uint8_t img[CAP];
    size_t len = build(img, &base);
    hota_image_policy_t p = any_policy();
    hota_image_verifier_t v;
    (void)state;
    for (size_t k = 0; k < len; k++) {
        hota_image_verifier_init(&v, &p);
        assert_int_equal(hota_image_verifier_feed(&v, img, k), HOTA_OK);
        assert_false(hota_image_verifier_is_complete(&v));
        assert_int_equal(hota_image_verifier_finish(&v), HOTA_E_IMAGE_TRUNCATED);
        hota_image_verifier_free(&v);
    }
}

static void test_too_large(void **state)
{
    static uint8_t img[CAP];
    size_t len = build(img, &base);
    size_t last_hdr_end = 0x20 + 320 + 8 + 64 + 8 - 1; /* last byte of segment 2's header */
    hota_image_policy_t p = {.chip_id = -1, .max_len = (uint32_t)len - 1};
    int err;
    (void)state;
    assert_int_equal(first_error_at(img, len, &p, &err), last_hdr_end);
    assert_int_equal(err, HOTA_E_IMAGE_TOO_LARGE);
    p.max_len = 200; /* segment 0 alone does not fit */
    assert_int_equal(first_error_at(img, len, &p, &err), 0x1F);
    assert_int_equal(err, HOTA_E_IMAGE_TOO_LARGE);
    p.max_len = (uint32_t)len;
    assert_int_equal(first_error_at(img, len, &p, &err), len);
    assert_int_equal(err, HOTA_OK);
    /* a required signature sector must fit as well */
    p.max_len = (uint32_t)len;
    p.n_trusted = 1;
    p.trusted_keys = (const uint8_t(*)[32]) "0123456789abcdef0123456789abcdef";
    assert_int_equal(first_error_at(img, len, &p, &err), last_hdr_end);
    assert_int_equal(err, HOTA_E_IMAGE_TOO_LARGE);
}

static void test_policy_refusals_early(void **state)
{
    static uint8_t img[CAP];
    struct spec s = base;
    size_t len = build(img, &base);
    hota_image_policy_t p = {.chip_id = 2};
    int err;
    (void)state;
    assert_int_equal(first_error_at(img, len, &p, &err), 13);
    assert_int_equal(err, HOTA_E_IMAGE_CHIP);
    p = (hota_image_policy_t){.chip_id = 0, .min_secure_version = 3};
    assert_int_equal(first_error_at(img, len, &p, &err), 0x27);
    assert_int_equal(err, HOTA_E_SECURE_VERSION);
    p.min_secure_version = 2;
    assert_int_equal(first_error_at(img, len, &p, &err), len);
    assert_int_equal(err, HOTA_OK);
    /* no esp_app_desc_t: decided by its magic word */
    s.desc = 0;
    len = build(img, &s);
    p = (hota_image_policy_t){.chip_id = -1, .require_app_desc = 1};
    assert_int_equal(first_error_at(img, len, &p, &err), 0x23);
    assert_int_equal(err, HOTA_E_NO_APP_DESC);
    p.require_app_desc = 0;
    assert_int_equal(first_error_at(img, len, &p, &err), len);
    assert_int_equal(err, HOTA_OK);
    /* segment 0 too short to hold one: decided by its header */
    s = base;
    s.seg_len[0] = 128;
    len = build(img, &s);
    p.require_app_desc = 1;
    assert_int_equal(first_error_at(img, len, &p, &err), 0x1F);
    assert_int_equal(err, HOTA_E_NO_APP_DESC);
}

/* Bytes past image_len start a signature sector; bytes past that sector are trailing. */
static void test_sector_and_trailing(void **state)
{
    static uint8_t img[CAP];
    size_t len = build(img, &base), signed_len = (len + 4095) / 4096 * 4096;
    hota_image_policy_t p = any_policy();
    hota_image_verifier_t v;
    hota_image_info_t in;
    (void)state;
    memset(img + len, 0xFF, signed_len + 4096 - len);
    hota_image_verifier_init(&v, &p);
    assert_int_equal(hota_image_verifier_feed(&v, img, len), HOTA_OK);
    assert_true(hota_image_verifier_is_complete(&v));
    assert_int_equal(hota_image_verifier_feed(&v, img + len, 1), HOTA_OK);
    assert_false(hota_image_verifier_is_complete(&v));
    assert_int_equal(hota_image_verifier_info(&v)->total_len, signed_len + 4096);
    assert_int_equal(hota_image_verifier_finish(&v), HOTA_E_IMAGE_TRUNCATED);
    assert_int_equal(hota_image_verifier_feed(&v, img + len + 1, signed_len + 4095 - len),
                     HOTA_OK);
    assert_true(hota_image_verifier_is_complete(&v));
    assert_int_equal(hota_image_verifier_finish(&v), HOTA_OK);
    assert_int_equal(hota_image_verifier_info(&v)->sig_count, 0);
    assert_int_equal(hota_image_verifier_feed(&v, img, 1), HOTA_E_IMAGE_TRAILING);
    assert_int_equal(hota_image_verifier_finish(&v), HOTA_E_IMAGE_TRAILING);
    hota_image_verifier_free(&v);
    /* the same empty sector when a signature is required */
    p.n_trusted = 1;
    p.trusted_keys = (const uint8_t(*)[32]) "0123456789abcdef0123456789abcdef";
    assert_int_equal(hota_image_verify_buffer(img, signed_len + 4096, &p, &in),
                     HOTA_E_SIG_MISSING);
    assert_int_equal(hota_image_verify_buffer(img, len, &p, &in), HOTA_E_SIG_MISSING);
    assert_int_equal(hota_image_verify_buffer(img, len + 100, &p, &in), HOTA_E_IMAGE_TRUNCATED);
    /* a block with its magic but garbage inside */
    img[signed_len] = 0xE7;
    img[signed_len + 1] = 0x02;
    assert_int_equal(hota_image_verify_buffer(img, signed_len + 4096, &p, &in), HOTA_E_SIG_CRC);
    assert_int_equal(in.sig_count, 1);
    assert_false(in.sigs[0].valid);
    assert_int_equal(in.sigs[0].result, HOTA_E_SIG_CRC);
    p.n_trusted = 0; /* not required: recorded, not fatal... */
    assert_int_equal(hota_image_verify_buffer(img, signed_len + 4096, &p, &in), HOTA_OK);
    assert_int_equal(in.sig_count, 1);
    p.report_all = 1; /* ...unless every defect is reported */
    assert_int_equal(hota_image_verify_buffer(img, signed_len + 4096, &p, &in), HOTA_E_SIG_CRC);
}

static void test_verify_flash(void **state)
{
    static uint8_t img[CAP], back[CAP];
    char path[] = "/tmp/hota-test-verifier-XXXXXX";
    hota_flash_file_t ff;
    hota_flash_t dev;
    hota_image_policy_t p = {.chip_id = 0, .require_app_desc = 1};
    hota_image_info_t in;
    size_t len = build(img, &base);
    int fd = mkstemp(path);
    (void)state;
    assert_true(fd >= 0);
    close(fd);
    hota_flash_file_init(&ff);
    assert_int_equal(hota_flash_file_open(&ff, path, 1, 1u << 20, 1, &dev), HOTA_OK);
    assert_int_equal(hota_flash_erase(&dev, 0x10000, 0x10000), HOTA_OK);
    assert_int_equal(hota_flash_write(&dev, 0x10000, img, len), HOTA_OK);
    assert_int_equal(hota_image_verify_flash(&dev, 0x10000, 0x10000, &p, &in), HOTA_OK);
    assert_int_equal(in.image_len, len);
    assert_int_equal(in.total_len, len);
    assert_string_equal(in.app.project_name, "synthetic-app");
    /* slot too small */
    assert_int_equal(hota_image_verify_flash(&dev, 0x10000, 512, &p, &in),
                     HOTA_E_IMAGE_TOO_LARGE);
    /* erased slot */
    assert_int_equal(hota_image_verify_flash(&dev, 0x20000, 0x10000, &p, &in),
                     HOTA_E_IMAGE_MAGIC);
    /* image cut short by the end of the flash */
    assert_int_equal(hota_flash_erase(&dev, 0xFF000, 0x1000), HOTA_OK);
    assert_int_equal(hota_flash_write(&dev, 0xFFE00, img, 0x200), HOTA_OK);
    assert_int_equal(hota_image_verify_flash(&dev, 0xFFE00, 0, &p, &in),
                     HOTA_E_IMAGE_TOO_LARGE);
    /* a required signature that is not there */
    p.n_trusted = 1;
    p.trusted_keys = (const uint8_t(*)[32]) "0123456789abcdef0123456789abcdef";
    assert_int_equal(hota_image_verify_flash(&dev, 0x10000, 0x10000, &p, &in),
                     HOTA_E_SIG_MISSING);
    assert_int_equal(hota_flash_read(&dev, 0x10000, back, len), HOTA_OK);
    assert_memory_equal(back, img, len);
    assert_int_equal(hota_image_verify_flash(NULL, 0, 0, &p, &in), HOTA_E_INVALID_ARG);
    assert_int_equal(hota_image_verify_flash(&dev, 1u << 20, 0, &p, &in), HOTA_E_INVALID_ARG);
    hota_flash_file_free(&ff);
    unlink(path);
}

/* A fresh ECDSA P-256 key pair as PEM files: priv_path, pub_path (buffers of 64). */
static void make_key(char *priv_path, char *pub_path)
{
    mbedtls_pk_context pk;
    mbedtls_entropy_context ent;
    mbedtls_ctr_drbg_context drbg;
    unsigned char pem[2048];
    FILE *f;
    mbedtls_pk_init(&pk);
    mbedtls_entropy_init(&ent);
    mbedtls_ctr_drbg_init(&drbg);
    assert_int_equal(mbedtls_ctr_drbg_seed(&drbg, mbedtls_entropy_func, &ent, NULL, 0), 0);
    assert_int_equal(mbedtls_pk_setup(&pk, mbedtls_pk_info_from_type(MBEDTLS_PK_ECKEY)), 0);
    assert_int_equal(mbedtls_ecp_gen_key(MBEDTLS_ECP_DP_SECP256R1, mbedtls_pk_ec(pk),
                                         mbedtls_ctr_drbg_random, &drbg), 0);
    strcpy(priv_path, "/tmp/hota-test-verifier-key-XXXXXX");
    close(mkstemp(priv_path));
    assert_int_equal(mbedtls_pk_write_key_pem(&pk, pem, sizeof pem), 0);
    assert_non_null(f = fopen(priv_path, "w"));
    fputs((char *)pem, f);
    fclose(f);
    strcpy(pub_path, "/tmp/hota-test-verifier-pub-XXXXXX");
    close(mkstemp(pub_path));
    assert_int_equal(mbedtls_pk_write_pubkey_pem(&pk, pem, sizeof pem), 0);
    assert_non_null(f = fopen(pub_path, "w"));
    fputs((char *)pem, f);
    fclose(f);
    mbedtls_pk_free(&pk);
    mbedtls_ctr_drbg_free(&drbg);
    mbedtls_entropy_free(&ent);
}

/* Signature sectors made here with fresh keys: trusted, untrusted, two blocks, tampering. */
static void test_signed_synthetic(void **state)
{
    static uint8_t img[CAP];
    char priv[2][64], pub[2][64];
    const char *privs[2] = {priv[0], priv[1]};
    uint8_t keys[2][32];
    size_t len = build(img, &base), signed_len = (len + 4095) / 4096 * 4096;
    size_t total = signed_len + 4096;
    hota_image_policy_t p = {.chip_id = 0, .n_trusted = 1};
    hota_image_info_t in;
    int err;
    (void)state;
    for (int k = 0; k < 2; k++) {
        make_key(priv[k], pub[k]);
        assert_int_equal(hota_sbv2_key_digest_file(pub[k], keys[k], NULL), HOTA_OK);
    }
    memset(img + len, 0xFF, signed_len - len);
    assert_int_equal(hota_sbv2_sign_image(img, len, privs, 2, img + signed_len), HOTA_OK);
    p.trusted_keys = (const uint8_t(*)[32])keys[1]; /* the second block's key */
    assert_int_equal(first_error_at(img, total, &p, &err), total);
    assert_int_equal(err, HOTA_OK);
    assert_int_equal(hota_image_verify_buffer(img, total, &p, &in), HOTA_OK);
    assert_int_equal(in.sig_count, 2);
    assert_true(in.sigs[0].valid && in.sigs[1].valid);
    assert_false(in.sigs[0].trusted);
    assert_true(in.sigs[1].trusted);
    assert_int_equal(in.sigs[0].scheme, HOTA_SIG_ECDSA256);
    assert_memory_equal(in.sigs[0].key_digest, keys[0], 32);
    /* one block, from a key that is not trusted: refused at the sector's last byte */
    assert_int_equal(hota_sbv2_sign_image(img, len, privs, 1, img + signed_len), HOTA_OK);
    assert_int_equal(first_error_at(img, total, &p, &err), total - 1);
    assert_int_equal(err, HOTA_E_SIG_UNTRUSTED);
    /* a padding byte changed: the digest no longer matches */
    p.trusted_keys = (const uint8_t(*)[32])keys[0];
    assert_int_equal(hota_image_verify_buffer(img, total, &p, &in), HOTA_OK);
    img[signed_len - 1] = 0x00;
    assert_int_equal(first_error_at(img, total, &p, &err), total - 1);
    assert_int_equal(err, HOTA_E_SIG_DIGEST);
    img[signed_len - 1] = 0xFF;
    /* a signature byte changed: CRC, or with the CRC repaired, the signature itself */
    img[signed_len + 200] ^= 0x01;
    assert_int_equal(hota_image_verify_buffer(img, total, &p, &in), HOTA_E_SIG_CRC);
    for (int k = 0; k < 2; k++) {
        unlink(priv[k]);
        unlink(pub[k]);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_valid_image),
        cmocka_unit_test(test_no_hash_and_empty_segment),
        cmocka_unit_test(test_every_split),
        cmocka_unit_test(test_mutations),
        cmocka_unit_test(test_checksum_blind_spot_caught_by_hash),
        cmocka_unit_test(test_report_all),
        cmocka_unit_test(test_truncated_everywhere),
        cmocka_unit_test(test_too_large),
        cmocka_unit_test(test_policy_refusals_early),
        cmocka_unit_test(test_sector_and_trailing),
        cmocka_unit_test(test_verify_flash),
        cmocka_unit_test(test_signed_synthetic),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
