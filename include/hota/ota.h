/**
 * @file ota.h
 * @brief The OTA engine: HTTP(S) body (or a local file) -> streaming image verifier -> slot
 *        writer, shaped like ESP-IDF's esp_https_ota so application code moves across.
 *
 * One-shot: hota_ota(&cfg). Step by step: hota_ota_begin(&cfg, &h), then hota_ota_perform(&h)
 * until it stops returning HOTA_E_IN_PROGRESS, then hota_ota_finish(&h) (or hota_ota_abort(&h)).
 * hota_ota_get_img_desc() is available once the image's esp_app_desc_t has arrived.
 *
 * Data path: body bytes are read straight into one fixed buffer inside the handle
 * (HOTA_OTA_BUF_SIZE), fed to the verifier, then written to the slot; nothing is allocated
 * while streaming. The first bytes are held back until the app description is decided, so an
 * image for another chip, without app description, below the eFuse secure_version, larger than
 * the slot (Content-Length / Content-Range total) or of the version already running is refused
 * before anything but at most the first sector is erased. Flash sectors are erased one by one
 * just before their first byte is written (or all at once with bulk_flash_erase).
 *
 * End of the download: the HTTP framing says the body is complete, or the verifier says the
 * image is complete (then nothing more is read, even when the server keeps the connection open
 * or ended a close-delimited body with a bare FIN). An incomplete image is never accepted
 * (HOTA_E_TRUNCATED / HOTA_E_IMAGE_TRUNCATED). hota_ota_finish() verifies the slot on flash and
 * selects it for the next boot; every failure and hota_ota_abort() leave otadata untouched.
 *
 * Interruptions: a connection that fails mid-body is reopened and the download continues with
 * `Range: bytes=N-` after the bytes already taken, when the server answers 206 for the same
 * resource (same total, ETag, Last-Modified); a 200 or a changed resource starts over from byte
 * 0. With resume enabled a progress record ("<flash>.progress", see docs/internals/ota.md)
 * lets a later run continue after a crash or power loss from the whole sectors on flash whose
 * SHA-256 the record holds.
 *
 * Lifetimes: the handle is caller-allocated (large: keep it static or on the heap); the
 * configuration is copied by hota_ota_begin(), but every string, array, the device and the
 * transport it points at must stay valid until hota_ota_finish()/hota_ota_abort() returned.
 * Not thread-safe.
 */
#ifndef HOTA_OTA_H
#define HOTA_OTA_H

#include <stddef.h>
#include <stdint.h>

#include "hota/device.h"
#include "hota/check64.h"
#include "hota/http.h"
#include "hota/image.h"
#include "hota/slot.h"

