/* Shared helpers of the OTA engine tests: a device in a temp dir, a created image, scripted
 * in-memory servers (one per connection) and the run loop. */
#ifndef HOTA_TEST_OTA_FIXTURE_H
#define HOTA_TEST_OTA_FIXTURE_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "hota/device.h"
#include "hota/error.h"
#include "hota/image_create.h"
#include "hota/ota.h"
#include "hota/partition.h"
#include "hota/slot.h"
#include "hota/transport_mem.h"
#include "temp_device.h"

#define FX_IMG_MAX (400u * 1024u)
#define FX_RESP_MAX (FX_IMG_MAX + 65536u)
#define FX_CONNS 8
#define FX_SENT 16384
#define FX_FLASH_SIZE (4u * 1024u * 1024u)

typedef struct fx {
    tdev_t td;             /* the device's temporary directory and flash file */
    hota_device_t dev;
    uint8_t img[FX_IMG_MAX];
    size_t img_len;
    uint8_t resp[FX_CONNS][FX_RESP_MAX];
    size_t resp_len[FX_CONNS];
    hota_mem_cf_t m[FX_CONNS];
    uint8_t sent[FX_CONNS][FX_SENT + 1];
    unsigned nconn;        /* transports handed out so far */
    hota_ota_cfg_t cfg;
    hota_ota_t h;
    hota_ota_stats_t st;
    uint8_t slot_buf[FX_IMG_MAX];
    uint8_t otadata_before[8192];
} fx_t;

static fx_t fx_storage;

/* Make an image of the given version and size into f->img. */
static inline void fx_image(fx_t *f, const char *version, uint32_t secver, uint32_t size)
{
    hota_image_create_params_t p;
    hota_image_create_defaults(&p);
    p.project = "fxapp";
    p.version = version;
    p.secure_version = secver;
    p.size = size;
    assert_int_equal(hota_image_create_buffer(&p, f->img, sizeof f->img, &f->img_len, NULL),
                     HOTA_OK);
}

/* A fresh 4 MiB device with the stock two-OTA table in a temp dir. */
static inline fx_t *fx_new(void)
{
    fx_t *f = &fx_storage;
    memset(f, 0, sizeof *f);
    tdev_create(&f->td, "/tmp/hota_ota", FX_FLASH_SIZE, &f->dev);
    hota_ota_cfg_init(&f->cfg);
    f->cfg.device = &f->dev;
    f->cfg.http.url = "https://example.test/fw.bin";
    f->cfg.backoff_ms = 1;
    f->cfg.backoff_max_ms = 2;
    fx_image(f, "2.0", 0, 100000);
    return f;
}

static inline void fx_free(fx_t *f)
{
    tdev_remove(&f->td, &f->dev);
}

/* Append text to response i. */
static inline void fx_add(fx_t *f, unsigned i, const void *p, size_t n)
{
    assert_true(f->resp_len[i] + n <= FX_RESP_MAX);
    memcpy(f->resp[i] + f->resp_len[i], p, n);
    f->resp_len[i] += n;
}

static inline void fx_addf(fx_t *f, unsigned i, const char *fmt, ...)
{
    char tmp[1024];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    assert_true(n > 0 && (size_t)n < sizeof tmp);
    fx_add(f, i, tmp, (size_t)n);
}

/* Response i: status line + extra header lines + Content-Length, then body [a, b). */
static inline void fx_resp_len(fx_t *f, unsigned i, const char *status, const char *hdrs,
                               size_t a, size_t b)
{
    fx_addf(f, i, "HTTP/1.1 %s\r\n%sContent-Length: %zu\r\n\r\n", status, hdrs, b - a);
    fx_add(f, i, f->img + a, b - a);
}

