/* The progress record: whole sectors on flash a later run may take over (resume). */
#include "ota_int.h"

#include "hota/error.h"
#include "hota/file.h"
#include "hota/sha256.h"
#include "core/bytes.h"

#include <string.h>

#define SECTOR HOTA_FLASH_SECTOR_SIZE

/* Layout (little-endian, 288 bytes): magic u32 @0, version u32 @4, slot i32 @8, zero @12,
 * total u64 @16, n u64 @24, url_hash[32] @32, sha[32] @64, etag (NUL-padded, 127 characters
 * at most) @96, last_modified (59 at most) @224, crc32 (zlib) u32 @284 over bytes [0, 284). */
enum {
    OFF_MAGIC = 0,
    OFF_VERSION = 4,
    OFF_SLOT = 8,
    OFF_TOTAL = 16,
    OFF_N = 24,
    OFF_URL = 32,
    OFF_SHA = 64,
    OFF_ETAG = 96,
    OFF_LM = 224,
    OFF_CRC = 284,
};

void ota_record_encode(const ota_record_t *r, uint8_t out[OTA_REC_SIZE])
{
    memset(out, 0, OTA_REC_SIZE);
    hota_put_le32(out + OFF_MAGIC, OTA_REC_MAGIC);
    hota_put_le32(out + OFF_VERSION, OTA_REC_VERSION);
    hota_put_le32(out + OFF_SLOT, (uint32_t)r->slot);
    hota_put_le64(out + OFF_TOTAL, r->total);
    hota_put_le64(out + OFF_N, r->n);
    memcpy(out + OFF_URL, r->url_hash, 32);
    memcpy(out + OFF_SHA, r->sha, 32);
    memcpy(out + OFF_ETAG, r->etag, sizeof r->etag - 1);
    memcpy(out + OFF_LM, r->last_modified, OFF_CRC - OFF_LM - 1);
    hota_put_le32(out + OFF_CRC, hota_crc32_le(0, out, OFF_CRC));
}

int ota_record_decode(const uint8_t *in, size_t len, ota_record_t *r)
{
    if (len != OTA_REC_SIZE || hota_get_le32(in + OFF_MAGIC) != OTA_REC_MAGIC ||
        hota_get_le32(in + OFF_VERSION) != OTA_REC_VERSION ||
        hota_get_le32(in + OFF_CRC) != hota_crc32_le(0, in, OFF_CRC))
        return HOTA_E_OTA_RESUME;
    memset(r, 0, sizeof *r);
    r->slot = (int32_t)hota_get_le32(in + OFF_SLOT);
    r->total = hota_get_le64(in + OFF_TOTAL);
    r->n = hota_get_le64(in + OFF_N);
    memcpy(r->url_hash, in + OFF_URL, 32);
    memcpy(r->sha, in + OFF_SHA, 32);
    memcpy(r->etag, in + OFF_ETAG, sizeof r->etag - 1);
    memcpy(r->last_modified, in + OFF_LM, OFF_CRC - OFF_LM - 1);
    return HOTA_OK;
}

void ota_url_hash(const hota_ota_t *h, uint8_t out[32])
{
    const char *src = h->cfg.file_path ? h->cfg.file_path : h->cfg.http.url;
    const char *kind = h->cfg.file_path ? "file:" : "url:";
    hota_sha256_t c;
    hota_sha256_init(&c);
    hota_sha256_update(&c, kind, strlen(kind));
    hota_sha256_update(&c, src, strlen(src));
    hota_sha256_finish(&c, out);
    hota_sha256_free(&c);
}

int ota_progress_path(const hota_ota_t *h, char *out, size_t cap)
{
    const char *src = h->cfg.progress_path, *suffix = "";
    size_t n, esl = strlen(HOTA_EFUSE_SUFFIX);
    if (!src) { /* "<flash>.progress" from the device's sidecar path "<flash>.efuse" */
        src = h->cfg.device->efuse_path;
        if (strlen(src) < esl)
            return HOTA_E_INVALID_ARG;
        suffix = HOTA_OTA_PROGRESS_SUFFIX;
    }
    n = strlen(src) - (*suffix ? esl : 0);
    if (n + strlen(suffix) >= HOTA_OTA_PATH_MAX)
        return HOTA_E_INVALID_ARG;
    if (out) {
        if (n + strlen(suffix) >= cap)
            return HOTA_E_INVALID_ARG;
        memcpy(out, src, n);
        strcpy(out + n, suffix);
    }
    return HOTA_OK;
}

/* The first record of a run replaces the file atomically and keeps it open; later ones
 * rewrite its fixed-size content in place (one pwrite: no file created or renamed per record;
 * the CRC rejects a torn record, which only costs a restart). */
