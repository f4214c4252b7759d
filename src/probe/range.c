/* Range requests: two satisfiable 16-byte ranges and one that starts past the end. */
#include "probe_int.h"

#include "hota/error.h"

#include <string.h>

/* Decimal number at *s; advances *s. 0 when there is none or it overflows. */
static int parse_num(const char **s, uint64_t *out)
{
    const char *c = *s;
    uint64_t v = 0;
    if (*c < '0' || *c > '9')
        return 0;
    for (; *c >= '0' && *c <= '9'; c++) {
        if (v > (UINT64_MAX - 9) / 10)
            return 0;
        v = v * 10 + (uint64_t)(*c - '0');
    }
    *s = c;
    *out = v;
    return 1;
}

/* "bytes A-B/T" (T may be "*": *total is then UINT64_MAX). 1 when well formed. */
static int parse_content_range(const char *s, uint64_t *a, uint64_t *b, uint64_t *total)
{
    if (strncmp(s, "bytes ", 6) != 0)
        return 0;
    s += 6;
    if (!parse_num(&s, a) || *s++ != '-' || !parse_num(&s, b) || *s++ != '/')
        return 0;
    if (*s == '*') {
        *total = UINT64_MAX;
        return s[1] == '\0' && *b >= *a;
    }
    return parse_num(&s, total) && *s == '\0' && *b >= *a && *b < *total;
}

/* Read a 206 body of at most PROBE_RANGE_BODY_MAX bytes; 1 when it equals the expected bytes
 * (or only the length when they are unknown). A close-delimited 206 is judged on the bytes it
 * brought: its end (close_notify, FIN or nothing at all) says nothing about the range. */
static int body_matches(hota_probe_t *p, hota_http_t *h, uint64_t want, const uint8_t *expect,
                        size_t expect_len)
{
    uint8_t got[PROBE_RANGE_BODY_MAX];
    int by_close = hota_http_response(h)->framing == HOTA_HTTP_FRAMING_CLOSE;
    size_t total = 0;
    for (;;) {
        size_t n = 0;
        int rc = hota_http_read(h, p->buf, sizeof p->buf, &n);
        if (rc != HOTA_OK && !by_close)
            return 0;
        if (rc != HOTA_OK || n == 0)
            break;
        if (total + n > sizeof got)
            return 0;
        memcpy(got + total, p->buf, n);
        total += n;
        if (by_close && total >= want)
            break;
    }
    if (total != want)
        return 0;
    return expect_len != want || memcmp(got, expect, expect_len) == 0;
}

void probe_range_eval(hota_probe_t *p, hota_http_t *h, hota_probe_range_t *r, int rc,
                      const uint8_t *expect, size_t expect_len)
{
    const hota_http_resp_t *resp = hota_http_response(h);
    uint64_t a = 0, b = 0, total = 0;
    r->tried = 1;
    r->rc = rc;
    if (rc != HOTA_OK)
        return;
    r->status = resp->status;
    memcpy(r->content_range, resp->content_range, sizeof r->content_range);
    r->has_length = resp->has_length;
    if (r->end == UINT64_MAX) { /* unsatisfiable: only the status says anything */
        r->correct = resp->status == 416;
        return;
    }
    if (resp->status != 206 || !parse_content_range(resp->content_range, &a, &b, &total))
        return;
    if (a != r->start || b != r->end || (p->rep.has_length && total != p->rep.content_length))
        return;
    if (resp->has_length && resp->content_length != b - a + 1)
        return;
    r->correct = body_matches(p, h, b - a + 1, expect, expect_len);
}

/* One range request on its own connection. */
static void one_range(hota_probe_t *p, hota_probe_range_t *r, uint64_t start, uint64_t end,
                      const uint8_t *expect, size_t expect_len)
{
    hota_http_cfg_t hc;
    int rc;
    probe_http_cfg(p, &hc, NULL);
    hc.has_range = 1;
    hc.range_start = r->start = start;
    hc.range_end = r->end = end;
    rc = hota_http_request(&p->aux, &hc);
    probe_range_eval(p, &p->aux, r, rc, expect, expect_len);
    hota_http_close(&p->aux);
}

/* The resource's length: Content-Length of the main response, else the first 206's total. */
static int resource_length(const hota_probe_t *p, uint64_t *len)
{
    uint64_t a, b;
    if (p->rep.has_length) {
        *len = p->rep.content_length;
        return 1;
    }
    return p->rep.range_first.status == 206 &&
           parse_content_range(p->rep.range_first.content_range, &a, &b, len) &&
           *len != UINT64_MAX;
}

void probe_ranges(hota_probe_t *p)
{
    hota_probe_report_t *r = &p->rep;
    uint64_t len = 0;
    if (!r->range_first.tried)
        one_range(p, &r->range_first, 0, HOTA_PROBE_RANGE_LEN - 1, p->head, p->head_len);
    if (resource_length(p, &len) && len >= 2 * HOTA_PROBE_RANGE_LEN) {
        int known = r->has_length && p->mid_len == HOTA_PROBE_RANGE_LEN;
        one_range(p, &r->range_mid, len / 2, len / 2 + HOTA_PROBE_RANGE_LEN - 1,
                  known ? p->mid : NULL, known ? p->mid_len : 0);
    }
    if (resource_length(p, &len))
        one_range(p, &r->range_unsat, len, UINT64_MAX, NULL, 0);
    r->range = r->range_first.correct && r->range_mid.correct;
    r->resume = r->range && r->range_first.has_length && r->range_mid.has_length;
}
