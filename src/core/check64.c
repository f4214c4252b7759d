/* 64-bit stream check value (see check64.h). */
#include "hota/check64.h"

#include "core/bytes.h"

#include <string.h>

#define K_MUL 0x9E3779B97F4A7C15ull /* 2^64 / golden ratio, odd */
#define K_SEED 0x243F6A8885A308D3ull /* fractional digits of pi */
#define K_FIN1 0xFF51AFD7ED558CCDull
#define K_FIN2 0xC4CEB9FE1A85EC53ull

static inline uint64_t rotl64(uint64_t v, unsigned r)
{
    return v << r | v >> (64u - r);
}

static inline uint64_t step(uint64_t acc, uint64_t word)
{
    return rotl64(acc ^ (word * K_MUL), 29) * K_MUL + 1u;
}

void hota_check64_init(hota_check64_t *c)
{
    memset(c, 0, sizeof *c);
    c->acc = K_SEED;
}

/* Complete the pending word from p; returns the bytes of p used. */
static size_t fill_part(hota_check64_t *c, const uint8_t *p, size_t len)
{
    size_t take = 8u - c->n < len ? 8u - c->n : len;
    memcpy(c->part + c->n, p, take);
    c->n += (unsigned)take;
    if (c->n == 8u) {
        c->acc = step(c->acc, hota_get_le64(c->part));
        c->n = 0;
    }
    return take;
}

void hota_check64_update(hota_check64_t *c, const uint8_t *p, size_t len)
{
    uint64_t acc;
    size_t used;
    if (len == 0)
        return;
    used = c->n ? fill_part(c, p, len) : 0;
    c->len += len;
    p += used;
    len -= used;
    acc = c->acc;
    for (; len >= 8u; p += 8, len -= 8u)
        acc = step(acc, hota_get_le64(p));
    c->acc = acc;
    if (len)
        fill_part(c, p, len);
}

uint64_t hota_check64_value(const hota_check64_t *c)
{
    uint8_t last[8] = {0};
    uint64_t v = c->acc;
    if (c->n) {
        memcpy(last, c->part, c->n);
        v = step(v, hota_get_le64(last));
    }
    v ^= c->len * K_MUL;
    v ^= v >> 33;
    v *= K_FIN1;
    v ^= v >> 33;
    v *= K_FIN2;
    return v ^ (v >> 33);
}
