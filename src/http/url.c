/* URL parsing and redirect resolution into fixed-size buffers. */
#include "hota/url.h"

#include "hota/error.h"

#include <stdio.h>
#include <string.h>

static int is_alpha(int c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static int is_digit(int c)
{
    return c >= '0' && c <= '9';
}

static int is_hex(int c)
{
    return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

static int hex_val(int c)
{
    if (is_digit(c))
        return c - '0';
    return (c | 0x20) - 'a' + 10;
}

static int lower(int c)
{
    return (c >= 'A' && c <= 'Z') ? c + 32 : c;
}

/* Every byte printable ASCII without space (so the path fits a request line as is). */
static int printable(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)s[i] <= 0x20 || (unsigned char)s[i] >= 0x7f)
            return 0;
    return 1;
}

/* Length of a scheme at s followed by ':', 0 when s does not start with one. */
static size_t scheme_len(const char *s)
{
    size_t i = 0;
    if (!is_alpha(s[0]))
        return 0;
    while (is_alpha(s[i]) || is_digit(s[i]) || s[i] == '+' || s[i] == '-' || s[i] == '.')
        i++;
    return s[i] == ':' ? i : 0;
}

static int ieq(const char *a, size_t n, const char *lit)
{
    if (strlen(lit) != n)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (lower(a[i]) != lit[i])
            return 0;
    return 1;
}

/* Percent-decode n bytes of src into dst (cap including the NUL). */
static int pct_decode(char *dst, size_t cap, const char *src, size_t n)
{
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        int c = (unsigned char)src[i];
        if (c == '%') {
            if (i + 2 >= n || !is_hex(src[i + 1]) || !is_hex(src[i + 2]))
                return HOTA_E_URL;
            c = hex_val(src[i + 1]) * 16 + hex_val(src[i + 2]);
            i += 2;
        }
        if (o + 1 >= cap || c == 0)
            return HOTA_E_URL;
        dst[o++] = (char)c;
    }
    dst[o] = 0;
    return HOTA_OK;
}

static int parse_userinfo(hota_url_t *u, const char *s, size_t n)
{
    const char *colon = memchr(s, ':', n);
    size_t ulen = colon ? (size_t)(colon - s) : n;
    int rc = pct_decode(u->user, sizeof u->user, s, ulen);
    if (rc == HOTA_OK && colon)
        rc = pct_decode(u->pass, sizeof u->pass, colon + 1, n - ulen - 1);
    u->has_userinfo = rc == HOTA_OK;
    return rc;
}

static int parse_port(hota_url_t *u, const char *s, size_t n)
{
    unsigned long v = 0;
    if (n == 0)
        return HOTA_OK; /* "host:" means the default port */
    if (n > 5)
        return HOTA_E_URL;
    for (size_t i = 0; i < n; i++) {
        if (!is_digit(s[i]))
            return HOTA_E_URL;
        v = v * 10 + (unsigned long)(s[i] - '0');
    }
    if (v == 0 || v > 65535)
        return HOTA_E_URL;
    u->port = (uint16_t)v;
    u->port_explicit = 1;
    return HOTA_OK;
}

static int copy_host(hota_url_t *u, const char *s, size_t n, int v6)
{
    size_t colons = 0;
    if (n == 0 || n >= sizeof u->host)
        return HOTA_E_URL;
    for (size_t i = 0; i < n; i++) {
        int c = (unsigned char)s[i];
        colons += c == ':';
        if (v6 ? !(is_hex(c) || c == ':' || c == '.')
               : !(is_alpha(c) || is_digit(c) || c == '-' || c == '.' || c == '_'))
            return HOTA_E_URL;
    }
    if (v6 && colons < 2)
        return HOTA_E_URL;
    memcpy(u->host, s, n);
    u->host[n] = 0;
    return HOTA_OK;
}

