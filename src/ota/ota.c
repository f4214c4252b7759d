/* The OTA engine: public API, the transition table and the finish/abort paths. */
#include "ota_int.h"

#include "hota/alloc.h"
#include "hota/error.h"
#include "hota/file.h"
#include "hota/port.h"

#include <string.h>

/* next[state][event]: the state a step's event leads to (ST_FAILED for impossible pairs). */
static const uint8_t next_state[ST_COUNT][EV_COUNT] = {
    /*            EV_BODY  EV_MORE  EV_REQUEST  EV_RETRY  EV_DONE  EV_FAIL */
    [ST_IDLE] = {ST_FAILED, ST_FAILED, ST_FAILED, ST_FAILED, ST_FAILED, ST_FAILED},
    [ST_REQUEST] = {ST_BODY, ST_FAILED, ST_REQUEST, ST_WAIT, ST_DONE, ST_FAILED},
    [ST_BODY] = {ST_FAILED, ST_BODY, ST_REQUEST, ST_WAIT, ST_DONE, ST_FAILED},
    [ST_WAIT] = {ST_FAILED, ST_FAILED, ST_REQUEST, ST_FAILED, ST_FAILED, ST_FAILED},
    [ST_DONE] = {ST_FAILED, ST_FAILED, ST_FAILED, ST_FAILED, ST_DONE, ST_FAILED},
    [ST_FAILED] = {ST_FAILED, ST_FAILED, ST_FAILED, ST_FAILED, ST_FAILED, ST_FAILED},
};

void hota_ota_cfg_init(hota_ota_cfg_t *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    hota_http_cfg_init(&cfg->http);
    cfg->slot = HOTA_SLOT_NONE;
    cfg->resume = 1;
}

const char *hota_ota_event_name(hota_ota_event_t ev)
{
    static const char *const names[] = {"START", "CONNECTED", "GET_IMG_DESC", "VERIFY_CHIP_ID",
                                        "WRITE_FLASH", "UPDATE_BOOT_PARTITION", "FINISH",
                                        "ABORT"};
    unsigned i = (unsigned)ev;
    return i < sizeof names / sizeof names[0] ? names[i] : "UNKNOWN";
}

void ota_emit(hota_ota_t *h, hota_ota_event_t ev, const void *data)
{
    if (h->cfg.event_cb)
        h->cfg.event_cb(h->cfg.user, ev, data);
}

int ota_fail(hota_ota_t *h, int rc)
{
    h->err = rc;
    return EV_FAIL;
}

int ota_retryable(int rc)
{
    switch (rc) {
    case HOTA_E_RESOLVE: case HOTA_E_CONNECT: case HOTA_E_TIMEOUT: case HOTA_E_CONN_RESET:
    case HOTA_E_PEER_FIN: case HOTA_E_CLOSE_NOTIFY: case HOTA_E_SEND: case HOTA_E_TLS:
    case HOTA_E_TLS_ALERT: case HOTA_E_SOCKET: case HOTA_E_CLOSED: case HOTA_E_TRUNCATED:
    case HOTA_E_NO_BODY_END: case HOTA_E_TLS_HANDSHAKE:
        return 1;
    default:
        return 0;
    }
}

/* The version of the app in the running slot, from its first bytes ("" when unknown). */
static void read_running(hota_ota_t *h)
{
    hota_device_t *d = h->cfg.device;
    const hota_partition_t *p = hota_device_slot_part(d, d->efuse.running);
    const uint32_t want = 512;
    h->has_running = 0;
    if (!p || hota_flash_read(&d->flash, p->offset, h->buf, want) != HOTA_OK)
        return;
    hota_image_verifier_init(&h->ver, NULL);
    hota_image_verifier_feed(&h->ver, h->buf, want);
    if (hota_image_verifier_app_desc_ready(&h->ver) && h->ver.info.has_app_desc) {
        memcpy(h->running_version, h->ver.info.app.version, sizeof h->running_version);
        h->has_running = 1;
    }
    hota_image_verifier_free(&h->ver);
}

