/* Whole-image checks of bytes at rest: a buffer, or a flash slot read in large pieces (one
 * flash read per HOTA_IMAGE_READ_PIECE bytes, each fed to the single-pass verifier). */
#include "hota/error.h"
#include "hota/image.h"
#include "image/verifier_priv.h"

#include <string.h>

#define PIECE HOTA_IMAGE_READ_PIECE
#define SIG_SECTOR HOTA_IMAGE_SIG_SECTOR_SIZE

static void give_info(const hota_image_verifier_t *v, hota_image_info_t *out)
{
    if (out)
        *out = *hota_image_verifier_info(v);
}

int hota_image_verify_buffer(const uint8_t *buf, size_t len, const hota_image_policy_t *p,
                             hota_image_info_t *out)
{
    hota_image_verifier_t v;
    int rc = HOTA_E_INVALID_ARG;
    if (!buf && len)
        return rc;
    hota_image_verifier_init(&v, p);
    rc = hota_image_verifier_feed(&v, buf, len);
    if (rc == HOTA_OK)
        rc = hota_image_verifier_finish(&v);
    give_info(&v, out);
    hota_image_verifier_free(&v);
    return rc;
}

/* Feed flash bytes [v->off, end) of the image at addr. */
static int feed_to(hota_image_verifier_t *v, hota_flash_t *f, uint32_t addr, uint32_t end,
                   uint8_t *buf)
{
    while (v->off < end) {
        uint32_t n = end - v->off < PIECE ? end - v->off : PIECE;
        int rc = hota_flash_read(f, addr + v->off, buf, n);
        if (rc == HOTA_OK)
            rc = hota_image_verifier_feed(v, buf, n);
        if (rc)
            return rc;
    }
    return HOTA_OK;
}

/* Feed the image itself: exactly up to image_len, never beyond. */
static int feed_image(hota_image_verifier_t *v, hota_flash_t *f, uint32_t addr, uint8_t *buf)
{
    uint32_t want;
    while ((want = hota_image_verifier_wanted(v)) > 0) {
        int rc = feed_to(v, f, addr, v->off + (want < PIECE ? want : PIECE), buf);
        if (rc)
            return rc;
    }
    return HOTA_OK;
}

/* The signature sector, when the policy requires one or one is there. */
static int feed_sector(hota_image_verifier_t *v, hota_flash_t *f, uint32_t addr,
                       uint32_t max_len, uint8_t *buf)
{
    const hota_image_info_t *in = hota_image_verifier_info(v);
    uint32_t end;
    int rc;
    if ((uint64_t)in->signed_len + SIG_SECTOR > max_len)
        return HOTA_OK; /* no room for a sector (a required one failed the size check) */
    end = in->signed_len + SIG_SECTOR;
    if (v->policy.n_trusted == 0) {
        rc = hota_flash_read(f, addr + in->signed_len, buf, SIG_SECTOR);
        if (rc || !hota_image_sector_has_block(buf))
            return rc;
    }
    return feed_to(v, f, addr, end, buf);
}

int hota_image_verify_flash(hota_flash_t *f, uint32_t addr, uint32_t max_len,
                            const hota_image_policy_t *p, hota_image_info_t *out)
{
    hota_image_verifier_t v;
    hota_image_policy_t pol = {.chip_id = -1};
    uint8_t buf[PIECE];
    uint32_t room;
    int rc = HOTA_E_INVALID_ARG;
    if (!f || addr >= hota_flash_size(f))
        return rc;
    room = hota_flash_size(f) - addr;
    if (!max_len || max_len > room)
        max_len = room;
    if (p)
        pol = *p;
    if (!pol.max_len || pol.max_len > max_len)
        pol.max_len = max_len;
    hota_image_verifier_init(&v, &pol);
    rc = feed_image(&v, f, addr, buf);
    if (rc == HOTA_OK)
        rc = feed_sector(&v, f, addr, pol.max_len, buf);
    if (rc == HOTA_OK)
        rc = hota_image_verifier_finish(&v);
    give_info(&v, out);
    hota_image_verifier_free(&v);
    return rc;
}