/* host[:port] or [v6][:port] */
static int parse_hostport(hota_url_t *u, const char *s, size_t n)
{
    const char *end = s + n;
    const char *colon;
    int rc;
    if (n > 0 && s[0] == '[') {
        const char *rb = memchr(s, ']', n);
        if (!rb)
            return HOTA_E_URL;
        rc = copy_host(u, s + 1, (size_t)(rb - s - 1), 1);
        if (rc == HOTA_OK && rb + 1 < end && rb[1] != ':')
            rc = HOTA_E_URL;
        if (rc == HOTA_OK && rb + 1 < end)
            rc = parse_port(u, rb + 2, (size_t)(end - rb - 2));
        return rc;
    }
    colon = memchr(s, ':', n);
    rc = copy_host(u, s, colon ? (size_t)(colon - s) : n, 0);
    if (rc == HOTA_OK && colon)
        rc = parse_port(u, colon + 1, (size_t)(end - colon - 1));
    return rc;
}

static int parse_authority(hota_url_t *u, const char *s, size_t n)
{
    const char *at = NULL;
    for (size_t i = 0; i < n; i++)
        if (s[i] == '@')
            at = s + i;
    if (at) {
        int rc = parse_userinfo(u, s, (size_t)(at - s));
        if (rc != HOTA_OK)
            return rc;
        n -= (size_t)(at + 1 - s);
        s = at + 1;
    }
    return parse_hostport(u, s, n);
}

/* Path and query (fragment dropped) into u->path; "" becomes "/". */
static int set_path(hota_url_t *u, const char *s)
{
    size_t n = strcspn(s, "#");
    int slash = s[0] != '/';
    if (n + (size_t)slash >= sizeof u->path)
        return HOTA_E_URL;
    u->path[0] = '/';
    memcpy(u->path + slash, s, n);
    u->path[n + (size_t)slash] = 0;
    return HOTA_OK;
}

int hota_url_parse(hota_url_t *u, const char *text)
{
    size_t slen, alen, tlen;
    const char *auth;
    int rc;
    if (!u || !text)
        return HOTA_E_INVALID_ARG;
    memset(u, 0, sizeof *u);
    tlen = strlen(text);
    if (tlen == 0 || tlen >= HOTA_URL_MAX || !printable(text, tlen))
        return HOTA_E_URL;
    slen = scheme_len(text);
    if (slen == 0)
        return HOTA_E_URL;
    if (ieq(text, slen, "https"))
        u->tls = 1;
    else if (!ieq(text, slen, "http"))
        return HOTA_E_URL_SCHEME;
    if (strncmp(text + slen, "://", 3) != 0)
        return HOTA_E_URL;
    auth = text + slen + 3;
    alen = strcspn(auth, "/?#");
    u->port = u->tls ? 443 : 80;
    rc = parse_authority(u, auth, alen);
    if (rc == HOTA_OK)
        rc = set_path(u, auth + alen);
    return rc;
}

/* Remove "." and ".." segments from an absolute path (no query) in place. */
static void remove_dots(char *p)
{
    char out[HOTA_URL_PATH_MAX];
    size_t o = 0;
    const char *s = p;
    while (*s == '/') {
        const char *seg = s + 1;
        size_t len = strcspn(seg, "/");
        int last = seg[len] == 0;
        if (len == 1 && seg[0] == '.') {
            if (last)
                out[o++] = '/';
        } else if (len == 2 && seg[0] == '.' && seg[1] == '.') {
            while (o > 0 && out[--o] != '/') {
            }
            if (last)
                out[o++] = '/';
        } else {
            out[o++] = '/';
            memcpy(out + o, seg, len);
            o += len;
        }
        s = seg + len;
    }
    if (o == 0)
        out[o++] = '/';
    memcpy(p, out, o);
    p[o] = 0;
}