static int record_write(hota_ota_t *h, const uint8_t raw[OTA_REC_SIZE])
{
    char path[HOTA_OTA_PATH_MAX];
    int rc;
    if (h->record_fd >= 0) {
        rc = hota_pfile_pwrite(h->record_fd, 0, raw, OTA_REC_SIZE);
        if (rc == HOTA_OK)
            return rc;
        hota_pfile_close(&h->record_fd);
    }
    rc = ota_progress_path(h, path, sizeof path);
    if (rc == HOTA_OK)
        rc = hota_pfile_replace(path, raw, OTA_REC_SIZE, 0);
    if (rc == HOTA_OK)
        (void)hota_pfile_open_rw(&h->record_fd, path); /* -1 stays on failure */
    return rc;
}

int ota_record_save(hota_ota_t *h, uint64_t n, const uint8_t sha[32])
{
    ota_record_t r;
    uint8_t raw[OTA_REC_SIZE];
    int rc;
    memset(&r, 0, sizeof r);
    ota_url_hash(h, r.url_hash);
    r.slot = h->slot;
    memcpy(r.etag, h->etag, sizeof r.etag);
    memcpy(r.last_modified, h->last_modified, sizeof r.last_modified);
    r.total = h->total;
    r.n = n;
    memcpy(r.sha, sha, 32);
    ota_record_encode(&r, raw);
    rc = record_write(h, raw);
    if (rc == HOTA_OK)
        h->recorded = n;
    return rc;
}

void ota_record_remove(hota_ota_t *h)
{
    char path[HOTA_OTA_PATH_MAX];
    hota_pfile_close(&h->record_fd);
    if (h->cfg.device && ota_progress_path(h, path, sizeof path) == HOTA_OK)
        hota_pfile_remove(path);
}

uint64_t ota_record_due(const hota_ota_t *h, uint64_t end)
{
    uint64_t mark = end / SECTOR * SECTOR;
    if (!h->cfg.resume || mark <= h->written || mark - h->recorded < h->cfg.record_interval ||
        (h->total && mark >= h->total))
        return 0;
    return mark;
}

/* Feed the slot's first r->n bytes to the verifier; 1 when their SHA-256 (the verifier's
 * running hash) matches r and the app description was seen. */
static int rehash(hota_ota_t *h, const ota_record_t *r, const hota_partition_t *p)
{
    uint8_t sha[32];
    for (uint64_t off = 0; off < r->n;) {
        size_t len = r->n - off < sizeof h->buf ? (size_t)(r->n - off) : sizeof h->buf;
        if (hota_flash_read(&h->cfg.device->flash, p->offset + (uint32_t)off, h->buf, len) !=
                HOTA_OK ||
            hota_image_verifier_feed(&h->ver, h->buf, len) != HOTA_OK)
            return 0;
        hota_check64_update(&h->fed_check, h->buf, len);
        off += len;
    }
    return hota_image_verifier_digest(&h->ver, sha) == HOTA_OK &&
           memcmp(sha, r->sha, 32) == 0 && hota_image_verifier_app_desc_ready(&h->ver);
}

static int record_fits(const hota_ota_t *h, const ota_record_t *r, const hota_partition_t *p)
{
    uint8_t uh[32];
    ota_url_hash(h, uh);
    return memcmp(uh, r->url_hash, 32) == 0 && r->slot == h->slot && r->n > 0 &&
           r->n % SECTOR == 0 && r->n <= p->size && (r->total == 0 || r->n < r->total) &&
           (!h->cfg.file_path || r->total == h->file_size);
}

int ota_resume_load(hota_ota_t *h)
{
    const hota_partition_t *p = hota_device_slot_part(h->cfg.device, h->slot);
    uint8_t raw[OTA_REC_SIZE];
    ota_record_t r;
    size_t len = 0;
    char path[HOTA_OTA_PATH_MAX];
    int rc = ota_progress_path(h, path, sizeof path);
    if (rc == HOTA_OK)
        rc = hota_pfile_load(path, raw, sizeof raw, &len);
    if (rc != HOTA_OK)
        return rc;
    rc = ota_record_decode(raw, len, &r);
    if (rc != HOTA_OK || !record_fits(h, &r, p) || !rehash(h, &r, p)) {
        ota_start_over(h);
        h->stats.restarts = 0;
        return HOTA_E_OTA_RESUME;
    }
    h->fed = h->written = h->recorded = r.n;
    h->total = r.total;
    memcpy(h->etag, r.etag, sizeof h->etag);
    memcpy(h->last_modified, r.last_modified, sizeof h->last_modified);
    h->stats.resumed_from = r.n;
    return HOTA_OK;
}
