/* Small helpers shared by the fuzz targets: a byte reader over the fuzzer's input and a
 * deterministic generator for choices derived from it. */
#ifndef HOTA_FUZZ_UTIL_H
#define HOTA_FUZZ_UTIL_H

#include "hota/partition.h"

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A property every input must satisfy; abort() makes libFuzzer save the input. */
#define FUZZ_ASSERT(cond)                                                                     \
    do {                                                                                      \
        if (!(cond)) {                                                                        \
            fprintf(stderr, "%s:%d: property failed: %s\n", __FILE__, __LINE__, #cond);       \
            abort();                                                                          \
        }                                                                                     \
    } while (0)

typedef struct fuzz_in {
    const uint8_t *p;
    size_t len;
} fuzz_in_t;

/* Next byte of the input, 0 once it is used up. */
static inline uint8_t fuzz_u8(fuzz_in_t *in)
{
    uint8_t b;
    if (!in->len)
        return 0;
    b = *in->p++;
    in->len--;
    return b;
}

static inline uint32_t fuzz_u32(fuzz_in_t *in)
{
    uint32_t v = 0;
    for (int i = 0; i < 4; i++)
        v |= (uint32_t)fuzz_u8(in) << (8 * i);
    return v;
}

/* xorshift32: piece sizes and other choices that need many values from a short seed. */
static inline uint32_t fuzz_rand(uint32_t *s)
{
    uint32_t x = *s ? *s : 0x9E3779B9u;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    *s = x;
    return x;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* 1 when every label survives a trip through CSV text: no control bytes, commas or '#', no
 * blanks at either end (CSV fields are stripped; a 16-byte cut may end on a blank, which
 * gen_esp32part.py also keeps in the binary and loses in its CSV). */
static inline int fuzz_csv_safe_labels(const hota_part_table_t *t)
{
    for (unsigned i = 0; i < t->count; i++) {
        const char *l = t->part[i].label;
        size_t n = strlen(l);
        if (n == 0 || l[0] == ' ' || l[n - 1] == ' ' || l[0] == '#')
            return 0;
        for (size_t k = 0; k < n; k++)
            if ((unsigned char)l[k] < 0x20 || l[k] == ',' || l[k] == 0x7F)
                return 0;
    }
    return 1;
}

#endif
