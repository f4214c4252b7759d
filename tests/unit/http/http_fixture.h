/* Shared helpers of the HTTP unit tests: run a GET against a scripted in-memory server. */
#ifndef HOTA_TEST_HTTP_FIXTURE_H
#define HOTA_TEST_HTTP_FIXTURE_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "hota/error.h"
#include "hota/http.h"
#include "hota/transport_mem.h"

#define FX_BODY_MAX 65536
#define FX_SENT_MAX 20000 /* above HOTA_HTTP_REQUEST_MAX */

typedef struct fx {
    hota_mem_cf_t m;
    hota_http_cfg_t cfg;
    hota_http_t h;
    uint8_t sent[FX_SENT_MAX];
    uint8_t body[FX_BODY_MAX];
    size_t body_len;
    uint8_t rbuf[FX_BODY_MAX];
    size_t read_cap;  /* buffer size handed to hota_http_read (default 4096) */
    int req_rc;       /* result of hota_http_request */
    int read_rc;      /* result of the last hota_http_read */
    unsigned reads;   /* hota_http_read calls */
} fx_t;

/* Handles are big: one static fixture per test program. */
static fx_t fx_storage;
static int fx_live;

static inline fx_t *fx_new(const char *resp, size_t len, int end)
{
    fx_t *f = &fx_storage;
    if (fx_live)
        hota_http_free(&f->h);
    fx_live = 1;
    memset(f, 0, sizeof *f);
    hota_mem_cf_init(&f->m, (const uint8_t *)resp, len, end, f->sent, sizeof f->sent - 1);
    hota_http_cfg_init(&f->cfg);
    f->cfg.url = "https://example.test/fw.bin";
    f->cfg.transport = &f->m.cf;
    f->read_cap = 4096;
    hota_http_init(&f->h);
    return f;
}

static inline fx_t *fx_new_str(const char *resp, int end)
{
    return fx_new(resp, strlen(resp), end);
}

/* Read the body to its end or the first error; returns that result. */
static inline int fx_read_all(fx_t *f)
{
    for (;;) {
        size_t n = 0;
        f->reads++;
        f->read_rc = hota_http_read(&f->h, f->rbuf, f->read_cap, &n);
        if (f->read_rc != HOTA_OK)
            return f->read_rc;
        if (n == 0)
            return HOTA_OK;
        assert_true(n <= f->read_cap);
        assert_true(f->body_len + n <= sizeof f->body);
        memcpy(f->body + f->body_len, f->rbuf, n);
        f->body_len += n;
    }
}

/* Request then read; returns the first failure or HOTA_OK. */
static inline int fx_fetch(fx_t *f)
{
    f->body_len = 0;
    f->req_rc = hota_http_request(&f->h, &f->cfg);
    if (f->req_rc != HOTA_OK)
        return f->req_rc;
    return fx_read_all(f);
}

static inline void fx_assert_body(const fx_t *f, const char *want)
{
    assert_int_equal(f->body_len, strlen(want));
    assert_memory_equal(f->body, want, f->body_len);
}

/* What the client sent, as a string. */
static inline const char *fx_sent(fx_t *f)
{
    f->sent[f->m.out_len] = 0;
    return (const char *)f->sent;
}

#endif
