/* The TLS filter's parts that do not depend on the TLS library (both backends use them):
 * bounded operations, sticky end results, graceful shutdown, facts for hota_cf_query, and the
 * rules of session resumption (which session may be kept, to which connection it may go). */
#include "tls_int.h"

#include "hota/error.h"
#include "hota/sha256.h"
#include "core/bytes.h"
#include "hota/port.h"

#include <string.h>


uint32_t tls_left_ms(uint64_t deadline)
{
    uint64_t now = hota_now_ms();
    return deadline > now ? (uint32_t)(deadline - now) : 0;
}

/* Start one bounded TLS operation. */
void tls_begin(hota_tls_t *t, uint64_t deadline)
{
    t->deadline = deadline;
    t->lower_rc = HOTA_OK;
}

void tls_copy_str(char *dst, size_t cap, const char *src)
{
    size_t n = src ? strlen(src) : 0;
    if (n >= cap)
        n = cap - 1;
    memcpy(dst, src ? src : "", n);
    dst[n] = '\0';
}

/* The sticky result once the peer has ended, HOTA_OK while reading may go on. */
int tls_end_result(const hota_tls_t *t)
{
    if (t->close_notify_received)
        return HOTA_E_CLOSE_NOTIFY;
    if (t->end == HOTA_END_FIN)
        return HOTA_E_PEER_FIN;
    if (t->end == HOTA_END_RESET)
        return HOTA_E_CONN_RESET;
    if (!t->up)
        return t->failed ? HOTA_E_TLS : HOTA_E_CLOSED;
    return t->failed ? HOTA_E_TLS : HOTA_OK;
}

static int tls_recv(hota_cf_t *cf, uint8_t *buf, size_t cap, size_t *nread, uint32_t timeout_ms)
{
    hota_tls_t *t = (hota_tls_t *)cf;
    int rc = tls_end_result(t);
    *nread = 0;
    if (rc != HOTA_OK)
        return rc;
    tls_begin(t, hota_now_ms() + timeout_ms);
    rc = tls_be_read_once(t, buf, cap, nread);
    if (rc == HOTA_OK) {
        t->bytes_in += *nread;
        if (t->end == HOTA_END_TIMEOUT)
            t->end = HOTA_END_NONE;
    }
    return rc;
}

/* After our close_notify and FIN: read (and drop) what the peer still sends until its
 * close_notify or FIN, bounded by deadline, so that closing the socket with unread data does
 * not turn into a reset that could destroy our close_notify before the peer reads it. */
static void drain(hota_tls_t *t, uint64_t deadline)
{
    uint8_t scratch[TLS_DRAIN_CHUNK];
    hota_cf_t *next = t->cf.next;
    size_t n = 0;
    if (!t->up || t->failed || t->end == HOTA_END_FIN || t->end == HOTA_END_RESET)
        return;
    while (!t->close_notify_received && tls_left_ms(deadline) > 0) {
        tls_begin(t, deadline);
        if (tls_be_read_once(t, scratch, sizeof scratch, &n) != HOTA_OK)
            break;
    }
    /* After close_notify only a FIN (or stray bytes) can follow: take what is there now. */
    if (t->close_notify_received && t->end == HOTA_END_CLOSE_NOTIFY)
        while (tls_left_ms(deadline) > 0 &&
               next->type->recv(next, scratch, sizeof scratch, &n, 0) == HOTA_OK) {
        }
    if (t->end == HOTA_END_TIMEOUT)
        t->end = HOTA_END_NONE;
}

static int tls_shutdown(hota_cf_t *cf, uint32_t timeout_ms)
{
    hota_tls_t *t = (hota_tls_t *)cf;
    hota_cf_t *next = t->cf.next;
    uint64_t deadline = hota_now_ms() + timeout_ms;
    int rc, r = HOTA_OK;
    if (!t->ready && !t->up)
        return HOTA_E_CLOSED;
    rc = tls_be_send_close_notify(t, deadline);
    if (next && next->type->shutdown)
        r = next->type->shutdown(next, tls_left_ms(deadline));
    drain(t, deadline);
    return rc != HOTA_OK ? rc : r;
}

static void tls_close(hota_cf_t *cf)
{
    hota_tls_free((hota_tls_t *)cf);
}

static void tls_query(const hota_cf_t *cf, hota_cf_info_t *info)
{
    const hota_tls_t *t = (const hota_tls_t *)cf;
    if (info->end == HOTA_END_NONE)
        info->end = t->end;
    info->close_notify_sent |= t->close_notify_sent;
    info->close_notify_received |= t->close_notify_received;
    info->handshakes += t->handshakes;
    info->handshakes_resumed += t->handshakes_resumed;
    info->resumed = t->resumed;
    info->bytes_in = t->bytes_in;
    info->bytes_out = t->bytes_out;
    tls_copy_str(info->tls_version, sizeof info->tls_version, t->version);
    tls_copy_str(info->cipher, sizeof info->cipher, t->cipher);
}

