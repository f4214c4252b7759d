/* The verifier's view of the Secure Boot V2 signature sector: which blocks verify over the
 * image digest, and which of those come from a trusted key. Blocks come one at a time, each as
 * soon as its bytes are in (the digests are final before the sector starts). */
#include "hota/error.h"
#include "hota/sbv2.h"
#include "image/verifier_priv.h"

#include <string.h>

_Static_assert(HOTA_IMAGE_SIG_BLOCK_SIZE == HOTA_SBV2_BLOCK_SIZE, "signature block size");
_Static_assert(HOTA_IMAGE_SIG_SECTOR_SIZE == HOTA_SBV2_SECTOR_SIZE, "signature sector size");

static int key_trusted(const hota_image_policy_t *p, const uint8_t digest[32])
{
    for (size_t i = 0; i < p->n_trusted; i++)
        if (!memcmp(p->trusted_keys[i], digest, 32))
            return 1;
    return 0;
}

/* Parse and verify the block at blk into s; HOTA_E_NOT_FOUND when there is no block. */
static int check_block(const uint8_t *blk, const uint8_t d256[32], const uint8_t *d384,
                       hota_sig_info_t *s)
{
    hota_sbv2_block_t b;
    int rc = hota_sbv2_parse_block(blk, 0, &b); /* reads the bytes of block 0 only */
    memset(s, 0, sizeof *s);
    if (rc == HOTA_E_NOT_FOUND)
        return rc;
    if (rc == HOTA_OK) {
        s->scheme = b.scheme;
        memcpy(s->key_digest, b.key_digest, 32);
        if (b.scheme == HOTA_SIG_ECDSA384)
            rc = d384 ? hota_sbv2_verify_block_digest(&b, d384, 48) : HOTA_E_UNSUPPORTED;
        else
            rc = hota_sbv2_verify_block(&b, d256);
    }
    s->result = rc;
    s->valid = rc == HOTA_OK;
    return HOTA_OK;
}

int hota_image_sig_block(hota_image_verifier_t *v, unsigned i, const uint8_t *block,
                         const uint8_t d256[32], const uint8_t *d384)
{
    hota_sig_info_t *s;
    if (i >= HOTA_SBV2_MAX_BLOCKS)
        return HOTA_E_NOT_FOUND;
    s = &v->info.sigs[i];
    if (check_block(block, d256, d384, s) == HOTA_E_NOT_FOUND)
        return HOTA_E_NOT_FOUND;
    s->trusted = s->valid && key_trusted(&v->policy, s->key_digest);
    return HOTA_OK;
}

int hota_image_sig_verdict(const hota_image_verifier_t *v, int *first_err)
{
    const hota_image_info_t *in = &v->info;
    int any_valid = 0, any_trusted = 0;
    *first_err = HOTA_OK;
    for (int i = 0; i < in->sig_count; i++) {
        const hota_sig_info_t *s = &in->sigs[i];
        any_valid |= s->valid;
        any_trusted |= s->trusted;
        if (!s->valid && !*first_err)
            *first_err = s->result;
    }
    if (any_trusted)
        return HOTA_OK;
    if (in->sig_count == 0)
        return HOTA_E_SIG_MISSING;
    return any_valid ? HOTA_E_SIG_UNTRUSTED : *first_err;
}

int hota_image_sector_has_block(const uint8_t *sector)
{
    hota_sbv2_block_t b;
    return hota_sbv2_parse_block(sector, 0, &b) != HOTA_E_NOT_FOUND;
}
