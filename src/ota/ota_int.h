/* Private pieces of the OTA engine shared by its files. */
#ifndef HOTA_OTA_INT_H
#define HOTA_OTA_INT_H

#include "hota/ota.h"

#include <stdint.h>

/* Engine states (rows of the transition table in ota.c and docs/internals/ota.md). */
enum ota_state {
    ST_IDLE = 0, /* not begun, or released by finish/abort */
    ST_REQUEST,  /* send the next request (or open the file position) */
    ST_BODY,     /* read, verify and write the body */
    ST_WAIT,     /* back off before a retry */
    ST_DONE,     /* whole image received and written */
    ST_FAILED,   /* stopped with h->err */
    ST_COUNT
};

/* Events a step reports (columns of the transition table). */
enum ota_event {
    EV_BODY = 0, /* response accepted: its body follows */
    EV_MORE,     /* bytes taken, the body goes on */
    EV_REQUEST,  /* send a (new) request: next range, auth challenge, start over */
    EV_RETRY,    /* transient failure: reconnect after a back-off */
    EV_DONE,     /* the image is complete */
    EV_FAIL,     /* final failure, h->err set */
    EV_COUNT
};

/* Progress record ("<flash>.progress"), see docs/internals/ota.md. */
#define OTA_REC_MAGIC 0x5250544Fu /* "OTPR" */
#define OTA_REC_VERSION 1u
#define OTA_REC_SIZE 288u

typedef struct ota_record {
    uint8_t url_hash[32];
    int32_t slot;
    char etag[128];
    char last_modified[64];
    uint64_t total;
    uint64_t n;
    uint8_t sha[32];
} ota_record_t;

/* fetch.c: one request and the checks of its response (or the file source). */
int ota_step_request(hota_ota_t *h);
/* pipe.c: one body read, fed to the verifier and written. */
int ota_step_body(hota_ota_t *h);
/* pipe.c: back to byte 0 (verifier, hash, slot writer, counters, record). */
void ota_start_over(hota_ota_t *h);
/* ota.c: report an event to the user's callback. */
void ota_emit(hota_ota_t *h, hota_ota_event_t ev, const void *data);
/* ota.c: fail with rc (returns EV_FAIL). */
int ota_fail(hota_ota_t *h, int rc);
/* ota.c: 1 when rc is worth a reconnect. */
int ota_retryable(int rc);

/* progress.c */
/* The progress record's path (cfg.progress_path, else the flash path + ".progress") into out
 * (cap bytes; out NULL: only check it fits HOTA_OTA_PATH_MAX). HOTA_OK or
 * HOTA_E_INVALID_ARG (too long). */
int ota_progress_path(const hota_ota_t *h, char *out, size_t cap);
void ota_record_encode(const ota_record_t *r, uint8_t out[OTA_REC_SIZE]);
int ota_record_decode(const uint8_t *in, size_t len, ota_record_t *r);
void ota_url_hash(const hota_ota_t *h, uint8_t out[32]);
int ota_record_save(hota_ota_t *h, uint64_t n, const uint8_t sha[32]);
void ota_record_remove(hota_ota_t *h);
int ota_resume_load(hota_ota_t *h);
/* progress.c: the sector boundary in (written, end] where a record falls due, else 0 (the
 * record's digest is then the verifier's running SHA-256 at that mark, see pipe.c take()). */
uint64_t ota_record_due(const hota_ota_t *h, uint64_t end);

/* auth.c: Digest (RFC 7616, MD5, qop=auth) from a WWW-Authenticate challenge. */
int ota_digest_header(const char *challenge, const char *user, const char *pass,
                      const char *method, const char *uri, const char *cnonce, char *out,
                      size_t cap);

#endif
