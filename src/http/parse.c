/* llhttp glue: callbacks, header capture, framing decision, error mapping. */
#include "http_int.h"

#include "hota/error.h"
#include "hota/port.h"

#include <stddef.h>
#include <string.h>

_Static_assert(sizeof(llhttp_t) <= sizeof(((hota_http_t *)0)->parser),
               "hota_http_t::parser too small for llhttp_t");
_Static_assert(HOTA_HTTP_IO_BUF >= 16, "HOTA_HTTP_IO_BUF too small");

#define RESP_FIELD(f) offsetof(hota_http_resp_t, f), sizeof(((hota_http_resp_t *)0)->f)

/* Response headers kept in hota_http_resp_t. */
static const struct capture {
    const char *name;
    size_t off;
    size_t cap;
    int keep_digest; /* a Digest challenge already kept is not replaced */
} captures[] = {
    {"etag", RESP_FIELD(etag), 0},
    {"last-modified", RESP_FIELD(last_modified), 0},
    {"content-range", RESP_FIELD(content_range), 0},
    {"accept-ranges", RESP_FIELD(accept_ranges), 0},
    {"location", RESP_FIELD(location), 0},
    {"www-authenticate", RESP_FIELD(www_authenticate), 1},
};

static hota_http_t *handle(llhttp_t *p)
{
    return (hota_http_t *)p->data;
}

static int cb_fail(hota_http_t *h, int err)
{
    h->cb_err = err;
    return HPE_USER;
}

static int name_is(const char *s, size_t n, const char *lit)
{
    if (strlen(lit) != n)
        return 0;
    for (size_t i = 0; i < n; i++) {
        int c = (unsigned char)s[i];
        if ((c >= 'A' && c <= 'Z' ? c + 32 : c) != lit[i])
            return 0;
    }
    return 1;
}

static char *field_of(hota_http_t *h, int i)
{
    return (char *)&h->resp + captures[i].off;
}

/* Forget the current header: the next name starts empty, no value is kept. */
static void reset_head(hota_http_t *h)
{
    h->name_len = 0;
    h->val_field = -1;
    h->val_len = h->val_keep = 0;
    h->val_over = 0;
}

static int on_message_begin(llhttp_t *p)
{
    hota_http_t *h = handle(p);
    memset(&h->resp, 0, sizeof h->resp);
    h->status_line_done = 0;
    h->informational = 0;
    reset_head(h);
    return 0;
}

static int on_status_complete(llhttp_t *p)
{
    hota_http_t *h = handle(p);
    if (p->status_code < 100 || p->status_code > 999)
        return cb_fail(h, HOTA_E_HTTP_STATUS_LINE); /* the status is exactly three digits */
    h->status_line_done = 1;
    return 0;
}

/* Name pieces are joined in h->name; a name too long for it is no name we keep. */
static int on_header_field(llhttp_t *p, const char *at, size_t n)
{
    hota_http_t *h = handle(p);
    if (h->headers_done || h->name_len >= sizeof h->name)
        return 0; /* trailers are not kept */
    if (n >= sizeof h->name - h->name_len) {
        h->name_len = sizeof h->name;
        return 0;
    }
    memcpy(h->name + h->name_len, at, n);
    h->name_len += n;
    return 0;
}

/* The name is complete: choose the field its value goes to, if any. */
static int on_header_field_complete(llhttp_t *p)
{
    hota_http_t *h = handle(p);
    h->val_field = -1;
    h->val_len = h->val_keep = 0;
    h->val_over = 0;
    if (h->headers_done || h->name_len >= sizeof h->name)
        return 0;
    for (int i = 0; i < (int)(sizeof captures / sizeof captures[0]); i++) {
        if (!name_is(h->name, h->name_len, captures[i].name))
            continue;
        if (!captures[i].keep_digest || strncmp(field_of(h, i), "Digest", 6) != 0)
            h->val_field = i;
        break;
    }
    return 0;
}

/* Value pieces go straight into the field. Trailing blanks do not count against its size;
 * a value that does not fit is marked and stored empty at its end. */
static int on_header_value(llhttp_t *p, const char *at, size_t n)
{
    hota_http_t *h = handle(p);
    char *dst;
    size_t room;
    if (h->val_field < 0 || h->val_over)
        return 0;
    dst = field_of(h, h->val_field);
    room = captures[h->val_field].cap - 1;
    for (size_t i = 0; i < n && !h->val_over; i++, h->val_len++) {
        if (at[i] != ' ' && at[i] != '\t') {
            h->val_over = h->val_len >= room;
            h->val_keep = h->val_len + 1;
        }
        if (h->val_len < room)
            dst[h->val_len] = at[i];
    }
    return 0;
}

