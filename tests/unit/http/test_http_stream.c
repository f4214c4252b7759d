/* The streamed head and the request sent in pieces: header names and values split at every
 * byte, the max_header_bytes boundary, long Location redirects, body bytes that come with the
 * head, long requests through the small I/O buffer. */
#include "http_fixture.h"

#include "hota/version.h"

#include <stdio.h>

_Static_assert(FX_SENT_MAX > HOTA_HTTP_REQUEST_MAX, "capture must hold the largest request");

/* A growing text buffer for building responses and expected requests. */
typedef struct text {
    char *p;
    size_t cap, len;
} text_t;

static void add(text_t *t, const char *s)
{
    size_t n = strlen(s);
    assert_true(t->len + n < t->cap);
    memcpy(t->p + t->len, s, n + 1);
    t->len += n;
}

static void add_rep(text_t *t, char c, size_t n)
{
    assert_true(t->len + n < t->cap);
    memset(t->p + t->len, c, n);
    t->len += n;
    t->p[t->len] = 0;
}

/* n characters of a varied, URL- and header-safe pattern. */
static void add_pattern(text_t *t, size_t n, unsigned seed)
{
    static const char set[] = "abcdefghijklmnopqrstuvwxyz0123456789-._~";
    assert_true(t->len + n < t->cap);
    for (size_t i = 0; i < n; i++)
        t->p[t->len++] = set[(i * 7 + seed) % (sizeof set - 1)];
    t->p[t->len] = 0;
}

static char *rep(char *buf, char c, size_t n)
{
    memset(buf, c, n);
    buf[n] = 0;
    return buf;
}

