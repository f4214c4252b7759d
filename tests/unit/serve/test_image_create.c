/* hota_image_create_*: images made here are accepted by the project's own image verifier
 * (whole and fed byte by byte), carry the requested app description, have the requested size,
 * and bad parameters are refused. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "hota/error.h"
#include "hota/image.h"
#include "hota/image_create.h"

#define CAP (300u * 1024u)

static uint8_t *make(const hota_image_create_params_t *p, size_t *len,
                     hota_image_create_result_t *res)
{
    uint8_t *buf = malloc(CAP);
    assert_non_null(buf);
    assert_int_equal(hota_image_create_buffer(p, buf, CAP, len, res), HOTA_OK);
    return buf;
}

static void params(hota_image_create_params_t *p, const char *ver, uint32_t size)
{
    hota_image_create_defaults(p);
    p->project = "unit-app";
    p->version = ver;
    p->secure_version = 4;
    p->size = size;
}

static void test_verifier_accepts(void **state)
{
    hota_image_create_params_t p;
    hota_image_create_result_t r;
    hota_image_policy_t pol = {.chip_id = 0, .min_secure_version = 4, .require_app_desc = 1};
    hota_image_info_t info;
    size_t len = 0;
    uint8_t *img;
    (void)state;
    params(&p, "2.0.1", HOTA_IMAGE_CREATE_DEFAULT_SIZE);
    img = make(&p, &len, &r);
    assert_int_equal(len, HOTA_IMAGE_CREATE_DEFAULT_SIZE);
    assert_int_equal(hota_image_verify_buffer(img, len, &pol, &info), HOTA_OK);
    assert_int_equal(info.image_len, len);
    assert_int_equal(info.segment_count, 5);
    assert_int_equal(info.chip_id, 0);
    assert_int_equal(info.entry_addr, r.entry_addr);
    assert_true(info.checksum_valid && info.hash_valid && info.hash_appended);
    assert_int_equal(info.checksum, r.checksum);
    assert_memory_equal(info.hash, r.sha256, 32);
    assert_true(info.has_app_desc);
    assert_string_equal(info.app.project_name, "unit-app");
    assert_string_equal(info.app.version, "2.0.1");
    assert_string_equal(info.app.idf_ver, "hota");
    assert_int_equal(info.app.secure_version, 4);
    assert_memory_equal(info.app.app_elf_sha256, r.app_elf_sha256, 32);
    /* anti-rollback: an eFuse value above the image's secure_version refuses it */
    pol.min_secure_version = 5;
    assert_int_equal(hota_image_verify_buffer(img, len, &pol, NULL), HOTA_E_SECURE_VERSION);
    free(img);
}

static void test_streamed_byte_by_byte(void **state)
{
    hota_image_create_params_t p;
    hota_image_verifier_t *v = malloc(sizeof *v);
    size_t len = 0;
    uint8_t *img;
    (void)state;
    assert_non_null(v);
    params(&p, "3", 8192);
    img = make(&p, &len, NULL);
    assert_int_equal(len, 8192);
    hota_image_verifier_init(v, NULL);
    for (size_t i = 0; i < len; i++)
        assert_int_equal(hota_image_verifier_feed(v, img + i, 1), HOTA_OK);
    assert_true(hota_image_verifier_is_complete(v));
    assert_int_equal(hota_image_verifier_finish(v), HOTA_OK);
    hota_image_verifier_free(v);
    /* one flipped filler byte breaks checksum or hash */
    img[len / 2] ^= 0x01;
    assert_int_not_equal(hota_image_verify_buffer(img, len, NULL, NULL), HOTA_OK);
    free(v);
    free(img);
}

static void test_sizes(void **state)
{
    static const struct {
        uint32_t want, got;
    } t[] = {{100000, 100000}, {100001, 100000}, {100007, 100000}, {100008, 100016},
             {65536, 65536},   {4096, 4096},     {HOTA_IMAGE_CREATE_MAX_SIZE,
                                                  HOTA_IMAGE_CREATE_MAX_SIZE}};
    (void)state;
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
        hota_image_create_params_t p;
        uint32_t size = 0;
        params(&p, "1", t[i].want);
        assert_int_equal(hota_image_create_size(&p, &size), HOTA_OK);
        assert_int_equal(size, t[i].got);
    }
}

static void test_deterministic_and_versions_differ(void **state)
{
    hota_image_create_params_t p;
    hota_image_create_result_t r1, r2, r3;
    size_t l1, l2, l3;
    uint8_t *a, *b, *c;
    (void)state;
    params(&p, "1.0", 65536);
    a = make(&p, &l1, &r1);
    b = make(&p, &l2, &r2);
    p.version = "1.1";
    c = make(&p, &l3, &r3);
    assert_int_equal(l1, l2);
    assert_memory_equal(a, b, l1);
    assert_int_equal(l1, l3);
    assert_memory_not_equal(r1.sha256, r3.sha256, 32);
    assert_memory_not_equal(r1.app_elf_sha256, r3.app_elf_sha256, 32);
    assert_memory_not_equal(a + 0x20 + 256, c + 0x20 + 256, 64);
    free(a);
    free(b);
    free(c);
}

static int failing_sink(void *ctx, const uint8_t *buf, size_t len)
{
    size_t *budget = ctx;
    (void)buf;
    if (len > *budget)
        return HOTA_E_IO;
    *budget -= len;
    return HOTA_OK;
}

static void test_errors(void **state)
{
    hota_image_create_params_t p;
    uint8_t small[64];
    size_t budget = 5000, len;
    uint32_t size;
    (void)state;
    params(&p, "1", 2048);
    assert_int_equal(hota_image_create_size(&p, &size), HOTA_E_INVALID_ARG);
    params(&p, "1", HOTA_IMAGE_CREATE_MAX_SIZE + 16);
    assert_int_equal(hota_image_create_size(&p, &size), HOTA_E_INVALID_ARG);
    params(&p, "12345678901234567890123456789012", 65536); /* 32 characters */
    assert_int_equal(hota_image_create_size(&p, &size), HOTA_E_INVALID_ARG);
    params(&p, "", 65536);
    assert_int_equal(hota_image_create_size(&p, &size), HOTA_E_INVALID_ARG);
    params(&p, "1", 65536);
    p.chip = "esp32c3";
    assert_int_equal(hota_image_create_size(&p, &size), HOTA_E_UNSUPPORTED);
    p.chip = "esp32";
    assert_int_equal(hota_image_create_buffer(&p, small, sizeof small, &len, NULL),
                     HOTA_E_BUFFER_TOO_SMALL);
    assert_int_equal(hota_image_create_stream(&p, failing_sink, &budget, NULL), HOTA_E_IO);
    assert_int_equal(hota_image_create_file(&p, "/nonexistent/dir/x.bin", NULL),
                     HOTA_E_FILE_OPEN);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_verifier_accepts),
        cmocka_unit_test(test_streamed_byte_by_byte),
        cmocka_unit_test(test_sizes),
        cmocka_unit_test(test_deterministic_and_versions_differ),
        cmocka_unit_test(test_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