#ifdef __cplusplus
extern "C" {
#endif

#define HOTA_OTA_BUF_SIZE 4096u               /**< the streaming buffer inside the handle */
#define HOTA_OTA_DEFAULT_MAX_RETRIES 5        /**< max_retries when 0 is given */
#define HOTA_OTA_DEFAULT_BACKOFF_MS 100u      /**< first retry delay, doubled each retry */
#define HOTA_OTA_DEFAULT_BACKOFF_MAX_MS 5000u /**< cap of the retry delay */
#define HOTA_OTA_DEFAULT_REQUEST_SIZE 65536u  /**< max_http_request_size when 0 is given */
#define HOTA_OTA_DEFAULT_RECORD_INTERVAL 65536u /**< progress record every this many bytes */
#define HOTA_OTA_MAX_HEADERS 16               /**< extra request headers, all sources */
#define HOTA_OTA_PROGRESS_SUFFIX ".progress"  /**< progress record next to the flash file */
#define HOTA_OTA_PATH_MAX 4200u               /**< longest progress record path */

/** Events reported to the event callback (esp_https_ota_event_t). */
typedef enum hota_ota_event {
    HOTA_OTA_EVENT_START = 0,              /**< data: NULL */
    HOTA_OTA_EVENT_CONNECTED,              /**< data: const hota_http_resp_t * (NULL: file) */
    HOTA_OTA_EVENT_GET_IMG_DESC,           /**< data: const hota_app_desc_t * */
    HOTA_OTA_EVENT_VERIFY_CHIP_ID,         /**< data: const uint16_t * (the image's chip id) */
    HOTA_OTA_EVENT_WRITE_FLASH,            /**< data: const uint64_t * (bytes written so far) */
    HOTA_OTA_EVENT_UPDATE_BOOT_PARTITION,  /**< data: const int * (the slot) */
    HOTA_OTA_EVENT_FINISH,                 /**< data: NULL */
    HOTA_OTA_EVENT_ABORT,                  /**< data: const int * (the error, or HOTA_E_ABORTED) */
} hota_ota_event_t;

/** Event callback: called synchronously from the engine; must not call hota_ota_* on h. */
typedef void (*hota_ota_event_cb)(void *user, hota_ota_event_t ev, const void *data);

/**
 * Request customisation (esp_https_ota's http_client_init_cb): called before every request
 * with the settings about to be used (URL, Range, headers already filled in). It may change
 * them, e.g. point `headers` at its own array (keeping the entries it was given) or set
 * `transport`. Whatever it points at must stay valid until the next call or the end.
 * @return HOTA_OK to go on; any error stops the update with that error (no retry).
 */
typedef int (*hota_ota_http_init_cb)(void *user, hota_http_cfg_t *http, unsigned request_no);

/** Configuration. hota_ota_cfg_init() sets every default. */
typedef struct hota_ota_cfg {
    hota_http_cfg_t http;          /**< URL, TLS (CA, client cert, insecure), timeouts, extra
                                        headers, Basic credentials (auth_user/auth_pass) */
    const char *file_path;         /**< non-NULL: read the image from this local file */
    hota_device_t *device;         /**< the opened device to update (required) */
    int slot;                      /**< HOTA_SLOT_NONE: the next update slot */
    int bulk_flash_erase;          /**< 1: erase the image's size (or the whole slot when the
                                        size is unknown) before the first write */
    int partial_http_download;     /**< 1: Range requests of max_http_request_size bytes */
    uint32_t max_http_request_size; /**< 0: HOTA_OTA_DEFAULT_REQUEST_SIZE */
    int resume;                    /**< 1: keep and use the progress record (default 1) */
    const char *progress_path;     /**< NULL: the device's flash path + ".progress"; must
                                        stay valid until finish or abort */
    uint32_t record_interval;      /**< bytes between records, rounded to 4096 (0: 64 KiB) */
    int allow_same_version;        /**< 1: accept the version already running */
    int max_retries;               /**< 0: 5; < 0: no retry */
    uint32_t backoff_ms;           /**< 0: 100 */
    uint32_t backoff_max_ms;       /**< 0: 5000 */
    hota_ota_http_init_cb http_init_cb; /**< NULL: none */
    hota_ota_event_cb event_cb;    /**< NULL: none */
    void *user;                    /**< passed to both callbacks */
} hota_ota_cfg_t;

/** Facts for reports (the CLI's --json). */
typedef struct hota_ota_stats {
    uint64_t bytes;            /**< image bytes taken (fed to the verifier) */
    uint64_t total;            /**< expected size (Content-Length / Content-Range), 0 unknown */
    const char *framing;       /**< "content-length", "chunked", "close", "file" or "none" */
    const char *end;           /**< how the body ended: "framing", "image", "close_notify",
                                    "fin", "reset", "timeout", "eof" or "none" */
    uint64_t tail_ms;          /**< last body byte -> the engine decided the body was done */
    uint64_t tail_us;          /**< the same in microseconds */
    uint64_t elapsed_ms;       /**< begin -> finish (or now) */
    char partition[17];        /**< label of the target slot */
    char version[33];          /**< app desc version of the new image */
    uint32_t secure_version;   /**< its secure_version */
    uint64_t resumed_from;     /**< bytes taken over from flash at begin (progress record) */
    unsigned requests;         /**< HTTP requests sent (redirects included) */
    unsigned connections;      /**< connections opened */
    unsigned handshakes;       /**< TLS handshakes */
    unsigned handshakes_resumed; /**< of those, resuming the session of an earlier connection */
    uint64_t flash_ops;        /**< flash erases + writes during the update */
    unsigned retries;          /**< reconnects after a failure, restarts included */
    unsigned restarts;         /**< downloads started over from byte 0 */
    int status;                /**< last HTTP status (0: none / file) */
} hota_ota_stats_t;

/** The handle. Caller-allocated (tens of KiB); fields are private. */
typedef struct hota_ota {
    hota_ota_cfg_t cfg;
    hota_http_cfg_t req;            /* settings of the current request */
    const char *hdrs[HOTA_OTA_MAX_HEADERS];
    char auth_hdr[512];             /* Authorization: Digest ... */
    hota_http_t http;
    hota_image_verifier_t ver;
    hota_slot_writer_t writer;
    hota_image_policy_t policy;
    uint8_t trusted_keys[HOTA_EFUSE_MAX_KEYS][32]; /* the eFuse key digests at begin */
    int state;
    int err;
    int slot;
    int slot_begun;
    int desc_checked;
    int auth_tried;
    int file_fd;
    int record_fd;                  /* progress record kept open for in-place rewrites */
    uint64_t file_size;
    char running_version[33];       /* app version of the running slot ("" unknown) */
    int has_running;
    uint64_t fed;                   /* bytes fed to the verifier (= next byte wanted) */
    hota_check64_t fed_check;       /* check value of the fed bytes (= those on the slot) */
    uint64_t written;               /* bytes written to the slot */
    uint64_t recorded;              /* bytes covered by the progress record */
    uint64_t total;                 /* resource size, 0 unknown */
    uint64_t seg_end;               /* partial: end of the current range, exclusive */
    int range_sent;
    int attempts;                   /* failures since the download last got further */
    uint64_t furthest;              /* most image bytes ever fed in this update */
    uint64_t t_begin_ms, t_last_byte_us, t_done_us;
    char etag[128];
    char last_modified[64];
    hota_ota_stats_t stats;
    uint64_t ops_at_begin;
    unsigned http_requests_base;
    uint8_t buf[HOTA_OTA_BUF_SIZE];
} hota_ota_t;

/**
 * @brief Defaults: http defaults (hota_http_cfg_init), slot HOTA_SLOT_NONE, resume on,
 *        everything else 0 (meaning the documented default). Cannot fail.
 */
void hota_ota_cfg_init(hota_ota_cfg_t *cfg);

/**
 * @brief Prepare an update: check the settings, read the running app's version, load and check
 *        the progress record (re-reading and hashing the slot bytes it covers). No request is
 *        sent and nothing is written yet. On failure h needs no abort (but abort is harmless).
 * @return HOTA_OK; HOTA_E_INVALID_ARG (NULL cfg/h/device, neither URL nor file, progress path
 *         too long); HOTA_E_NO_OTA_SLOTS; HOTA_E_PART_NOT_FOUND (slot absent or factory);
 *         HOTA_E_RUNNING_SLOT; HOTA_E_URL, HOTA_E_URL_SCHEME; HOTA_E_NOT_FOUND,
 *         HOTA_E_FILE_OPEN (file source); flash read errors.
 */
int hota_ota_begin(const hota_ota_cfg_t *cfg, hota_ota_t *h);

/**
 * @brief Do one step: a request, one read of the body (fed and written), or a retry wait.
 * @return HOTA_E_IN_PROGRESS (call again); HOTA_OK (the whole image arrived and was written:
 *         call hota_ota_finish()); or the error that ended the update (sticky; call
 *         hota_ota_abort()): HOTA_E_OTA_STATE (not begun), HOTA_E_HTTP_STATUS (4xx, or 5xx
 *         after the retries), HOTA_E_HTTP_AUTH (401 after the credentials were tried),
 *         the error of the last attempt when the retry budget is spent (HOTA_E_TIMEOUT,
 *         HOTA_E_CONN_RESET, HOTA_E_CONNECT, HOTA_E_HTTP_STATUS for 5xx, ...),
 *         HOTA_E_TRUNCATED, HOTA_E_IMAGE_TRUNCATED (body or image ended early),
 *         HOTA_E_CONTENT_RANGE, HOTA_E_IMAGE_TOO_LARGE, HOTA_E_SAME_VERSION, every
 *         verifier code (HOTA_E_IMAGE_*, HOTA_E_NO_APP_DESC, HOTA_E_SECURE_VERSION,
 *         HOTA_E_SIG_*), hota_slot_begin()/write() codes (HOTA_E_PENDING_VERIFY, flash
 *         errors, HOTA_E_POWER_CUT), hota_http_request()/read() codes that are not retried
 *         (TLS, certificate, URL, parse errors), HOTA_E_IO (file source).
 */
int hota_ota_perform(hota_ota_t *h);

/**
 * @brief Complete the update: full verification of the slot on flash, then select it for the
 *        next boot (otadata entry NEW with rollback enabled), remove the progress record and
 *        release the handle. When perform did not return HOTA_OK this is an abort.
 * @return HOTA_OK; the error perform returned; HOTA_E_IMAGE_TRUNCATED (not all data
 *         received); hota_slot_end() and hota_slot_set_boot() codes.
 */
int hota_ota_finish(hota_ota_t *h);

/**
 * @brief Stop: close the connection (close_notify sent), leave otadata untouched, release the
 *        handle. The progress record stays for a later resume unless the image was refused.
 *        Safe to call twice and after finish.
 * @return HOTA_OK; HOTA_E_OTA_STATE when h was never begun.
 */
int hota_ota_abort(hota_ota_t *h);

/**
 * @brief Download until the image is written, then finish; abort on any failure.
 * @return HOTA_OK or the first error (see hota_ota_begin, _perform, _finish).
 */
int hota_ota(const hota_ota_cfg_t *cfg);

/**
 * @brief The new image's app description (esp_https_ota_get_img_desc).
 * @return HOTA_OK; HOTA_E_IN_PROGRESS (not yet received: call perform and ask again);
 *         HOTA_E_NO_APP_DESC (the image has none); HOTA_E_INVALID_ARG.
 */
int hota_ota_get_img_desc(const hota_ota_t *h, hota_app_desc_t *desc);

/** @brief Image bytes taken so far (written or, before the first write, held back). */
uint64_t hota_ota_get_image_len_read(const hota_ota_t *h);

/** @brief Expected image size from the HTTP headers or the file, -1 when unknown. */
int64_t hota_ota_get_image_size(const hota_ota_t *h);

/** @brief 1 when the whole image was received (perform returned HOTA_OK), else 0. */
int hota_ota_is_complete_data_received(const hota_ota_t *h);

/** @brief Copy the statistics (valid during and after the update, until the next begin). */
void hota_ota_get_stats(const hota_ota_t *h, hota_ota_stats_t *st);

/** @brief Name of an event, e.g. "WRITE_FLASH". */
const char *hota_ota_event_name(hota_ota_event_t ev);

#ifdef __cplusplus
}
#endif
#endif /* HOTA_OTA_H */