static void b64(const char *in, char *out)
{
    static const char tab[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    size_t n = strlen(in), o = 0;
    for (size_t i = 0; i < n; i += 3) {
        unsigned v = (unsigned)(unsigned char)in[i] << 16;
        v |= i + 1 < n ? (unsigned)(unsigned char)in[i + 1] << 8 : 0;
        v |= i + 2 < n ? (unsigned)(unsigned char)in[i + 2] : 0;
        out[o++] = tab[(v >> 18) & 63];
        out[o++] = tab[(v >> 12) & 63];
        out[o++] = i + 1 < n ? tab[(v >> 6) & 63] : '=';
        out[o++] = i + 2 < n ? tab[v & 63] : '=';
    }
    out[o] = 0;
}

/* ---- header capture at every split ---- */

struct capture_case {
    char resp[2048];
    const char *etag, *last_modified, *content_range, *accept_ranges, *location, *www;
    const char *body;
    int status;
};

static struct capture_case cases[3];

static void build_cases(void)
{
    static char e127[128], w511[512], a31[32];
    text_t t;
    memset(cases, 0, sizeof cases);
    /* 1: a 1xx first, names in any case, near-miss and over-long names, blanks, challenges */
    t = (text_t){cases[0].resp, sizeof cases[0].resp, 0};
    add(&t, "HTTP/1.1 103 Early Hints\r\nContent-Range: bytes 0-1/2\r\nLink: </x>\r\n\r\n"
            "HTTP/1.1 200 OK\r\n"
            "eTaG: \"abc-123\"   \r\n"
            "ETag-Plus-A-Long-Tail-Not-Kept: \"no1\"\r\n"
            "ETags: \"no2\"\r\n"
            "ETa: \"no3\"\r\n"
            "LAST-MODIFIED: Tue, 01 Oct 2024 10:00:00 GMT\r\n"
            "accept-ranges: \t bytes \t \r\n"
            "Location: /next/fw.bin?a=1 b\r\n"
            "WWW-Authenticate: Basic realm=\"a\"\r\n"
            "www-authenticate: Digest realm=\"r\", nonce=\"n\"\r\n"
            "WWW-Authenticate: Bearer\r\n"
            "Content-Length: 11\r\n\r\nhello world");
    cases[0].etag = "\"abc-123\"";
    cases[0].last_modified = "Tue, 01 Oct 2024 10:00:00 GMT";
    cases[0].content_range = "";
    cases[0].accept_ranges = "bytes";
    cases[0].location = "/next/fw.bin?a=1 b";
    cases[0].www = "Digest realm=\"r\", nonce=\"n\"";
    cases[0].body = "hello world";
    cases[0].status = 200;
    /* 2: values at their field sizes: a fit with trailing blanks, one over, empty values */
    rep(e127, 'E', 127);
    rep(w511, 'W', 511);
    t = (text_t){cases[1].resp, sizeof cases[1].resp, 0};
    add(&t, "HTTP/1.1 200 OK\r\nETag: ");
    add(&t, e127);
    add(&t, "  \t \r\nLast-Modified: ");
    add_rep(&t, 'L', 64);
    add(&t, "\r\nContent-Range:\r\nAccept-Ranges: ");
    add_rep(&t, 'A', 30);
    add(&t, " b\r\nWWW-Authenticate: ");
    add(&t, w511);
    add(&t, "\r\nLocation: /\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n"
            "0\r\nETag: trailer-not-kept\r\n\r\n");
    cases[1].etag = e127;
    cases[1].last_modified = "";
    cases[1].content_range = "";
    cases[1].accept_ranges = "";
    cases[1].location = "/";
    cases[1].www = w511;
    cases[1].body = "abc";
    cases[1].status = 200;
    /* 3: a value that fills its field exactly, one a byte over, an inner blank kept */
    rep(a31, 'A', 31);
    t = (text_t){cases[2].resp, sizeof cases[2].resp, 0};
    add(&t, "HTTP/1.1 304 Not Modified\r\nAccept-Ranges: ");
    add(&t, a31);
    add(&t, "    \r\nETag: ");
    add_rep(&t, 'E', 128);
    add(&t, "\r\nLocation: a\tb c\r\n\r\n");
    cases[2].etag = "";
    cases[2].last_modified = "";
    cases[2].content_range = "";
    cases[2].accept_ranges = a31;
    cases[2].location = "a\tb c";
    cases[2].www = NULL;
    cases[2].body = "";
    cases[2].status = 304;
}

static void check_capture(const struct capture_case *c, size_t split, size_t cap)
{
    fx_t *f = fx_new_str(c->resp, HOTA_E_CLOSE_NOTIFY);
    const hota_http_resp_t *r;
    f->m.max_chunk = split;
    f->read_cap = cap;
    if (fx_fetch(f) != HOTA_OK)
        fail_msg("split %zu: %s", split, hota_errname(f->req_rc ? f->req_rc : f->read_rc));
    r = hota_http_response(&f->h);
    assert_int_equal(r->status, c->status);
    assert_string_equal(r->etag, c->etag);
    assert_string_equal(r->last_modified, c->last_modified);
    assert_string_equal(r->content_range, c->content_range);
    assert_string_equal(r->accept_ranges, c->accept_ranges);
    assert_string_equal(r->location, c->location);
    if (c->www)
        assert_string_equal(hota_http_www_authenticate(&f->h), c->www);
    else
        assert_null(hota_http_www_authenticate(&f->h));
    fx_assert_body(f, c->body);
    assert_true(hota_http_body_complete(&f->h));
}

/* Every delivery size from one byte per read (each name and value split at every byte) to the
 * whole response at once. */
static void test_capture_every_split(void **state)
{
    (void)state;
    build_cases();
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        size_t len = strlen(cases[i].resp);
        for (size_t split = 1; split <= len + 1; split++)
            check_capture(&cases[i], split == len + 1 ? 0 : split, split % 2 ? 4096 : 1);
    }
}

/* ---- max_header_bytes ---- */