static void apply_defaults(hota_ota_cfg_t *c)
{
    if (c->max_http_request_size == 0)
        c->max_http_request_size = HOTA_OTA_DEFAULT_REQUEST_SIZE;
    if (c->max_retries == 0)
        c->max_retries = HOTA_OTA_DEFAULT_MAX_RETRIES;
    if (c->backoff_ms == 0)
        c->backoff_ms = HOTA_OTA_DEFAULT_BACKOFF_MS;
    if (c->backoff_max_ms == 0)
        c->backoff_max_ms = HOTA_OTA_DEFAULT_BACKOFF_MAX_MS;
    if (c->record_interval == 0)
        c->record_interval = HOTA_OTA_DEFAULT_RECORD_INTERVAL;
    c->record_interval = (c->record_interval + HOTA_FLASH_SECTOR_SIZE - 1) /
                         HOTA_FLASH_SECTOR_SIZE * HOTA_FLASH_SECTOR_SIZE;
}

/* Target slot, its policy and the source; nothing written. */
static int begin_target(hota_ota_t *h)
{
    hota_device_t *d = h->cfg.device;
    const hota_partition_t *p;
    int rc = HOTA_OK;
    h->slot = h->cfg.slot;
    if (h->slot == HOTA_SLOT_NONE && (rc = hota_slot_next_update(d, &h->slot)) != HOTA_OK)
        return rc;
    p = hota_device_slot_part(d, h->slot);
    if (h->slot < 0 || !p)
        return HOTA_E_PART_NOT_FOUND;
    if (h->slot == d->efuse.running)
        return HOTA_E_RUNNING_SLOT;
    memcpy(h->stats.partition, p->label, sizeof h->stats.partition);
    hota_efuse_policy(&d->efuse, p->size, &h->policy);
    /* the verifier trusts the keys as they are now, whatever later happens to the eFuses */
    memcpy(h->trusted_keys, d->efuse.key_digest, sizeof h->trusted_keys);
    if (h->policy.trusted_keys)
        h->policy.trusted_keys = (const uint8_t(*)[32])h->trusted_keys;
    read_running(h);
    if (h->cfg.file_path)
        rc = hota_pfile_open(&h->file_fd, h->cfg.file_path, &h->file_size, NULL);
    return rc;
}

int hota_ota_begin(const hota_ota_cfg_t *cfg, hota_ota_t *h)
{
    int rc;
    if (!h)
        return HOTA_E_INVALID_ARG;
    memset(h, 0, sizeof *h);
    h->file_fd = -1;
    h->record_fd = -1;
    if (!cfg || !cfg->device || !cfg->device->is_open || (!cfg->http.url && !cfg->file_path))
        return HOTA_E_INVALID_ARG;
    h->cfg = *cfg;
    apply_defaults(&h->cfg);
    h->t_begin_ms = hota_now_ms();
    h->ops_at_begin = cfg->device->flash.ops_count;
    hota_http_init(&h->http);
    rc = ota_progress_path(h, NULL, 0); /* only checked here: made again where used */
    if (rc == HOTA_OK)
        rc = begin_target(h);
    if (rc != HOTA_OK) {
        hota_pfile_close(&h->file_fd);
        return rc;
    }
    hota_image_verifier_init(&h->ver, &h->policy);
    hota_check64_init(&h->fed_check);
    h->state = ST_REQUEST;
    ota_emit(h, HOTA_OTA_EVENT_START, NULL);
    if (h->cfg.resume)
        ota_resume_load(h);
    return HOTA_OK;
}

