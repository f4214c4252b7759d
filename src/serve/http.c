/* HTTP/1.x for hota serve: read a request head, map its path under the root (no traversal),
 * and answer GET/HEAD with the configured framing, Range support, ETag and Last-Modified. */
#include "serve_int.h"

#include "hota/error.h"
#include "hota/file.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

typedef struct span {
    const char *p;
    size_t n;
} span_t;

typedef struct req {
    span_t method, target, version, range;
} req_t;

typedef struct resp {
    int status;
    int head_only;
    int has_file;
    int fd;                 /* the served file, -1 when none */
    uint64_t fsize;         /* its size at open time */
    int64_t mtime;          /* its modification time, seconds since the epoch */
    const char *msg;        /* body when there is no file */
    uint64_t off, len;      /* body bytes [off, off+len) of the file or msg */
    uint64_t total;         /* whole file size (Content-Range) */
} resp_t;

/* Chunk sizes cycled through by the chunked framing. */
static const size_t chunk_sizes[] = {1, 13, 4096, 100, 16384, 777, 2, 8192};

static const struct {
    int status;
    const char *reason;
} reasons[] = {
    {200, "OK"},
    {206, "Partial Content"},
    {400, "Bad Request"},
    {403, "Forbidden"},
    {404, "Not Found"},
    {405, "Method Not Allowed"},
    {414, "URI Too Long"},
    {416, "Range Not Satisfiable"},
    {431, "Request Header Fields Too Large"},
    {500, "Internal Server Error"},
};

static const char *reason_of(int status)
{
    for (size_t i = 0; i < sizeof reasons / sizeof reasons[0]; i++)
        if (reasons[i].status == status)
            return reasons[i].reason;
    return "Unknown";
}

static const char *find_head_end(const uint8_t *buf, size_t len)
{
    for (size_t i = 3; i < len; i++)
        if (buf[i - 3] == '\r' && buf[i - 2] == '\n' && buf[i - 1] == '\r' && buf[i] == '\n')
            return (const char *)buf + i + 1;
    return NULL;
}

int serve_read_request(hota_server_t *s, uint32_t timeout_ms, size_t *head_len)
{
    for (;;) {
        const char *end = find_head_end(s->req, s->req_len);
        size_t n = 0;
        int rc;
        if (end) {
            *head_len = (size_t)(end - (const char *)s->req);
            return HOTA_OK;
        }
        if (s->req_len >= HOTA_SERVE_REQ_CAP) {
            *head_len = 0;
            return HOTA_OK;
        }
        rc = serve_tls_read(s, s->req + s->req_len, HOTA_SERVE_REQ_CAP - s->req_len, &n,
                            timeout_ms);
        if (rc != HOTA_OK)
            return rc;
        s->req_len += n;
    }
}

static int lower(int c)
{
    return c >= 'A' && c <= 'Z' ? c + 32 : c;
}

static int span_ieq(span_t a, const char *b)
{
    size_t n = strlen(b);
    if (a.n != n)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (lower((unsigned char)a.p[i]) != lower((unsigned char)b[i]))
            return 0;
    return 1;
}

static span_t trim(span_t v)
{
    while (v.n && (v.p[0] == ' ' || v.p[0] == '\t'))
        v.p++, v.n--;
    while (v.n && (v.p[v.n - 1] == ' ' || v.p[v.n - 1] == '\t'))
        v.n--;
    return v;
}

/* Cut the next token ending at `sep` off *rest. */
static span_t take(span_t *rest, char sep)
{
    span_t t = {rest->p, 0};
    while (t.n < rest->n && rest->p[t.n] != sep)
        t.n++;
    rest->p += t.n < rest->n ? t.n + 1 : t.n;
    rest->n -= t.n < rest->n ? t.n + 1 : t.n;
    return t;
}

