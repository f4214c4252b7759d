/* Fuzz target: the Secure Boot V2 signature sector parser (hota_sbv2_parse_block) and, for
 * blocks that parse, key and signature checking (hota_sbv2_verify_block_digest).
 *
 * Input: 1 control byte, then the sector (padded with 0xFF to 4096 bytes, longer input cut).
 *   byte 0: bit i (0..2): rewrite block i's CRC so that it matches (lets the fuzzer reach the
 *           key and signature fields behind the CRC); bit 3: verify parsed blocks against
 *           their own image digest (reaches the RSA / ECDSA code).
 * Properties: parse results are one of the documented codes; a parsed block's lengths match
 * its scheme; parsing is a pure function of the block's bytes. */
#include "fuzz_util.h"

#include "hota/error.h"
#include "hota/sbv2.h"

#include <string.h>

static void fix_crc(uint8_t *sector, unsigned i)
{
    uint8_t *b = sector + (size_t)i * HOTA_SBV2_BLOCK_SIZE;
    uint32_t crc = hota_crc32_le(0, b, HOTA_SBV2_CRC_LEN);
    for (int k = 0; k < 4; k++)
        b[HOTA_SBV2_CRC_LEN + k] = (uint8_t)(crc >> (8 * k));
}

static void check_block(const hota_sbv2_block_t *b)
{
    switch (b->scheme) {
    case HOTA_SIG_RSA3072:
        FUZZ_ASSERT(b->key_len == 776 && b->sig_len == 384);
        break;
    case HOTA_SIG_ECDSA256:
        FUZZ_ASSERT(b->key_len == 65 && b->sig_len == 64);
        break;
    case HOTA_SIG_ECDSA384:
        FUZZ_ASSERT(b->key_len == 97 && b->sig_len == 96);
        break;
    default:
        FUZZ_ASSERT(0 && "parsed block without a scheme");
    }
}

static void verify(const hota_sbv2_block_t *b)
{
    int rc;
    if (b->scheme == HOTA_SIG_ECDSA384)
        rc = hota_sbv2_verify_block_digest(b, b->image_digest384, 48);
    else
        rc = hota_sbv2_verify_block_digest(b, b->image_digest, 32);
    FUZZ_ASSERT(rc == HOTA_OK || rc == HOTA_E_KEY || rc == HOTA_E_SIG_INVALID ||
                rc == HOTA_E_NO_MEMORY || rc == HOTA_E_SIG_DIGEST);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static uint8_t sector[HOTA_SBV2_SECTOR_SIZE], copy[HOTA_SBV2_SECTOR_SIZE];
    hota_sbv2_block_t b, again;
    fuzz_in_t in = {data, size};
    uint8_t ctl = fuzz_u8(&in);
    size_t n = in.len < sizeof sector ? in.len : sizeof sector;
    memset(sector, 0xFF, sizeof sector);
    if (n)
        memcpy(sector, in.p, n);
    for (unsigned i = 0; i < HOTA_SBV2_MAX_BLOCKS; i++)
        if ((ctl >> i) & 1)
            fix_crc(sector, i);
    for (unsigned i = 0; i < HOTA_SBV2_MAX_BLOCKS; i++) {
        int rc = hota_sbv2_parse_block(sector, i, &b);
        FUZZ_ASSERT(rc == HOTA_OK || rc == HOTA_E_NOT_FOUND || rc == HOTA_E_SIG_BLOCK ||
                    rc == HOTA_E_SIG_CRC);
        if (rc != HOTA_OK)
            continue;
        check_block(&b);
        /* Only block i's bytes matter: the rest of the sector may be anything. */
        memset(copy, 0x5A, sizeof copy);
        memcpy(copy + (size_t)i * HOTA_SBV2_BLOCK_SIZE, sector + (size_t)i * HOTA_SBV2_BLOCK_SIZE,
               HOTA_SBV2_BLOCK_SIZE);
        FUZZ_ASSERT(hota_sbv2_parse_block(copy, i, &again) == HOTA_OK);
        FUZZ_ASSERT(again.scheme == b.scheme && !memcmp(again.key_digest, b.key_digest, 32));
        if ((ctl >> 3) & 1)
            verify(&b);
    }
    FUZZ_ASSERT(hota_sbv2_parse_block(sector, HOTA_SBV2_MAX_BLOCKS, &b) == HOTA_E_INVALID_ARG);
    return 0;
}