/* Delay before the next attempt: backoff_ms doubled per consecutive failure, capped. */
static int step_wait(hota_ota_t *h)
{
    uint64_t delay = h->cfg.backoff_ms;
    hota_http_close(&h->http);
    if (h->attempts > h->cfg.max_retries)
        return ota_fail(h, h->err);
    for (int i = 1; i < h->attempts && delay < h->cfg.backoff_max_ms; i++)
        delay *= 2;
    if (delay > h->cfg.backoff_max_ms)
        delay = h->cfg.backoff_max_ms;
    h->stats.retries++;
    hota_sleep_ms((uint32_t)delay);
    return EV_REQUEST;
}

static int step(hota_ota_t *h)
{
    switch (h->state) {
    case ST_REQUEST:
        return ota_step_request(h);
    case ST_BODY:
        return ota_step_body(h);
    case ST_WAIT:
        return step_wait(h);
    case ST_DONE:
        return EV_DONE;
    default:
        return ota_fail(h, h->err ? h->err : HOTA_E_OTA_STATE);
    }
}

int hota_ota_perform(hota_ota_t *h)
{
    int ev;
    if (!h || h->state == ST_IDLE)
        return HOTA_E_OTA_STATE;
    if (h->state == ST_FAILED)
        return h->err;
    ev = step(h);
    if (ev == EV_RETRY)
        h->attempts++;
    h->state = next_state[h->state][ev];
    if (h->state == ST_FAILED && h->err == HOTA_OK)
        h->err = HOTA_E_INTERNAL;
    if (h->state == ST_DONE)
        return HOTA_OK;
    return h->state == ST_FAILED ? h->err : HOTA_E_IN_PROGRESS;
}

static int is_refusal(int rc)
{
    return (rc >= HOTA_E_IMAGE_MAGIC && rc < HOTA_E_OTA_STATE) || rc == HOTA_E_IMAGE_TOO_LARGE ||
           rc == HOTA_E_UNSUPPORTED; /* e.g. a signature scheme this chip cannot use */
}

static void release(hota_ota_t *h)
{
    hota_ota_get_stats(h, &h->stats);
    hota_http_free(&h->http);
    hota_pfile_close(&h->file_fd);
    hota_pfile_close(&h->record_fd);
    if (h->slot_begun)
        hota_slot_abort(&h->writer);
    h->slot_begun = 0;
    hota_image_verifier_free(&h->ver);
    h->state = ST_IDLE;
}

int hota_ota_abort(hota_ota_t *h)
{
    int why;
    if (!h || h->state == ST_IDLE)
        return HOTA_E_OTA_STATE;
    why = h->err ? h->err : HOTA_E_ABORTED;
    if (is_refusal(why))
        ota_record_remove(h);
    release(h);
    ota_emit(h, HOTA_OTA_EVENT_ABORT, &why);
    return HOTA_OK;
}

/* 1 when the streamed verdict stands for the slot: the verifier took every byte written and
 * trusts the image under the policy the device's eFuses give now. */
/* 1 when two policies ask for the same: every field, and trusted key digests of equal content
 * (the pointers differ: the update's are its own copy). */
static int same_policy(const hota_image_policy_t *a, const hota_image_policy_t *b)
{
    hota_image_policy_t x = *a, y = *b;
    int keys = x.n_trusted == y.n_trusted &&
               (x.n_trusted == 0 ||
                memcmp(x.trusted_keys, y.trusted_keys, x.n_trusted * sizeof *x.trusted_keys) == 0);
    x.trusted_keys = y.trusted_keys = NULL;
    return keys && memcmp(&x, &y, sizeof x) == 0;
}

static int streamed_verdict_holds(hota_ota_t *h)
{
    hota_device_t *d = h->cfg.device;
    const hota_partition_t *p = hota_device_slot_part(d, h->slot);
    hota_image_policy_t now;
    if (!p || h->fed != h->written || h->written > UINT32_MAX)
        return 0;
    hota_efuse_policy(&d->efuse, p->size, &now);
    return same_policy(&now, &h->policy) && hota_image_verifier_finish(&h->ver) == HOTA_OK;
}

