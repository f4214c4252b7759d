/* Fuzz target: the streaming ESP app image verifier, fed in pieces chosen by the input, and
 * compared with the same bytes fed in one piece.
 *
 * Input: 4 control bytes, then the image bytes.
 *   byte 0: policy bits: 0 require_app_desc, 1 report_all, 2 chip_id 0 (else any),
 *           3 a trusted key is required (the digest of a fixed key: signatures are parsed and
 *           checked), 4 max_len 64 KiB, 5 min_secure_version 1
 *   byte 1: largest piece size exponent (piece sizes 1 .. 2^(b % 13))
 *   byte 2-3: seed of the piece size generator
 * Properties: the verdict, completeness and the decided facts do not depend on how the bytes
 * were split; a complete image's lengths are consistent; finish() is idempotent. */
#include "fuzz_util.h"

#include "hota/error.h"
#include "hota/image.h"

#include <string.h>

static const uint8_t trusted[1][32] = {{0x2f, 0xda, 0xc2, 0xab}};

static void make_policy(uint8_t bits, hota_image_policy_t *p)
{
    memset(p, 0, sizeof *p);
    p->require_app_desc = bits & 1;
    p->report_all = (bits >> 1) & 1;
    p->chip_id = (bits >> 2) & 1 ? 0 : -1;
    if ((bits >> 3) & 1) {
        p->trusted_keys = trusted;
        p->n_trusted = 1;
    }
    p->max_len = (bits >> 4) & 1 ? 65536u : 0;
    p->min_secure_version = (bits >> 5) & 1;
}

/* Feed the image in generated pieces; returns the first feed error (feeding stops there). */
static int feed_pieces(hota_image_verifier_t *v, const uint8_t *p, size_t len, unsigned exp,
                       uint32_t seed)
{
    size_t off = 0;
    int rc = HOTA_OK;
    while (off < len && rc == HOTA_OK) {
        size_t piece = 1 + fuzz_rand(&seed) % (1u << exp);
        if (piece > len - off)
            piece = len - off;
        rc = hota_image_verifier_feed(v, p + off, piece);
        off += piece;
    }
    if (rc != HOTA_OK)
        FUZZ_ASSERT(hota_image_verifier_feed(v, p, len ? 1 : 0) == rc || len == 0);
    return rc;
}

static void same_facts(const hota_image_info_t *a, const hota_image_info_t *b, int complete)
{
    FUZZ_ASSERT(a->chip_id == b->chip_id && a->segment_count == b->segment_count);
    FUZZ_ASSERT(a->has_app_desc == b->has_app_desc);
    if (!complete)
        return;
    FUZZ_ASSERT(a->image_len == b->image_len && a->signed_len == b->signed_len);
    FUZZ_ASSERT(a->checksum_valid == b->checksum_valid && a->hash_valid == b->hash_valid);
    FUZZ_ASSERT(a->image_len <= a->signed_len && a->signed_len % 4096 == 0);
    FUZZ_ASSERT(a->total_len == a->image_len || a->total_len == a->signed_len + 4096);
    FUZZ_ASSERT(a->sig_count >= 0 && a->sig_count <= HOTA_SBV2_MAX_BLOCKS);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static hota_image_verifier_t split, whole;
    fuzz_in_t in = {data, size};
    uint8_t bits = fuzz_u8(&in), exp = fuzz_u8(&in);
    uint32_t seed = fuzz_u8(&in) | (uint32_t)fuzz_u8(&in) << 8;
    hota_image_policy_t pol;
    int rs, rw, fs, fw;
    make_policy(bits, &pol);
    hota_image_verifier_init(&split, &pol);
    hota_image_verifier_init(&whole, &pol);
    rs = feed_pieces(&split, in.p, in.len, exp % 13, seed);
    rw = hota_image_verifier_feed(&whole, in.len ? in.p : NULL, in.len);
    FUZZ_ASSERT(rs == rw);
    fs = hota_image_verifier_finish(&split);
    fw = hota_image_verifier_finish(&whole);
    FUZZ_ASSERT(fs == fw);
    FUZZ_ASSERT(hota_image_verifier_finish(&split) == fs);
    FUZZ_ASSERT(rs == HOTA_OK || fs == rs);
    FUZZ_ASSERT(hota_image_verifier_is_complete(&split) == hota_image_verifier_is_complete(&whole));
    FUZZ_ASSERT(fs != HOTA_OK || hota_image_verifier_is_complete(&split));
    same_facts(hota_image_verifier_info(&split), hota_image_verifier_info(&whole),
               hota_image_verifier_is_complete(&split));
    hota_image_verifier_free(&split);
    hota_image_verifier_free(&whole);
    hota_image_verifier_free(&whole);
    return 0;
}
