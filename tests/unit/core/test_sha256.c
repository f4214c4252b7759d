/* hota_sha256 on the build's crypto library: FIPS 180-2 vectors, peek without disturbing the
 * running hash, any cut of the stream, and the library named as the build chose it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "hota/config.h"
#include "hota/sha256.h"

static const uint8_t abc_digest[32] = {
    0xba, 0x78, 0x16, 0xbf, 0x8f, 0x01, 0xcf, 0xea, 0x41, 0x41, 0x40, 0xde, 0x5d, 0xae, 0x22, 0x23,
    0xb0, 0x03, 0x61, 0xa3, 0x96, 0x17, 0x7a, 0x9c, 0xb4, 0x10, 0xff, 0x61, 0xf2, 0x00, 0x15, 0xad};
static const uint8_t empty_digest[32] = {
    0xe3, 0xb0, 0xc4, 0x42, 0x98, 0xfc, 0x1c, 0x14, 0x9a, 0xfb, 0xf4, 0xc8, 0x99, 0x6f, 0xb9, 0x24,
    0x27, 0xae, 0x41, 0xe4, 0x64, 0x9b, 0x93, 0x4c, 0xa4, 0x95, 0x99, 0x1b, 0x78, 0x52, 0xb8, 0x55};
static const uint8_t million_a_digest[32] = {
    0xcd, 0xc7, 0x6e, 0x5c, 0x99, 0x14, 0xfb, 0x92, 0x81, 0xa1, 0xc7, 0xe2, 0x84, 0xd7, 0x3e, 0x67,
    0xf1, 0x80, 0x9a, 0x48, 0xa4, 0x97, 0x20, 0x0e, 0x04, 0x6d, 0x39, 0xcc, 0xc7, 0x11, 0x2c, 0xd0};

static void test_vectors(void **state)
{
    hota_sha256_t s;
    uint8_t out[32], a[1000];
    (void)state;
    hota_sha256_init(&s);
    hota_sha256_update(&s, NULL, 0);
    hota_sha256_finish(&s, out);
    assert_memory_equal(out, empty_digest, 32);
    hota_sha256_init(&s);
    hota_sha256_update(&s, "abc", 3);
    hota_sha256_finish(&s, out);
    assert_memory_equal(out, abc_digest, 32);
    memset(a, 'a', sizeof a);
    hota_sha256_init(&s);
    for (int i = 0; i < 1000; i++)
        hota_sha256_update(&s, a, sizeof a);
    hota_sha256_finish(&s, out);
    assert_memory_equal(out, million_a_digest, 32);
    hota_sha256_free(&s);
    hota_sha256_free(&s);
}

/* peek() gives the digest so far and the hash goes on as if nothing happened. */
static void test_peek_and_cuts(void **state)
{
    hota_sha256_t s, whole;
    uint8_t data[300], out[32], want[32], pre[32];
    (void)state;
    for (size_t i = 0; i < sizeof data; i++)
        data[i] = (uint8_t)(i * 31 + 7);
    hota_sha256_init(&whole);
    hota_sha256_update(&whole, data, sizeof data);
    hota_sha256_finish(&whole, want);
    for (size_t cut = 0; cut <= sizeof data; cut += 13) {
        hota_sha256_t p;
        hota_sha256_init(&s);
        hota_sha256_update(&s, data, cut);
        hota_sha256_peek(&s, out);
        hota_sha256_init(&p);
        hota_sha256_update(&p, data, cut);
        hota_sha256_finish(&p, pre);
        assert_memory_equal(out, pre, 32);
        hota_sha256_update(&s, data + cut, sizeof data - cut);
        hota_sha256_finish(&s, out);
        assert_memory_equal(out, want, 32);
    }
}

static void test_library(void **state)
{
    (void)state;
    assert_string_equal(hota_sha256_library(), HOTA_TLS_BACKEND_NAME);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_vectors),
        cmocka_unit_test(test_peek_and_cuts),
        cmocka_unit_test(test_library),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