/* The image was verified while it streamed (hash, signature, eFuse policy), so the slot is not
 * verified again: it is read back once and compared with the bytes written (check value), then
 * otadata is written. Otherwise hota_slot_set_boot() verifies the slot in full first. */
static int finish_slot(hota_ota_t *h)
{
    if (!h->slot_begun)
        return HOTA_E_IMAGE_TRUNCATED;
    h->slot_begun = 0;
    hota_slot_abort(&h->writer);
    ota_emit(h, HOTA_OTA_EVENT_UPDATE_BOOT_PARTITION, &h->slot);
    if (!streamed_verdict_holds(h))
        return hota_slot_set_boot(h->cfg.device, h->slot);
    return hota_slot_set_boot_written(h->cfg.device, h->slot, (uint32_t)h->written,
                                      hota_check64_value(&h->fed_check), h->buf, sizeof h->buf);
}

int hota_ota_finish(hota_ota_t *h)
{
    int rc;
    if (!h || h->state == ST_IDLE)
        return HOTA_E_OTA_STATE;
    if (h->state != ST_DONE) {
        rc = h->err ? h->err : HOTA_E_IMAGE_TRUNCATED;
        h->err = rc;
        hota_ota_abort(h);
        return rc;
    }
    rc = finish_slot(h);
    if (rc != HOTA_OK) {
        h->err = rc;
        hota_ota_abort(h);
        return rc;
    }
    ota_record_remove(h);
    release(h);
    ota_emit(h, HOTA_OTA_EVENT_FINISH, NULL);
    return HOTA_OK;
}

int hota_ota(const hota_ota_cfg_t *cfg)
{
    hota_ota_t *h = hota_calloc(1, sizeof *h); /* set-up time only, never while streaming */
    int rc = h ? hota_ota_begin(cfg, h) : HOTA_E_NO_MEMORY;
    if (rc == HOTA_OK) {
        do
            rc = hota_ota_perform(h);
        while (rc == HOTA_E_IN_PROGRESS);
        rc = rc == HOTA_OK ? hota_ota_finish(h) : (hota_ota_abort(h), rc);
    }
    hota_free(h);
    return rc;
}

int hota_ota_get_img_desc(const hota_ota_t *h, hota_app_desc_t *desc)
{
    if (!h || !desc)
        return HOTA_E_INVALID_ARG;
    if (!hota_image_verifier_app_desc_ready(&h->ver))
        return HOTA_E_IN_PROGRESS;
    if (!h->ver.info.has_app_desc)
        return HOTA_E_NO_APP_DESC;
    *desc = h->ver.info.app;
    return HOTA_OK;
}

uint64_t hota_ota_get_image_len_read(const hota_ota_t *h)
{
    return h ? h->fed : 0;
}

int64_t hota_ota_get_image_size(const hota_ota_t *h)
{
    return h && h->total ? (int64_t)h->total : -1;
}

int hota_ota_is_complete_data_received(const hota_ota_t *h)
{
    return h && h->state == ST_DONE;
}

void hota_ota_get_stats(const hota_ota_t *h, hota_ota_stats_t *st)
{
    hota_http_info_t hi;
    hota_cf_info_t ci;
    *st = h->stats;
    if (h->state == ST_IDLE)
        return; /* released: the copy taken at release time */
    hota_http_get_info(&h->http, &hi);
    hota_http_conn_info(&h->http, &ci);
    st->bytes = h->fed;
    st->total = h->total;
    st->requests = hi.requests;
    st->connections = hi.connects;
    st->handshakes = ci.handshakes;
    st->handshakes_resumed = ci.handshakes_resumed;
    st->flash_ops = h->cfg.device->flash.ops_count - h->ops_at_begin;
    st->elapsed_ms = hota_now_ms() - h->t_begin_ms;
    if (!st->framing)
        st->framing = "none";
    if (!st->end)
        st->end = "none";
}
