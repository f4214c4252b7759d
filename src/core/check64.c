/* 64-bit stream check value (see hota/check64.h). Four independent lanes (word i goes to lane
 * i % 4) so the multiplications of neighbouring words overlap; the lanes are folded together,
 * with the length, only when the value is asked for. */
#include "hota/check64.h"

#include <string.h>

#define K_MUL 0x9E3779B97F4A7C15ull  /* 2^64 / golden ratio, odd */
#define K_SEED 0x243F6A8885A308D3ull /* fractional digits of pi */
#define K_FIN1 0xFF51AFD7ED558CCDull
#define K_FIN2 0xC4CEB9FE1A85EC53ull

static inline uint64_t rotl64(uint64_t v, unsigned r)
{
    return v << r | v >> (64u - r);
}

/* One word in host order: a single load (values are only compared on the host that made
 * them). */
static inline uint64_t load64(const uint8_t *p)
{
    uint64_t w;
    memcpy(&w, p, sizeof w);
    return w;
}

static inline uint64_t step(uint64_t acc, uint64_t word)
{
    return rotl64(acc ^ (word * K_MUL), 29) * K_MUL + 1u;
}

static inline uint64_t mix(uint64_t v)
{
    v ^= v >> 33;
    v *= K_FIN1;
    v ^= v >> 33;
    v *= K_FIN2;
    return v ^ (v >> 33);
}

void hota_check64_init(hota_check64_t *c)
{
    memset(c, 0, sizeof *c);
    for (unsigned i = 0; i < HOTA_CHECK64_LANES; i++)
        c->acc[i] = K_SEED + i;
}

/* The next word of the stream, to its lane. */
static inline void take_word(hota_check64_t *c, uint64_t w)
{
    unsigned lane = (unsigned)(c->words % HOTA_CHECK64_LANES);
    c->acc[lane] = step(c->acc[lane], w);
    c->words++;
}

/* Complete the pending word from p; returns the bytes of p used. */
static size_t fill_part(hota_check64_t *c, const uint8_t *p, size_t len)
{
    size_t take = 8u - c->n < len ? 8u - c->n : len;
    memcpy(c->part + c->n, p, take);
    c->n += (unsigned)take;
    if (c->n == 8u) {
        take_word(c, load64(c->part));
        c->n = 0;
    }
    return take;
}

/* Whole blocks of four words, one per lane; c->words is a multiple of 4. */
static size_t take_blocks(hota_check64_t *c, const uint8_t *p, size_t len)
{
    uint64_t a0 = c->acc[0], a1 = c->acc[1], a2 = c->acc[2], a3 = c->acc[3];
    size_t done = 0;
    for (; len - done >= 32u; done += 32u) {
        a0 = step(a0, load64(p + done));
        a1 = step(a1, load64(p + done + 8));
        a2 = step(a2, load64(p + done + 16));
        a3 = step(a3, load64(p + done + 24));
    }
    c->acc[0] = a0;
    c->acc[1] = a1;
    c->acc[2] = a2;
    c->acc[3] = a3;
    c->words += done / 8u;
    return done;
}

void hota_check64_update(hota_check64_t *c, const uint8_t *p, size_t len)
{
    size_t used;
    if (len == 0)
        return;
    c->len += len;
    used = c->n ? fill_part(c, p, len) : 0;
    while (len - used >= 8u && c->words % HOTA_CHECK64_LANES) {
        take_word(c, load64(p + used));
        used += 8u;
    }
    if (len - used >= 32u)
        used += take_blocks(c, p + used, len - used);
    for (; len - used >= 8u; used += 8u)
        take_word(c, load64(p + used));
    if (len > used)
        fill_part(c, p + used, len - used);
}

uint64_t hota_check64_value(const hota_check64_t *c)
{
    hota_check64_t t = *c;
    uint64_t v = c->len * K_MUL;
    if (t.n) {
        memset(t.part + t.n, 0, 8u - t.n);
        take_word(&t, load64(t.part));
    }
    for (unsigned i = 0; i < HOTA_CHECK64_LANES; i++)
        v = step(v, mix(t.acc[i]));
    return mix(v);
}