/* A response whose head (with an optional 1xx before it) is exactly head_len bytes. */
static size_t sized_head(char *buf, size_t cap, size_t head_len, int with_1xx)
{
    text_t t = {buf, cap, 0};
    size_t fixed;
    if (with_1xx)
        add(&t, "HTTP/1.1 100 Continue\r\n\r\n");
    add(&t, "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nX-Pad: ");
    fixed = t.len + 4;
    assert_true(head_len > fixed);
    add_pattern(&t, head_len - fixed, 3);
    add(&t, "\r\n\r\nhello");
    return t.len;
}

static void test_head_at_limit(void **state)
{
    static char resp[HOTA_HTTP_HEADER_MAX + 256];
    static const size_t limits[] = {100, HOTA_HTTP_IO_BUF - 1, HOTA_HTTP_IO_BUF,
                                    HOTA_HTTP_IO_BUF + 1, 3000, 0, 1u << 20};
    static const size_t chunks[] = {0, 1, 7, 1000};
    (void)state;
    for (size_t l = 0; l < sizeof limits / sizeof limits[0]; l++) {
        size_t lim = limits[l] == 0 || limits[l] > HOTA_HTTP_HEADER_MAX ? HOTA_HTTP_HEADER_MAX
                                                                         : limits[l];
        if (lim < 100)
            continue; /* a tiny HOTA_HTTP_IO_BUF build: no head fits */
        for (size_t c = 0; c < sizeof chunks / sizeof chunks[0]; c++) {
            for (int over = 0; over <= 1; over++) {
                for (int pre = 0; pre <= 1; pre++) {
                    size_t len = sized_head(resp, sizeof resp, lim + (size_t)over, pre);
                    fx_t *f = fx_new(resp, len, HOTA_E_CLOSE_NOTIFY);
                    int rc;
                    f->cfg.max_header_bytes = limits[l];
                    f->m.max_chunk = chunks[c];
                    rc = fx_fetch(f);
                    if (rc != (over ? HOTA_E_HEADER_TOO_LONG : HOTA_OK))
                        fail_msg("limit %zu chunk %zu over %d 1xx %d: %s", lim, chunks[c],
                                 over, pre, hota_errname(rc));
                    /* counted, not buffered: never a byte read past the limit in the head */
                    if (over)
                        assert_int_equal(f->m.in_pos, lim);
                    else
                        fx_assert_body(f, "hello");
                }
            }
        }
    }
}

/* ---- redirects to long URLs ---- */