static int on_header_value_complete(llhttp_t *p)
{
    hota_http_t *h = handle(p);
    if (h->val_field >= 0)
        field_of(h, h->val_field)[h->val_over ? 0 : h->val_keep] = 0;
    reset_head(h);
    return 0;
}

/* The same decision llhttp makes after the headers, named. */
static hota_http_framing_t framing_of(const llhttp_t *p)
{
    if (p->flags & F_CHUNKED)
        return HOTA_HTTP_FRAMING_CHUNKED;
    if (llhttp_message_needs_eof(p))
        return HOTA_HTTP_FRAMING_CLOSE;
    if (p->flags & F_CONTENT_LENGTH)
        return HOTA_HTTP_FRAMING_LENGTH;
    return HOTA_HTTP_FRAMING_NONE;
}

static int on_headers_complete(llhttp_t *p)
{
    hota_http_t *h = handle(p);
    int st = p->status_code;
    if (st / 100 == 1) {
        if (st == 101)
            return cb_fail(h, HOTA_E_HTTP_PARSE); /* we never ask for an upgrade */
        h->informational = 1;                     /* 100, 103...: the real response follows */
        return 0;
    }
    h->resp.status = st;
    h->resp.http_major = p->http_major;
    h->resp.http_minor = p->http_minor;
    h->resp.has_length = (p->flags & F_CONTENT_LENGTH) != 0;
    h->resp.content_length = h->resp.has_length ? p->content_length : 0;
    h->resp.framing = framing_of(p);
    h->resp.keep_alive = llhttp_should_keep_alive(p); /* confirmed at message end */
    h->headers_done = 1;
    h->info.t_headers_us = hota_now_us();
    return HPE_PAUSED;
}

static int on_body(llhttp_t *p, const char *at, size_t n)
{
    hota_http_t *h = handle(p);
    if (n == 0)
        return 0;
    if (!h->out || n > h->out_cap - h->out_len)
        return cb_fail(h, HOTA_E_INTERNAL);
    memmove(h->out + h->out_len, at, n); /* in place: the target never passes the source */
    h->out_len += n;
    h->info.t_last_body_us = hota_now_us();
    return 0;
}

static int on_message_complete(llhttp_t *p)
{
    hota_http_t *h = handle(p);
    if (h->informational) {
        h->informational = 0;
        return 0;
    }
    h->resp.keep_alive = llhttp_should_keep_alive(p);
    h->complete = 1;
    h->info.t_complete_us = hota_now_us();
    return HPE_PAUSED; /* stop exactly at the end of this response */
}

static const llhttp_settings_t settings = {
    .on_message_begin = on_message_begin,
    .on_status_complete = on_status_complete,
    .on_header_field = on_header_field,
    .on_header_field_complete = on_header_field_complete,
    .on_header_value = on_header_value,
    .on_header_value_complete = on_header_value_complete,
    .on_headers_complete = on_headers_complete,
    .on_body = on_body,
    .on_message_complete = on_message_complete,
};

void http_parser_start(hota_http_t *h)
{
    llhttp_t *p = http_parser(h);
    llhttp_init(p, HTTP_RESPONSE, &settings);
    p->data = h;
    h->cb_err = HOTA_OK;
}

static int map_error(hota_http_t *h, llhttp_errno_t e)
{
    const char *reason = llhttp_get_error_reason(http_parser(h));
    if (h->cb_err != HOTA_OK)
        return h->cb_err;
    if (!h->status_line_done)
        return HOTA_E_HTTP_STATUS_LINE;
    switch (e) {
    case HPE_INVALID_CHUNK_SIZE:
        return HOTA_E_CHUNK_SIZE;
    case HPE_UNEXPECTED_CONTENT_LENGTH:
        return reason && strstr(reason, "Transfer-Encoding") ? HOTA_E_CL_AND_TE
                                                             : HOTA_E_CL_CONFLICT;
    default:
        return HOTA_E_HTTP_PARSE;
    }
}

int http_feed(hota_http_t *h, const uint8_t *data, size_t len, size_t *used)
{
    llhttp_t *p = http_parser(h);
    llhttp_errno_t e = llhttp_execute(p, (const char *)data, len);
    *used = len;
    if (e == HPE_OK)
        return HOTA_OK;
    if (e == HPE_PAUSED) {
        *used = (size_t)(llhttp_get_error_pos(p) - (const char *)data);
        llhttp_resume(p);
        return HOTA_OK;
    }
    *used = 0;
    return map_error(h, e);
}

int http_parser_eof(hota_http_t *h)
{
    llhttp_errno_t e = llhttp_finish(http_parser(h));
    if ((e == HPE_OK || e == HPE_PAUSED) && h->complete)
        return HOTA_OK;
    return HOTA_E_TRUNCATED;
}
