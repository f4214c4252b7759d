/* hota_check64: independent of how the stream is cut, sensitive to every bit, position and
 * length. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "hota/check64.h"

#define N 1024u

static uint8_t data[N];

static void fill(void)
{
    uint32_t x = 12345u;
    for (size_t i = 0; i < N; i++) {
        x = x * 1103515245u + 12345u;
        data[i] = (uint8_t)(x >> 16);
    }
}

static uint64_t whole(const uint8_t *p, size_t len)
{
    hota_check64_t c;
    hota_check64_init(&c);
    hota_check64_update(&c, p, len);
    return hota_check64_value(&c);
}

/* Every length up to 40 bytes, cut at every pair of points, gives the one-piece value. */
static void test_cuts(void **state)
{
    (void)state;
    fill();
    for (size_t len = 0; len <= 40; len++) {
        uint64_t want = whole(data, len);
        for (size_t a = 0; a <= len; a++) {
            for (size_t b = a; b <= len; b++) {
                hota_check64_t c;
                hota_check64_init(&c);
                hota_check64_update(&c, data, a);
                hota_check64_update(&c, data + a, b - a);
                assert_int_equal(hota_check64_value(&c), whole(data, b)); /* c unchanged */
                hota_check64_update(&c, data + b, len - b);
                assert_int_equal(hota_check64_value(&c), want);
            }
        }
    }
    /* a long stream in odd pieces */
    hota_check64_t c;
    hota_check64_init(&c);
    for (size_t off = 0, step = 1; off < N; off += step, step = step * 3 % 17 + 1)
        hota_check64_update(&c, data + off, off + step > N ? N - off : step);
    assert_int_equal(hota_check64_value(&c), whole(data, N));
}

/* Each single bit flipped anywhere changes the value, and so does each one-byte shortening. */
static void test_every_bit(void **state)
{
    uint64_t base;
    (void)state;
    fill();
    base = whole(data, N);
    for (size_t i = 0; i < N * 8u; i++) {
        data[i / 8] ^= (uint8_t)(1u << (i % 8));
        assert_int_not_equal(whole(data, N), base);
        data[i / 8] ^= (uint8_t)(1u << (i % 8));
    }
    for (size_t len = 0; len < N; len++)
        assert_int_not_equal(whole(data, len), base);
}

/* Order and trailing zeros matter: two words swapped, zero bytes appended, the top bit of two
 * words flipped together (a plain sum of words would miss that). */
static void test_order_and_length(void **state)
{
    uint8_t a[24], b[24];
    uint8_t zeros[16] = {0};
    (void)state;
    fill();
    memcpy(a, data, sizeof a);
    memcpy(b, data + 8, 8);
    memcpy(b + 8, data, 8);
    memcpy(b + 16, data + 16, 8);
    assert_int_not_equal(whole(a, sizeof a), whole(b, sizeof b));
    for (size_t n = 1; n <= sizeof zeros; n++)
        assert_int_not_equal(whole(zeros, n - 1), whole(zeros, n));
    memcpy(b, a, sizeof a);
    b[7] ^= 0x80;
    b[15] ^= 0x80;
    assert_int_not_equal(whole(a, sizeof a), whole(b, sizeof b));
    assert_int_equal(whole(NULL, 0), whole(a, 0));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cuts),
        cmocka_unit_test(test_every_bit),
        cmocka_unit_test(test_order_and_length),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