int tls_mfl_index(unsigned len)
{
    static const unsigned sizes[] = {0, 512, 1024, 2048, 4096};
    for (unsigned i = 0; i < sizeof sizes / sizeof sizes[0]; i++)
        if (sizes[i] == len)
            return (int)i;
    return -1;
}

int tls_check_setup_args(const hota_tls_t *t, const hota_tls_cfg_t *cfg, const char *host,
                         const hota_cf_t *next)
{
    const char *name;
    if (!t || !cfg || !host || !next || !next->type)
        return HOTA_E_INVALID_ARG;
    name = cfg->server_name ? cfg->server_name : host;
    if (!*name || strlen(name) > HOTA_TLS_NAME_MAX || tls_mfl_index(cfg->max_frag_len) < 0)
        return HOTA_E_INVALID_ARG;
    if (!cfg->cert_file != !cfg->key_file)
        return HOTA_E_INVALID_ARG;
    return t->ready || !t->live ? HOTA_E_BAD_STATE : HOTA_OK;
}

/* ----- session resumption ------------------------------------------------------------------ */

/* One field of the origin digest: present or not, length, bytes (so NULL, "" and a split
 * between two fields all give different digests). */
static void mix_str(hota_sha256_t *c, const char *str)
{
    uint8_t head[5] = {str != NULL, 0, 0, 0, 0};
    size_t n = str ? strlen(str) : 0;
    hota_put_le32(head + 1, (uint32_t)n);
    hota_sha256_update(c, head, sizeof head);
    hota_sha256_update(c, str, n);
}

static void mix_uint(hota_sha256_t *c, unsigned v)
{
    uint8_t b[4];
    hota_put_le32(b, (uint32_t)v);
    hota_sha256_update(c, b, sizeof b);
}

/* Everything that makes a connection's peer and trust what they are: a session is offered only
 * to a connection with the same digest (and port). The files are named by path: their content
 * is read again by every setup, not compared. */
void tls_note_origin(hota_tls_t *t, const hota_tls_cfg_t *cfg, const char *host)
{
    hota_sha256_t c;
    t->verify = !cfg->insecure;
    hota_sha256_init(&c);
    mix_str(&c, "hota-tls-origin-2");
    mix_str(&c, host);
    mix_str(&c, cfg->server_name);
    mix_str(&c, cfg->ca_file);
    mix_str(&c, cfg->ca_dir);
    mix_str(&c, cfg->cert_file);
    mix_str(&c, cfg->key_file);
    mix_uint(&c, cfg->insecure ? 1u : 0u);
    mix_uint(&c, cfg->max_frag_len);
    mix_uint(&c, cfg->tls12_only ? 1u : 0u);
    hota_sha256_finish(&c, t->origin);
    hota_sha256_free(&c);
    t->origin_ok = 1;
}

void hota_tls_session_init(hota_tls_session_t *s)
{
    memset(s, 0, sizeof *s); /* also what mbedtls_ssl_session_init does */
}

void hota_tls_session_free(hota_tls_session_t *s)
{
    if (!s)
        return;
    if (s->valid)
        tls_be_session_free(s);
    memset(s, 0, sizeof *s);
}

int hota_tls_session_save(hota_tls_session_t *s, const hota_tls_t *t, uint16_t port)
{
    int rc = HOTA_E_INVALID_ARG;
    if (!s || !t)
        goto out;
    hota_tls_session_free(s);
    rc = HOTA_E_BAD_STATE;
    if (!t->live || !t->up || t->failed || !t->origin_ok)
        goto out;
    rc = tls_be_session_save(s, t);
    if (rc != HOTA_OK)
        goto out;
    s->valid = 1;
    s->verified = t->verify;
    s->port = port;
    memcpy(s->origin, t->origin, sizeof s->origin);
out:
    return rc;
}

int hota_tls_session_offer(hota_tls_t *t, const hota_tls_session_t *s, uint16_t port)
{
    int rc = HOTA_E_INVALID_ARG;
    if (!s || !t)
        goto out;
    rc = HOTA_E_BAD_STATE;
    if (!t->ready || t->up || t->failed || t->handshakes)
        goto out;
    rc = HOTA_E_NOT_FOUND;
    if (!s->valid || !t->origin_ok || s->port != port ||
        memcmp(s->origin, t->origin, sizeof s->origin) != 0)
        goto out;
    if (t->verify && !s->verified)
        goto out; /* implied by the digest (insecure is part of it); checked on its own all the same */
    rc = tls_be_session_offer(t, s);
    if (rc == HOTA_OK)
        t->offered = 1;
out:
    return rc;
}

const hota_cf_type_t tls_filter_type = {
    .name = "tls",
    .connect = tls_be_connect,
    .send = tls_be_send,
    .recv = tls_recv,
    .shutdown = tls_shutdown,
    .close = tls_close,
    .query = tls_query,
};