/* Replace out->path by the merge of base path and a relative reference. */
static int merge_path(hota_url_t *out, const hota_url_t *base, const char *ref)
{
    char tmp[HOTA_URL_PATH_MAX];
    size_t bpath = strcspn(base->path, "?");
    size_t rlen = strcspn(ref, "#");
    size_t keep, qpos;
    if (rlen == 0)
        keep = strlen(base->path); /* "" or "#frag": the same resource */
    else if (ref[0] == '?')
        keep = bpath;
    else if (ref[0] == '/')
        keep = 0;
    else
        for (keep = bpath; keep > 0 && base->path[keep - 1] != '/'; keep--) {
        }
    if (keep + rlen >= sizeof tmp)
        return HOTA_E_URL;
    memcpy(tmp, base->path, keep);
    memcpy(tmp + keep, ref, rlen);
    tmp[keep + rlen] = 0;
    qpos = strcspn(tmp, "?");
    memcpy(out->path, tmp, qpos);
    out->path[qpos] = 0;
    remove_dots(out->path);
    if (strlen(out->path) + strlen(tmp + qpos) >= sizeof out->path)
        return HOTA_E_URL;
    strcat(out->path, tmp + qpos);
    return HOTA_OK;
}

int hota_url_resolve(hota_url_t *out, const hota_url_t *base, const char *ref)
{
    char text[HOTA_URL_MAX];
    hota_url_t tmp;
    size_t rlen;
    int rc;
    if (!out || !base || !ref)
        return HOTA_E_INVALID_ARG;
    rlen = strlen(ref);
    if (rlen >= HOTA_URL_MAX || (rlen > 0 && !printable(ref, rlen)))
        return HOTA_E_URL;
    if (scheme_len(ref) > 0)
        return hota_url_parse(out, ref);
    if (ref[0] == '/' && ref[1] == '/') {
        int n = snprintf(text, sizeof text, "%s:%s", base->tls ? "https" : "http", ref);
        if (n < 0 || (size_t)n >= sizeof text)
            return HOTA_E_URL;
        return hota_url_parse(out, text);
    }
    tmp = *base;
    rc = merge_path(&tmp, base, ref);
    if (rc == HOTA_OK)
        *out = tmp;
    return rc;
}

int hota_url_host_header(const hota_url_t *u, char *buf, size_t cap)
{
    int v6 = strchr(u->host, ':') != NULL;
    int dflt = u->port == (u->tls ? 443 : 80);
    int n;
    if (dflt)
        n = snprintf(buf, cap, v6 ? "[%s]" : "%s", u->host);
    else
        n = snprintf(buf, cap, v6 ? "[%s]:%u" : "%s:%u", u->host, (unsigned)u->port);
    if (n < 0 || (size_t)n >= cap) {
        if (cap > 0)
            buf[0] = 0;
        return HOTA_E_BUFFER_TOO_SMALL;
    }
    return HOTA_OK;
}

int hota_url_format(const hota_url_t *u, char *buf, size_t cap)
{
    char host[HOTA_URL_HOST_MAX + 8];
    int rc = hota_url_host_header(u, host, sizeof host);
    int n;
    if (rc != HOTA_OK)
        return rc;
    n = snprintf(buf, cap, "%s://%s%s", u->tls ? "https" : "http", host, u->path);
    if (n < 0 || (size_t)n >= cap) {
        if (cap > 0)
            buf[0] = 0;
        return HOTA_E_BUFFER_TOO_SMALL;
    }
    return HOTA_OK;
}

static int same_host(const char *x, const char *y)
{
    while (*x && lower(*x) == lower(*y)) {
        x++;
        y++;
    }
    return *x == *y;
}

int hota_url_same_origin(const hota_url_t *a, const hota_url_t *b)
{
    return a->tls == b->tls && a->port == b->port && same_host(a->host, b->host);
}

void hota_url_origin_of(hota_url_origin_t *o, const hota_url_t *u)
{
    memset(o, 0, sizeof *o);
    o->tls = u->tls;
    o->port = u->port;
    memcpy(o->host, u->host, sizeof o->host);
}

int hota_url_is_origin(const hota_url_origin_t *o, const hota_url_t *u)
{
    return o->tls == u->tls && o->port == u->port && same_host(o->host, u->host);
}