static void test_long_location_followed(void **state)
{
    static char loc[HOTA_URL_MAX + 8], path[HOTA_URL_PATH_MAX], resp[8192], want[4096];
    static const size_t chunks[] = {0, 1, 100};
    text_t t;
    size_t first_len;
    (void)state;
    t = (text_t){path, sizeof path, 0};
    add(&t, "/d/");
    add_pattern(&t, 2030, 1);
    add(&t, "?v=12");
    t = (text_t){loc, sizeof loc, 0};
    add(&t, "https://example.test");
    add(&t, path);
    t = (text_t){resp, sizeof resp, 0};
    add(&t, "HTTP/1.1 302 Found\r\nLocation: ");
    add(&t, loc);
    add(&t, "\r\nContent-Length: 4\r\n\r\nmove");
    first_len = t.len;
    add(&t, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
    snprintf(want, sizeof want, "GET %s HTTP/1.1\r\nHost: example.test\r\nUser-Agent: hota/%s\r\n",
             path, HOTA_VERSION_STRING);
    for (size_t c = 0; c < sizeof chunks / sizeof chunks[0]; c++) {
        fx_t *f = fx_new(resp, t.len, HOTA_E_CLOSE_NOTIFY);
        hota_http_info_t info;
        hota_mem_cf_set_breaks(&f->m, &first_len, 1);
        f->m.max_chunk = chunks[c];
        assert_int_equal(fx_fetch(f), HOTA_OK);
        fx_assert_body(f, "ok");
        hota_http_get_info(&f->h, &info);
        assert_int_equal(info.redirects, 1);
        assert_int_equal(info.connects, 1); /* same origin, body drained: reused */
        assert_string_equal(hota_http_url(&f->h)->path, path);
        assert_non_null(strstr(fx_sent(f), want));
        /* not followed: the whole Location is there to read */
        f = fx_new(resp, t.len, HOTA_E_CLOSE_NOTIFY);
        f->m.max_chunk = chunks[c];
        f->cfg.max_redirects = -1;
        assert_int_equal(hota_http_request(&f->h, &f->cfg), HOTA_OK);
        assert_string_equal(hota_http_response(&f->h)->location, loc);
    }
}

/* A Location of HOTA_URL_MAX - 1 characters (userinfo, long host and path) is followed with its
 * credentials; one character more does not fit and is no usable Location. */
static void test_location_at_url_max(void **state)
{
    static char loc[HOTA_URL_MAX + 8], resp[8192], want[4096], host[256], path[2048];
    char plain[256], enc[400];
    text_t t;
    (void)state;
    for (int over = 0; over <= 1; over++) {
        size_t first_len;
        fx_t *f;
        t = (text_t){host, sizeof host, 0};
        for (int i = 0; i < 3; i++) {
            add_rep(&t, 'h', 60);
            add(&t, ".");
        }
        add_rep(&t, 'h', 20);
        add(&t, ".test");
        t = (text_t){loc, sizeof loc, 0};
        add(&t, "https://");
        for (int i = 0; i < 100; i++)
            add(&t, "%61");
        add(&t, ":");
        for (int i = 0; i < 30; i++)
            add(&t, "%62");
        add(&t, "@");
        add(&t, host);
        {
            size_t before = t.len;
            add(&t, "/");
            add_pattern(&t, HOTA_URL_MAX - 1 - t.len - 4 + (size_t)over, 5);
            add(&t, "?k=v");
            assert_int_equal(t.len, HOTA_URL_MAX - 1 + (size_t)over);
            snprintf(path, sizeof path, "%s", loc + before);
        }
        t = (text_t){resp, sizeof resp, 0};
        add(&t, "HTTP/1.1 301 Moved\r\nLocation: ");
        add(&t, loc);
        add(&t, "\r\nContent-Length: 0\r\n\r\n");
        first_len = t.len;
        add(&t, "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nfar");
        f = fx_new(resp, t.len, HOTA_E_CLOSE_NOTIFY);
        hota_mem_cf_set_breaks(&f->m, &first_len, 1);
        f->m.max_chunk = 13;
        if (over) {
            assert_int_equal(fx_fetch(f), HOTA_E_REDIRECT);
            continue;
        }
        assert_int_equal(fx_fetch(f), HOTA_OK);
        fx_assert_body(f, "far");
        assert_string_equal(hota_http_url(&f->h)->host, host);
        rep(plain, 'a', 100);
        strcat(plain, ":");
        rep(plain + 101, 'b', 30);
        b64(plain, enc);
        snprintf(want, sizeof want,
                 "GET %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: hota/%s\r\nAccept: */*\r\n"
                 "Authorization: Basic %s\r\nConnection: keep-alive\r\n\r\n",
                 path, host, HOTA_VERSION_STRING, enc);
        assert_non_null(strstr(fx_sent(f), want));
    }
}

/* ---- body bytes that arrive with the head ---- */

static void test_body_with_head_first(void **state)
{
    static char resp[8192], body[4096];
    static const size_t caps[] = {1, 7, 333, 4096};
    text_t t = {body, sizeof body, 0};
    (void)state;
    add_pattern(&t, 3000, 11);
    for (int chunked = 0; chunked <= 1; chunked++) {
        size_t head, len;
        t = (text_t){resp, sizeof resp, 0};
        if (chunked) {
            add(&t, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n");
            head = t.len;
            for (size_t off = 0; off < 3000; off += 100) {
                char line[16];
                snprintf(line, sizeof line, "64\r\n");
                add(&t, line);
                assert_true(t.len + 102 < t.cap);
                memcpy(t.p + t.len, body + off, 100);
                t.len += 100;
                add(&t, "\r\n");
            }
            add(&t, "0\r\n\r\n");
        } else {
            add(&t, "HTTP/1.1 200 OK\r\nContent-Length: 3000\r\n\r\n");
            head = t.len;
            add(&t, body);
        }
        len = t.len;
        /* the first read gets the pending bytes, in order, without touching the transport */
        {
            fx_t *f = fx_new(resp, len, HOTA_E_CLOSE_NOTIFY);
            size_t n = 0;
            assert_int_equal(hota_http_request(&f->h, &f->cfg), HOTA_OK);
            assert_int_equal(f->m.recv_calls, 1);
            assert_int_equal(f->m.in_pos, HOTA_HTTP_IO_BUF);
            assert_int_equal(hota_http_read(&f->h, f->rbuf, sizeof f->rbuf, &n), HOTA_OK);
            assert_int_equal(f->m.recv_calls, 1);
            if (!chunked) {
                assert_int_equal(n, HOTA_HTTP_IO_BUF - head);
                assert_memory_equal(f->rbuf, body, n);
            } else {
                assert_true(n > 0 && n < HOTA_HTTP_IO_BUF - head);
                assert_memory_equal(f->rbuf, body, n);
            }
        }
        for (size_t c = 0; c < sizeof caps / sizeof caps[0]; c++) {
            fx_t *f = fx_new(resp, len, HOTA_E_CLOSE_NOTIFY);
            f->read_cap = caps[c];
            assert_int_equal(fx_fetch(f), HOTA_OK);
            fx_assert_body(f, body);
        }
    }
}

/* Heads ending just before, at and just after the I/O buffer's end. */
static void test_head_at_buffer_edge(void **state)
{
    static char resp[HOTA_HTTP_IO_BUF * 2 + 64];
    (void)state;
    for (size_t head = HOTA_HTTP_IO_BUF - 2; head <= HOTA_HTTP_IO_BUF + 2; head++) {
        size_t len = sized_head(resp, sizeof resp, head, 0);
        for (size_t cap = 1; cap <= 8; cap *= 2) {
            fx_t *f = fx_new(resp, len, HOTA_E_CLOSE_NOTIFY);
            f->read_cap = cap;
            assert_int_equal(fx_fetch(f), HOTA_OK);
            fx_assert_body(f, "hello");
            assert_int_equal(f->m.recv_end, 0);
        }
    }
}

/* ---- requests sent through the small buffer ---- */

static void test_typical_request_one_send(void **state)
{
    static const char *const extra[] = {"X-Device: esp32", "If-None-Match: \"v1\""};
    fx_t *f = fx_new_str("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", HOTA_E_CLOSE_NOTIFY);
    (void)state;
    f->cfg.url = "https://user:pass@example.test:8443/fw/app.bin?ch=beta";
    f->cfg.headers = extra;
    f->cfg.header_count = 2;
    f->cfg.has_range = 1;
    f->cfg.range_start = 100;
    assert_int_equal(fx_fetch(f), HOTA_OK);
    assert_true(f->m.out_len <= HOTA_HTTP_IO_BUF); /* a typical request fits the I/O buffer */
    assert_int_equal(f->m.send_calls, 1);            /* and goes out in one send */
}

static void test_long_request_exact_bytes(void **state)
{
    static char url[4096], want[FX_SENT_MAX], hdr[3][700], user[256], pass[256];
    static char plain[520], enc[700];
    const char *hdrs[3] = {hdr[0], hdr[1], hdr[2]};
    text_t t = {url, sizeof url, 0};
    size_t path_at, sends;
    fx_t *f;
    (void)state;
    add(&t, "https://example.test");
    path_at = t.len;
    add(&t, "/");
    add_pattern(&t, 2000, 2);
    add(&t, "?x=1");
    for (int i = 0; i < 3; i++) {
        text_t h = {hdr[i], sizeof hdr[i], 0};
        char name[16];
        snprintf(name, sizeof name, "X-Long-%d: ", i);
        add(&h, name);
        add_pattern(&h, 600, (unsigned)i);
    }
    rep(user, 'u', 255);
    rep(pass, 'p', 255);
    snprintf(plain, sizeof plain, "%s:%s", user, pass);
    b64(plain, enc);
    t = (text_t){want, sizeof want, 0};
    add(&t, "GET ");
    add(&t, url + path_at);
    add(&t, " HTTP/1.1\r\nHost: example.test\r\nUser-Agent: hota/" HOTA_VERSION_STRING
            "\r\nAccept: */*\r\nRange: bytes=1-2\r\nAuthorization: Basic ");
    add(&t, enc);
    add(&t, "\r\n");
    for (int i = 0; i < 3; i++) {
        add(&t, hdr[i]);
        add(&t, "\r\n");
    }
    add(&t, "Connection: keep-alive\r\n\r\n");
    f = fx_new_str("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", HOTA_E_CLOSE_NOTIFY);
    f->cfg.url = url;
    f->cfg.headers = hdrs;
    f->cfg.header_count = 3;
    f->cfg.auth_user = user;
    f->cfg.auth_pass = pass;
    f->cfg.has_range = 1;
    f->cfg.range_start = 1;
    f->cfg.range_end = 2;
    assert_int_equal(fx_fetch(f), HOTA_OK);
    assert_string_equal(fx_sent(f), want);
    sends = (t.len + HOTA_HTTP_IO_BUF - 1) / HOTA_HTTP_IO_BUF;
    assert_int_equal(f->m.send_calls, sends); /* full buffers only: as few sends as possible */
    /* a send that fails half way is reported; what went out is the request's beginning */
    f = fx_new_str("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", HOTA_E_CLOSE_NOTIFY);
    f->cfg.url = url;
    f->m.out_cap = HOTA_HTTP_IO_BUF + 10;
    assert_int_equal(fx_fetch(f), HOTA_E_SEND);
    assert_int_equal(f->m.out_len, HOTA_HTTP_IO_BUF);
    assert_memory_equal(f->sent, "GET /", 5);
}

/* The request head may be HOTA_HTTP_REQUEST_MAX bytes; one more is refused before any send. */
static void test_request_max(void **state)
{
    static char big[HOTA_HTTP_REQUEST_MAX];
    const char *hdrs[1] = {big};
    size_t base;
    fx_t *f = fx_new_str("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", HOTA_E_CLOSE_NOTIFY);
    (void)state;
    assert_int_equal(fx_fetch(f), HOTA_OK);
    base = f->m.out_len; /* the request without extra headers */
    for (int over = 0; over <= 1; over++) {
        size_t vlen = HOTA_HTTP_REQUEST_MAX - base - strlen("X-Big: \r\n") + (size_t)over;
        memcpy(big, "X-Big: ", 7);
        memset(big + 7, 'v', vlen);
        big[7 + vlen] = 0;
        f = fx_new_str("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", HOTA_E_CLOSE_NOTIFY);
        f->cfg.headers = hdrs;
        f->cfg.header_count = 1;
        if (over) {
            assert_int_equal(fx_fetch(f), HOTA_E_BUFFER_TOO_SMALL);
            assert_int_equal(f->m.send_calls, 0);
        } else {
            assert_int_equal(fx_fetch(f), HOTA_OK);
            assert_int_equal(f->m.out_len, HOTA_HTTP_REQUEST_MAX);
            assert_non_null(strstr(fx_sent(f), big));
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_capture_every_split),
        cmocka_unit_test(test_head_at_limit),
        cmocka_unit_test(test_long_location_followed),
        cmocka_unit_test(test_location_at_url_max),
        cmocka_unit_test(test_body_with_head_first),
        cmocka_unit_test(test_head_at_buffer_edge),
        cmocka_unit_test(test_typical_request_one_send),
        cmocka_unit_test(test_long_request_exact_bytes),
        cmocka_unit_test(test_request_max),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