/* Parse the head [p, p+n) (ends with CRLF CRLF). 0 or 400. */
static int parse_request(const char *p, size_t n, req_t *r)
{
    span_t rest = {p, n}, line = take(&rest, '\n');
    memset(r, 0, sizeof *r);
    if (!line.n || line.p[line.n - 1] != '\r')
        return 400;
    line.n--;
    r->method = take(&line, ' ');
    r->target = take(&line, ' ');
    r->version = line;
    if (!r->method.n || !r->target.n || r->version.n != 8 || memcmp(r->version.p, "HTTP/1.", 7))
        return 400;
    while (rest.n > 2) {
        span_t h = take(&rest, '\n'), name;
        if (h.n && h.p[h.n - 1] == '\r')
            h.n--;
        name = take(&h, ':');
        if (span_ieq(name, "range"))
            r->range = trim(h);
    }
    return 0;
}

static int hexval(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    c = lower(c);
    return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* Has the path a ".." segment (or a backslash, which some systems treat as a separator)? */
static int is_traversal(const char *path)
{
    const char *seg = path;
    for (const char *q = path;; q++) {
        if (*q == '\\')
            return 1;
        if (*q == '/' || *q == '\0') {
            if (q - seg == 2 && seg[0] == '.' && seg[1] == '.')
                return 1;
            if (!*q)
                return 0;
            seg = q + 1;
        }
    }
}

/* Decode the target's path under the root into s->path. 0, 400, 403 or 414. */
static int resolve(hota_server_t *s, span_t target)
{
    size_t len = strlen(s->cfg.root), start;
    if (target.p[0] != '/')
        return 400;
    if (len + 1 >= sizeof s->path)
        return 414;
    memcpy(s->path, s->cfg.root, len);
    start = len;
    for (size_t i = 0; i < target.n && target.p[i] != '?' && target.p[i] != '#'; i++) {
        int c = (unsigned char)target.p[i];
        if (c == '%') {
            int hi = i + 2 < target.n ? hexval(target.p[i + 1]) : -1;
            int lo = hi >= 0 ? hexval(target.p[i + 2]) : -1;
            if (lo < 0 || (hi == 0 && lo == 0))
                return 400;
            c = hi * 16 + lo;
            i += 2;
        }
        if (len + 1 >= sizeof s->path)
            return 414;
        s->path[len++] = (char)c;
    }
    s->path[len] = '\0';
    return is_traversal(s->path + start) ? 403 : 0;
}

static int parse_u64(span_t *v, uint64_t *out)
{
    uint64_t x = 0;
    size_t i = 0;
    for (; i < v->n && v->p[i] >= '0' && v->p[i] <= '9'; i++) {
        if (x > (UINT64_MAX - 9) / 10)
            return -1;
        x = x * 10 + (uint64_t)(v->p[i] - '0');
    }
    if (!i)
        return -1;
    v->p += i;
    v->n -= i;
    *out = x;
    return 0;
}

/* "bytes=N-M", "bytes=N-", "bytes=-S". 0: ignore the header; 206; 416. */
static int parse_range(span_t v, uint64_t size, uint64_t *off, uint64_t *len)
{
    uint64_t a = 0, b = UINT64_MAX;
    span_t unit = take(&v, '=');
    if (!span_ieq(trim(unit), "bytes") || memchr(v.p, ',', v.n))
        return 0;
    v = trim(v);
    if (v.n && v.p[0] == '-') {
        v.p++, v.n--;
        if (parse_u64(&v, &b) || v.n)
            return 0;
        if (!b || !size)
            return 416;
        *off = size - (b < size ? b : size);
        *len = size - *off;
        return 206;
    }
    if (parse_u64(&v, &a) || !v.n || v.p[0] != '-')
        return 0;
    v.p++, v.n--;
    if ((v.n && parse_u64(&v, &b)) || v.n || b < a)
        return 0;
    if (a >= size)
        return 416;
    *off = a;
    *len = (b >= size ? size - 1 : b) - a + 1;
    return 206;
}

__attribute__((format(printf, 3, 4))) static void head_add(char *buf, size_t *len,
                                                           const char *fmt, ...)
{
    va_list ap;
    int n;
    if (*len >= HOTA_SERVE_HEAD_CAP)
        return;
    va_start(ap, fmt);
    n = vsnprintf(buf + *len, HOTA_SERVE_HEAD_CAP - *len, fmt, ap);
    va_end(ap);
    *len += n > 0 ? (size_t)n : 0;
}

static void head_framing(hota_server_t *s, const resp_t *r, size_t *hl)
{
    if (s->cfg.framing == HOTA_SERVE_CONTENT_LENGTH)
        head_add(s->head, hl, "Content-Length: %llu\r\n", (unsigned long long)r->len);
    else if (s->cfg.framing == HOTA_SERVE_CHUNKED)
        head_add(s->head, hl, "Transfer-Encoding: chunked\r\n");
    head_add(s->head, hl, "Connection: %s\r\n\r\n",
             s->cfg.ending == HOTA_SERVE_END_KEEP_ALIVE ? "keep-alive" : "close");
}

/* Build the response head into s->head; returns its length (0 if it does not fit). */
static size_t build_head(hota_server_t *s, const resp_t *r)
{
    size_t hl = 0;
    char date[32];
    head_add(s->head, &hl, "HTTP/1.%c %d %s\r\nServer: hota-serve\r\n",
             s->cfg.framing == HOTA_SERVE_CLOSE ? '0' : '1', r->status, reason_of(r->status));
    if (r->has_file) {
        serve_http_date(r->mtime, date);
        head_add(s->head, &hl,
                 "Content-Type: application/octet-stream\r\nETag: \"%llx-%llx\"\r\n"
                 "Last-Modified: %s\r\n",
                 (unsigned long long)r->fsize, (unsigned long long)r->mtime, date);
    } else {
        head_add(s->head, &hl, "Content-Type: text/plain\r\n");
    }
    if (!s->cfg.no_range)
        head_add(s->head, &hl, "Accept-Ranges: bytes\r\n");
    if (r->status == 206)
        head_add(s->head, &hl, "Content-Range: bytes %llu-%llu/%llu\r\n",
                 (unsigned long long)r->off, (unsigned long long)(r->off + r->len - 1),
                 (unsigned long long)r->total);
    if (r->status == 416)
        head_add(s->head, &hl, "Content-Range: bytes */%llu\r\n", (unsigned long long)r->total);
    if (r->status == 405)
        head_add(s->head, &hl, "Allow: GET, HEAD\r\n");
    head_framing(s, r, &hl);
    return hl < HOTA_SERVE_HEAD_CAP ? hl : 0;
}

static int body_fill(const resp_t *r, uint64_t pos, uint8_t *buf, size_t n)
{
    size_t got = 0;
    if (!r->has_file) {
        memcpy(buf, r->msg + r->off + pos, n);
        return HOTA_OK;
    }
    while (got < n) {
        size_t k = 0;
        int rc = hota_pfile_pread(r->fd, r->off + pos + got, buf + got, n - got, &k);
        if (rc != HOTA_OK)
            return rc;
        if (!k)
            return HOTA_E_IO; /* the file shrank while being served */
        got += k;
    }
    return HOTA_OK;
}

/* How many of `want` more body bytes may go out after `sent` under cut_at. */
static size_t allowed(hota_server_t *s, uint64_t sent, size_t want)
{
    uint64_t cut = s->cfg.cut_at;
    if (cut == HOTA_SERVE_NO_CUT)
        return want;
    if (sent >= cut)
        return 0;
    return cut - sent < want ? (size_t)(cut - sent) : want;
}

static int send_plain(hota_server_t *s, const resp_t *r)
{
    uint64_t pos = 0;
    while (pos < r->len) {
        size_t want = r->len - pos < sizeof s->io ? (size_t)(r->len - pos) : sizeof s->io;
        size_t n = allowed(s, pos, want);
        int rc;
        if (!n) {
            s->rep.cut = 1;
            return HOTA_OK;
        }
        rc = body_fill(r, pos, s->io, n);
        if (rc == HOTA_OK)
            rc = serve_tls_write_all(s, s->io, n);
        if (rc != HOTA_OK)
            return rc;
        pos += n;
        s->rep.body_bytes += n;
    }
    return HOTA_OK;
}

/* One chunk of announced size n at body position pos (cut short when cut_at says so). */
static int send_chunk(hota_server_t *s, const resp_t *r, uint64_t pos, size_t n)
{
    size_t k = allowed(s, pos, n);
    int hl = snprintf((char *)s->io, 24, "%zx\r\n", n);
    int rc = body_fill(r, pos, s->io + hl, k);
    size_t total = (size_t)hl + k;
    if (rc != HOTA_OK)
        return rc;
    if (k == n) {
        memcpy(s->io + total, "\r\n", 2);
        total += 2;
    }
    rc = serve_tls_write_all(s, s->io, total);
    s->rep.body_bytes += k;
    if (k < n)
        s->rep.cut = 1;
    return rc;
}

static int send_chunked(hota_server_t *s, const resp_t *r)
{
    uint64_t pos = 0;
    for (size_t i = 0; pos < r->len; i = (i + 1) % (sizeof chunk_sizes / sizeof chunk_sizes[0])) {
        size_t n = r->len - pos < chunk_sizes[i] ? (size_t)(r->len - pos) : chunk_sizes[i];
        int rc = send_chunk(s, r, pos, n);
        if (rc != HOTA_OK || s->rep.cut)
            return rc;
        pos += n;
    }
    return serve_tls_write_all(s, (const uint8_t *)"0\r\n\r\n", 5);
}

static int send_response(hota_server_t *s, const resp_t *r)
{
    size_t hl = build_head(s, r);
    int rc = hl ? serve_tls_write_all(s, (const uint8_t *)s->head, hl) : HOTA_E_INTERNAL;
    if (s->rep.requests < sizeof s->rep.statuses / sizeof s->rep.statuses[0])
        s->rep.statuses[s->rep.requests] = (uint16_t)r->status;
    s->rep.requests++;
    if (rc != HOTA_OK || r->head_only)
        return rc;
    return s->cfg.framing == HOTA_SERVE_CHUNKED ? send_chunked(s, r) : send_plain(s, r);
}

/* Fill r for a file request: 200, 206 or 416 (r->file open), or an error status. */
static void file_response(hota_server_t *s, const req_t *q, resp_t *r)
{
    int st = resolve(s, q->target);
    if (st) {
        r->status = st;
        return;
    }
    if (hota_pfile_open(&r->fd, s->path, &r->fsize, &r->mtime) != HOTA_OK) {
        r->status = 404;
        return;
    }
    r->has_file = 1;
    r->total = r->fsize;
    r->len = r->fsize;
    r->status = 200;
    if (!s->cfg.no_range && q->range.n)
        r->status = parse_range(q->range, r->total, &r->off, &r->len);
    if (!r->status) {
        r->status = 200;
        r->len = r->total;
    }
}

int serve_respond(hota_server_t *s, size_t head_len)
{
    char msg[64];
    req_t q;
    resp_t r;
    int rc;
    memset(&r, 0, sizeof r);
    r.fd = -1;
    r.status = head_len ? parse_request((const char *)s->req, head_len, &q) : 431;
    if (!r.status && !span_ieq(q.method, "GET") && !span_ieq(q.method, "HEAD"))
        r.status = 405;
    if (!r.status) {
        r.head_only = span_ieq(q.method, "HEAD");
        file_response(s, &q, &r);
    }
    if (r.status >= 400) {
        hota_pfile_close(&r.fd);
        r.has_file = 0;
        snprintf(msg, sizeof msg, "%d %s\n", r.status, reason_of(r.status));
        r.msg = msg;
        r.off = 0;
        r.len = strlen(msg);
    }
    rc = send_response(s, &r);
    hota_pfile_close(&r.fd);
    if (!head_len)
        head_len = s->req_len;
    memmove(s->req, s->req + head_len, s->req_len - head_len);
    s->req_len -= head_len;
    return rc;
}
