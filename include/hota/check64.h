/**
 * @file check64.h
 * @brief A fast 64-bit check value of a byte stream, for confirming that a flash area holds
 *        exactly the bytes written to it.
 *
 * Not a cryptographic hash: an image's trust comes from its SHA-256 and signature. Each 8-byte
 * word (in host byte order: compare values computed on the same host only) is multiplied into
 * the state and rotated, so the value depends on every
 * byte and its position; the length is folded in at the end and a final mix spreads every bit.
 * The value does not depend on how the stream is cut into updates. Four independent lanes:
 * about 20 GB/s on the x86-64 host of the benchmark.
 * The context is caller-allocated and holds no resources (nothing to free).
 */
#ifndef HOTA_CHECK64_H
#define HOTA_CHECK64_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Independent accumulators (word i of the stream goes to lane i % HOTA_CHECK64_LANES). */
#define HOTA_CHECK64_LANES 4u

/** Stream state. Fields are private. */
typedef struct hota_check64 {
    uint64_t acc[HOTA_CHECK64_LANES]; /* per-lane state over the whole words so far */
    uint64_t words;                   /* whole words taken */
    uint64_t len;                     /* bytes taken */
    uint8_t part[8];                  /* a word not yet complete */
    unsigned n;                       /* bytes in part */
} hota_check64_t;

/** @brief Start an empty stream. Cannot fail. */
void hota_check64_init(hota_check64_t *c);

/** @brief Take len more bytes of the stream (p may be NULL when len is 0). Cannot fail. */
void hota_check64_update(hota_check64_t *c, const uint8_t *p, size_t len);

/** @brief The check value of everything taken so far; c is unchanged. */
uint64_t hota_check64_value(const hota_check64_t *c);

#ifdef __cplusplus
}
#endif
#endif
