/* The body step: source bytes -> verifier -> slot writer, and the decision "done". */
#include "ota_int.h"

#include "hota/error.h"
#include "hota/file.h"
#include "hota/port.h"

#include <string.h>

void ota_start_over(hota_ota_t *h)
{
    if (h->slot_begun)
        hota_slot_abort(&h->writer);
    h->slot_begun = 0;
    hota_image_verifier_free(&h->ver);
    hota_image_verifier_init(&h->ver, &h->policy);
    h->fed = h->written = h->recorded = 0;
    hota_check64_init(&h->fed_check);
    h->total = 0;
    h->etag[0] = h->last_modified[0] = 0;
    h->stats.resumed_from = 0;
    h->stats.restarts++;
    ota_record_remove(h);
}

static int write_out(hota_ota_t *h, const uint8_t *p, size_t n)
{
    int rc = hota_slot_write(&h->writer, p, n);
    if (rc != HOTA_OK)
        return rc;
    h->written += n;
    ota_emit(h, HOTA_OTA_EVENT_WRITE_FLASH, &h->written);
    return HOTA_OK;
}

/* The app description arrived: the early refusals, then the slot writer and the held bytes. */
static int start_slot(hota_ota_t *h)
{
    const hota_image_info_t *in = hota_image_verifier_info(&h->ver);
    uint32_t size = HOTA_SLOT_SIZE_SEQUENTIAL;
    int rc;
    if (!in->has_app_desc)
        return HOTA_E_NO_APP_DESC;
    memcpy(h->stats.version, in->app.version, sizeof h->stats.version);
    h->stats.secure_version = in->app.secure_version;
    ota_emit(h, HOTA_OTA_EVENT_GET_IMG_DESC, &in->app);
    ota_emit(h, HOTA_OTA_EVENT_VERIFY_CHIP_ID, &in->chip_id);
    if (!h->cfg.allow_same_version && h->has_running &&
        strcmp(h->running_version, in->app.version) == 0)
        return HOTA_E_SAME_VERSION;
    if (h->cfg.bulk_flash_erase && h->written == 0)
        size = h->total ? (uint32_t)h->total : HOTA_SLOT_SIZE_UNKNOWN;
    rc = hota_slot_begin(&h->writer, h->cfg.device, h->slot, size);
    if (rc != HOTA_OK)
        return rc;
    h->slot_begun = 1;
    rc = hota_slot_resume(&h->writer, (uint32_t)h->written); /* resumed: [0, written) kept */
    if (rc != HOTA_OK)
        return rc;
    return write_out(h, h->buf, (size_t)(h->fed - h->written));
}

static int image_done(const hota_ota_t *h)
{
    return hota_image_verifier_is_complete(&h->ver) && (h->total == 0 || h->fed >= h->total);
}

/* Feed n new bytes at p; write them once the slot writer runs. When a progress record falls
 * due inside them, the verifier takes them in two parts split at its mark: its running SHA-256
 * there is the record's digest, saved once the whole piece is on flash. */
static int take(hota_ota_t *h, const uint8_t *p, size_t n)
{
    uint64_t mark = h->slot_begun ? ota_record_due(h, h->fed + n) : 0;
    size_t first = mark ? (size_t)(mark - h->fed) : n;
    uint8_t sha[32];
    int rc, have = 0;
    h->t_last_byte_us = hota_now_us();
    rc = hota_image_verifier_feed(&h->ver, p, first);
    if (rc == HOTA_OK && mark) {
        have = hota_image_verifier_digest(&h->ver, sha) == HOTA_OK;
        rc = hota_image_verifier_feed(&h->ver, p + first, n - first);
    }
    if (rc != HOTA_OK)
        return rc;
    h->fed += n;
    hota_check64_update(&h->fed_check, p, n);
    if (image_done(h))
        h->t_done_us = hota_now_us(); /* the decision: written below, then done */
    if (h->slot_begun) {
        rc = write_out(h, p, n);
        if (rc == HOTA_OK && have)
            ota_record_save(h, mark, sha); /* best effort: a missing record costs a restart */
        return rc;
    }
    if (!hota_image_verifier_app_desc_ready(&h->ver))
        return HOTA_OK; /* held back at the start of buf */
    return start_slot(h);
}

static int done(hota_ota_t *h, const char *end)
{
    if (!h->t_done_us)
        h->t_done_us = hota_now_us();
    h->stats.end = end;
    h->stats.tail_us = h->t_last_byte_us && h->t_done_us > h->t_last_byte_us
                           ? h->t_done_us - h->t_last_byte_us
                           : 0;
    h->stats.tail_ms = h->stats.tail_us / 1000u;
    if (!h->slot_begun)
        return ota_fail(h, HOTA_E_IMAGE_TRUNCATED);
    hota_http_close(&h->http); /* stop at once; our close_notify goes out */
    return EV_DONE;
}

static const char *framing_end(const hota_ota_t *h)
{
    hota_http_info_t hi;
    if (h->cfg.file_path)
        return "eof";
    hota_http_get_info(&h->http, &hi);
    return hi.end == HOTA_END_NONE ? "framing" : hota_end_name(hi.end);
}

/* The body ended before the image did: the verifier knows best why (a missing signature
 * sector on a Secure Boot device is SIG_MISSING, not a cut). */
static int image_incomplete_reason(hota_ota_t *h)
{
    int rc = hota_image_verifier_finish(&h->ver);
    return rc != HOTA_OK ? rc : HOTA_E_IMAGE_TRUNCATED;
}

/* After a read: done, read on, next range, or an image cut short. */
static int after_read(hota_ota_t *h, int eof)
{
    int body = h->cfg.file_path ? eof : hota_http_body_complete(&h->http);
    if (image_done(h))
        return done(h, body ? framing_end(h) : "image");
    if (!body)
        return EV_MORE;
    if (h->range_sent && h->fed == h->seg_end && (h->total == 0 || h->fed < h->total))
        return EV_REQUEST;
    return ota_fail(h, image_incomplete_reason(h));
}

static int on_read_error(hota_ota_t *h, int rc)
{
    hota_http_info_t hi;
    if (image_done(h)) {
        hota_http_get_info(&h->http, &hi);
        return done(h, hota_end_name(hi.end));
    }
    h->err = rc;
    if (h->cfg.file_path || !ota_retryable(rc))
        return EV_FAIL;
    return EV_RETRY;
}

int ota_step_body(hota_ota_t *h)
{
    size_t held = h->slot_begun ? 0 : (size_t)(h->fed - h->written), n = 0;
    uint8_t *dst = h->buf + held;
    size_t cap = sizeof h->buf - held;
    int rc;
    if (cap == 0)
        return ota_fail(h, HOTA_E_NO_APP_DESC);
    if (h->cfg.file_path)
        rc = hota_pfile_pread(h->file_fd, h->fed, dst, cap, &n);
    else
        rc = hota_http_read(&h->http, dst, cap, &n);
    if (rc != HOTA_OK)
        return on_read_error(h, rc);
    if (n > 0) {
        rc = take(h, dst, n);
        if (rc != HOTA_OK)
            return ota_fail(h, rc);
        if (h->fed > h->furthest) { /* only real progress earns the retry budget back */
            h->furthest = h->fed;
            h->attempts = 0;
        }
    }
    return after_read(h, n == 0);
}