/* Response i: chunked body of the whole image in chunks of `chunk` bytes. */
static inline void fx_resp_chunked(fx_t *f, unsigned i, size_t chunk)
{
    fx_addf(f, i, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n");
    for (size_t off = 0; off < f->img_len; off += chunk) {
        size_t n = f->img_len - off < chunk ? f->img_len - off : chunk;
        fx_addf(f, i, "%zx\r\n", n);
        fx_add(f, i, f->img + off, n);
        fx_addf(f, i, "\r\n");
    }
    fx_addf(f, i, "0\r\n\r\n");
}

/* Response i: HTTP/1.0 close-delimited body [0, b). */
static inline void fx_resp_close(fx_t *f, unsigned i, size_t b)
{
    fx_addf(f, i, "HTTP/1.0 200 OK\r\nContent-Type: application/octet-stream\r\n\r\n");
    fx_add(f, i, f->img, b);
}

/* Request hook: a new scripted connection for every request (servers say Connection: close
 * or the client keeps the same one when it may reuse it). */
static inline int fx_init_cb(void *user, hota_http_cfg_t *http, unsigned request_no)
{
    fx_t *f = user;
    (void)request_no;
    if (f->nconn > 0 && !f->m[f->nconn - 1].closed && f->m[f->nconn - 1].in_pos < f->resp_len[f->nconn - 1]) {
        http->transport = &f->m[f->nconn - 1].cf; /* still serving (keep-alive) */
        return HOTA_OK;
    }
    assert_true(f->nconn < FX_CONNS);
    http->transport = &f->m[f->nconn].cf;
    f->nconn++;
    return HOTA_OK;
}

/* Prepare transports 0..n-1 with their responses and ends. */
static inline void fx_transports(fx_t *f, unsigned n, const int *ends)
{
    for (unsigned i = 0; i < n; i++)
        hota_mem_cf_init(&f->m[i], f->resp[i], f->resp_len[i], ends[i], f->sent[i], FX_SENT);
    f->cfg.http_init_cb = fx_init_cb;
    f->cfg.user = f;
}

static inline void fx_save_otadata(fx_t *f)
{
    assert_int_equal(hota_flash_read(&f->dev.flash, f->dev.otadata->offset, f->otadata_before,
                                     sizeof f->otadata_before),
                     HOTA_OK);
}

static inline void fx_assert_otadata_unchanged(fx_t *f)
{
    uint8_t now[8192];
    assert_int_equal(hota_flash_read(&f->dev.flash, f->dev.otadata->offset, now, sizeof now),
                     HOTA_OK);
    assert_memory_equal(now, f->otadata_before, sizeof now);
}

/* Begin, perform to the end, finish or abort. Returns the result; f->st holds the stats. */
static inline int fx_run(fx_t *f)
{
    int rc = hota_ota_begin(&f->cfg, &f->h);
    if (rc != HOTA_OK)
        return rc;
    do
        rc = hota_ota_perform(&f->h);
    while (rc == HOTA_E_IN_PROGRESS);
    if (rc == HOTA_OK)
        rc = hota_ota_finish(&f->h);
    else
        assert_int_equal(hota_ota_abort(&f->h), HOTA_OK);
    hota_ota_get_stats(&f->h, &f->st);
    return rc;
}

/* The slot holds exactly the image, and otadata selects it with state NEW. */
static inline void fx_assert_installed(fx_t *f, int slot)
{
    const hota_partition_t *p = hota_device_slot_part(&f->dev, slot);
    uint32_t state = 0;
    assert_int_equal(hota_flash_read(&f->dev.flash, p->offset, f->slot_buf, f->img_len),
                     HOTA_OK);
    assert_memory_equal(f->slot_buf, f->img, f->img_len);
    assert_int_equal(hota_slot_get_state(&f->dev, slot, &state), HOTA_OK);
    assert_int_equal(state, HOTA_OTA_STATE_NEW);
}

/* 1 when the captured requests of connection i contain s. */
static inline int fx_sent_has(fx_t *f, unsigned i, const char *s)
{
    f->sent[i][f->m[i].out_len] = 0;
    return strstr((const char *)f->sent[i], s) != NULL;
}

#endif
