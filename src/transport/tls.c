/* The TLS filter: mbedTLS 2.28 over the filter below, with bounded waits and exact end results. */
#include "tls_int.h"

#include "hota/error.h"
#include "hota/net.h"
#include "hota/port.h"

#include "core/mbedtls_err.h"

#include <errno.h>
#include <limits.h>
#include <string.h>

#include <mbedtls/asn1.h>
#include <mbedtls/oid.h>
#include <mbedtls/pem.h>
#include <mbedtls/net_sockets.h>
#include <mbedtls/ssl_internal.h> /* mbedtls_ssl_handshake_params: was the session resumed */

/* Tag of an iPAddress GeneralName: [7] IMPLICIT OCTET STRING. */
#define SAN_IP_TAG (MBEDTLS_ASN1_CONTEXT_SPECIFIC | 7)

static int clamp_int(size_t n)
{
    return n > INT_MAX ? INT_MAX : (int)n;
}

/* mbedTLS code for a lower-layer failure (the exact hota code stays in t->lower_rc). */
static int lower_to_mbedtls(int rc)
{
    if (rc == HOTA_E_TIMEOUT)
        return MBEDTLS_ERR_SSL_TIMEOUT;
    if (rc == HOTA_E_CONN_RESET)
        return MBEDTLS_ERR_NET_CONN_RESET;
    return rc == HOTA_E_SEND ? MBEDTLS_ERR_NET_SEND_FAILED : MBEDTLS_ERR_NET_RECV_FAILED;
}

static int bio_send(void *ctx, const unsigned char *buf, size_t len)
{
    hota_tls_t *t = ctx;
    hota_cf_t *next = t->cf.next;
    size_t n = 0;
    int rc = next->type->send(next, buf, (size_t)clamp_int(len), &n, tls_left_ms(t->deadline));
    t->lower_rc = rc;
    return rc == HOTA_OK ? (int)n : lower_to_mbedtls(rc);
}

/* Receive with the operation's deadline (mbedTLS's own read timeout, if set, caps it). */
static int bio_recv(void *ctx, unsigned char *buf, size_t len, uint32_t timeout)
{
    hota_tls_t *t = ctx;
    hota_cf_t *next = t->cf.next;
    uint32_t ms = tls_left_ms(t->deadline);
    size_t n = 0;
    int rc;
    if (timeout && timeout < ms)
        ms = timeout;
    rc = next->type->recv(next, buf, (size_t)clamp_int(len), &n, ms);
    t->lower_rc = rc;
    if (rc == HOTA_OK)
        return (int)n;
    return rc == HOTA_E_PEER_FIN ? 0 : lower_to_mbedtls(rc);
}

/* 1 when crt lists ip among its iPAddress subjectAltNames. */
static int san_has_ip(const mbedtls_x509_crt *crt, const uint8_t *ip, size_t len)
{
    const mbedtls_x509_sequence *s;
    if (!(crt->ext_types & MBEDTLS_X509_EXT_SUBJECT_ALT_NAME))
        return 0;
    for (s = &crt->subject_alt_names; s; s = s->next)
        if (s->buf.tag == SAN_IP_TAG && s->buf.len == len && !memcmp(s->buf.p, ip, len))
            return 1;
    return 0;
}

/* mbedTLS checks only DNS names; for a literal address the leaf must carry it as iPAddress. */
static int verify_cb(void *ctx, mbedtls_x509_crt *crt, int depth, uint32_t *flags)
{
    const hota_tls_t *t = ctx;
    if (depth == 0 && t->ip_len && !san_has_ip(crt, t->ip, t->ip_len))
        *flags |= MBEDTLS_X509_BADCERT_CN_MISMATCH;
    return 0;
}

/* Chain problems dominate; then validity period; then the name. */
static int map_verify(uint32_t flags)
{
    const uint32_t period = MBEDTLS_X509_BADCERT_EXPIRED | MBEDTLS_X509_BADCERT_FUTURE;
    const uint32_t name = MBEDTLS_X509_BADCERT_CN_MISMATCH;
    if (!flags || (flags & ~(period | name)))
        return HOTA_E_CERT_VERIFY;
    return (flags & period) ? HOTA_E_CERT_EXPIRED : HOTA_E_CERT_HOSTNAME;
}

/* Description of the fatal alert just received (valid after MBEDTLS_ERR_SSL_FATAL_ALERT_MESSAGE). */
static int alert_desc(const hota_tls_t *t)
{
    if (t->ssl.in_msgtype != MBEDTLS_SSL_MSG_ALERT || !t->ssl.in_msg)
        return -1;
    return t->ssl.in_msg[1];
}

static int map_handshake(const hota_tls_t *t, int r)
{
    int lower = t->lower_rc;
    if (hota_mbedtls_alloc_failed(r))
        return HOTA_E_NO_MEMORY;
    if (r == MBEDTLS_ERR_X509_CERT_VERIFY_FAILED)
        return map_verify(mbedtls_ssl_get_verify_result(&t->ssl));
    if (r == MBEDTLS_ERR_SSL_BAD_HS_PROTOCOL_VERSION)
        return HOTA_E_TLS_VERSION;
    if (r == MBEDTLS_ERR_SSL_FATAL_ALERT_MESSAGE &&
        alert_desc(t) == MBEDTLS_SSL_ALERT_MSG_PROTOCOL_VERSION)
        return HOTA_E_TLS_VERSION;
    /* The server asked for a certificate we could not give, then gave up on us. */
    if (t->ssl.client_auth && !t->has_own_cert &&
        (r == MBEDTLS_ERR_SSL_FATAL_ALERT_MESSAGE || lower == HOTA_E_PEER_FIN ||
         lower == HOTA_E_CONN_RESET))
        return HOTA_E_TLS_CLIENT_CERT;
    if (r == MBEDTLS_ERR_SSL_FATAL_ALERT_MESSAGE)
        return HOTA_E_TLS_ALERT;
    if (lower != HOTA_OK)
        return lower;
    return HOTA_E_TLS_HANDSHAKE;
}

/* mbedtls_ssl_handshake() one step at a time, to learn whether the server took the session we
 * offered: mbedTLS decides it on the ServerHello (the session id echoed) and keeps the answer
 * only until the handshake is over. */
static int handshake(hota_tls_t *t)
{
    int r = 0;
    while (r == 0 && t->ssl.state != MBEDTLS_SSL_HANDSHAKE_OVER) {
        r = mbedtls_ssl_handshake_step(&t->ssl);
        if (t->ssl.handshake && t->ssl.state > MBEDTLS_SSL_SERVER_HELLO)
            t->resumed = t->offered && t->ssl.handshake->resume;
    }
    return r;
}

int tls_be_connect(hota_cf_t *cf, uint32_t timeout_ms)
{
    hota_tls_t *t = (hota_tls_t *)cf;
    int r;
    if (!t->ready || t->up || t->failed)
        return HOTA_E_BAD_STATE;
    tls_begin(t, hota_now_ms() + timeout_ms);
    t->resumed = 0;
    do {
        r = handshake(t);
    } while ((r == MBEDTLS_ERR_SSL_WANT_READ || r == MBEDTLS_ERR_SSL_WANT_WRITE) &&
             tls_left_ms(t->deadline) > 0);
    if (r == MBEDTLS_ERR_SSL_WANT_READ || r == MBEDTLS_ERR_SSL_WANT_WRITE)
        t->lower_rc = HOTA_E_TIMEOUT;
    if (r != 0) {
        t->failed = 1;
        t->resumed = 0;
        return map_handshake(t, r);
    }
    t->up = 1;
    t->handshakes++;
    t->handshakes_resumed += t->resumed ? 1u : 0u;
    tls_copy_str(t->version, sizeof t->version, mbedtls_ssl_get_version(&t->ssl));
    tls_copy_str(t->cipher, sizeof t->cipher, mbedtls_ssl_get_ciphersuite(&t->ssl));
    return HOTA_OK;
}

/* Record a lower-layer end seen through TLS and return its code. */
static int lower_end(hota_tls_t *t)
{
    int rc = t->lower_rc;
    if (rc == HOTA_E_PEER_FIN && t->end == HOTA_END_NONE)
        t->end = HOTA_END_FIN;
    else if (rc == HOTA_E_PEER_FIN && t->end == HOTA_END_TIMEOUT)
        t->end = HOTA_END_FIN;
    else if (rc == HOTA_E_CONN_RESET)
        t->end = HOTA_END_RESET;
    else if (rc == HOTA_E_TIMEOUT && t->end == HOTA_END_NONE)
        t->end = HOTA_END_TIMEOUT;
    else if (rc != HOTA_E_TIMEOUT)
        t->failed = 1;
    return rc;
}

/* One mbedtls_ssl_read with the operation's deadline; 0-byte and WANT results are retried and
 * never taken for an end: the end is known only from close_notify or the lower layer. */
int tls_be_read_once(hota_tls_t *t, uint8_t *buf, size_t cap, size_t *nread)
{
    for (;;) {
        int r = mbedtls_ssl_read(&t->ssl, buf, (size_t)clamp_int(cap));
        if (r > 0) {
            *nread = (size_t)r;
            return HOTA_OK;
        }
        if (r == MBEDTLS_ERR_SSL_PEER_CLOSE_NOTIFY) {
            t->close_notify_received = 1;
            t->end = HOTA_END_CLOSE_NOTIFY;
            return HOTA_E_CLOSE_NOTIFY;
        }
        if (t->lower_rc != HOTA_OK)
            return lower_end(t);
        if (r == 0 || r == MBEDTLS_ERR_SSL_WANT_READ || r == MBEDTLS_ERR_SSL_WANT_WRITE) {
            if (tls_left_ms(t->deadline) == 0)
                return HOTA_E_TIMEOUT;
            continue;
        }
        t->failed = 1;
        return r == MBEDTLS_ERR_SSL_FATAL_ALERT_MESSAGE ? HOTA_E_TLS_ALERT : HOTA_E_TLS;
    }
}

int tls_be_send(hota_cf_t *cf, const uint8_t *buf, size_t len, size_t *nwritten,
                    uint32_t timeout_ms)
{
    hota_tls_t *t = (hota_tls_t *)cf;
    int r;
    *nwritten = 0;
    if (!t->up || t->failed)
        return t->failed ? HOTA_E_TLS : HOTA_E_CLOSED;
    if (t->end == HOTA_END_RESET)
        return HOTA_E_CONN_RESET;
    tls_begin(t, hota_now_ms() + timeout_ms);
    for (;;) {
        r = mbedtls_ssl_write(&t->ssl, buf, (size_t)clamp_int(len));
        if (r > 0) {
            *nwritten = (size_t)r;
            t->bytes_out += (size_t)r;
            return HOTA_OK;
        }
        if (t->lower_rc != HOTA_OK)
            return lower_end(t);
        if ((r != MBEDTLS_ERR_SSL_WANT_READ && r != MBEDTLS_ERR_SSL_WANT_WRITE) ||
            tls_left_ms(t->deadline) == 0)
            break;
    }
    if (r == MBEDTLS_ERR_SSL_WANT_READ || r == MBEDTLS_ERR_SSL_WANT_WRITE)
        return HOTA_E_TIMEOUT;
    t->failed = 1;
    return HOTA_E_TLS;
}

/* Send our close_notify (once), bounded by the deadline. */
int tls_be_send_close_notify(hota_tls_t *t, uint64_t deadline)
{
    int r = 0;
    if (!t->up || t->close_notify_sent)
        return HOTA_OK;
    if (t->failed || t->end == HOTA_END_RESET)
        return t->failed ? HOTA_E_TLS : HOTA_E_CONN_RESET;
    tls_begin(t, deadline);
    if (t->ssl.out_left)
        r = mbedtls_ssl_close_notify(&t->ssl); /* only flushes an earlier partial record */
    if (r == 0)
        r = mbedtls_ssl_close_notify(&t->ssl);
    while (r == MBEDTLS_ERR_SSL_WANT_WRITE && tls_left_ms(deadline) > 0)
        r = mbedtls_ssl_close_notify(&t->ssl);
    if (r == 0) {
        t->close_notify_sent = 1;
        return HOTA_OK;
    }
    if (t->lower_rc != HOTA_OK)
        return lower_end(t);
    return r == MBEDTLS_ERR_SSL_WANT_WRITE ? HOTA_E_TIMEOUT : HOTA_E_TLS;
}

/* A copy that failed half-way (mbedtls_ssl_session_copy) may still point at the source's
 * ticket: forget that pointer before freeing, so the ticket is not freed twice. */
static void drop_half_copy(mbedtls_ssl_session *dst, const mbedtls_ssl_session *src)
{
    if (dst->ticket == src->ticket)
        dst->ticket = NULL;
    mbedtls_ssl_session_free(dst);
}

int tls_be_session_save(hota_tls_session_t *s, const hota_tls_t *t)
{
    const mbedtls_ssl_session *cur = t->ssl.session;
    int r;
    if (!cur)
        return HOTA_E_BAD_STATE;
    if (cur->id_len == 0 && (!cur->ticket || cur->ticket_len == 0))
        return HOTA_E_NOT_FOUND; /* the server offered no way to resume */
    r = mbedtls_ssl_get_session(&t->ssl, &s->sess);
    if (r == 0)
        return HOTA_OK;
    drop_half_copy(&s->sess, cur);
    return hota_mbedtls_alloc_failed(r) ? HOTA_E_NO_MEMORY : HOTA_E_TLS;
}

int tls_be_session_offer(hota_tls_t *t, const hota_tls_session_t *s)
{
    int r = mbedtls_ssl_set_session(&t->ssl, &s->sess);
    if (r == 0)
        return HOTA_OK;
    /* back to the empty session of a full handshake (a half copy could point at our ticket,
     * or announce a ticket length without the ticket) */
    if (t->ssl.session_negotiate)
        drop_half_copy(t->ssl.session_negotiate, &s->sess);
    return hota_mbedtls_alloc_failed(r) ? HOTA_E_NO_MEMORY : HOTA_E_TLS;
}

void tls_be_session_free(hota_tls_session_t *s)
{
    mbedtls_ssl_session_free(&s->sess);
}

void hota_tls_init(hota_tls_t *t)
{
    memset(t, 0, sizeof *t);
    t->cf.type = &tls_filter_type;
    mbedtls_ssl_init(&t->ssl);
    mbedtls_ssl_config_init(&t->conf);
    mbedtls_x509_crt_init(&t->ca);
    mbedtls_x509_crt_init(&t->own_cert);
    mbedtls_pk_init(&t->own_key);
    mbedtls_ctr_drbg_init(&t->drbg);
    t->live = 1;
}

void hota_tls_free(hota_tls_t *t)
{
    if (!t || !t->live)
        return;
    mbedtls_ssl_free(&t->ssl);
    mbedtls_ssl_config_free(&t->conf);
    mbedtls_x509_crt_free(&t->ca);
    mbedtls_x509_crt_free(&t->own_cert);
    mbedtls_pk_free(&t->own_key);
    mbedtls_ctr_drbg_free(&t->drbg);
    t->live = 0;
    t->ready = 0;
    t->up = 0;
}

/* The DRBG's entropy source: the port's (hota_entropy, the OS source). mbedTLS's own entropy
 * collector is not used: with Debian's mbedTLS (HAVEGE enabled) its context alone is 37 960 bytes
 * and its init about a million instructions, per connection, for nothing the OS does not give. */
static int drbg_entropy(void *ctx, unsigned char *buf, size_t len)
{
    (void)ctx;
    return hota_entropy(buf, len) == HOTA_OK ? 0 : MBEDTLS_ERR_CTR_DRBG_ENTROPY_SOURCE_FAILED;
}

/* Seed the DRBG from the port's entropy, with our personalisation string. */
static int seed_rng(hota_tls_t *t)
{
    static const unsigned char pers[] = "hota-tls";
    int r = mbedtls_ctr_drbg_seed(&t->drbg, drbg_entropy, NULL, pers, sizeof pers - 1);
    return r == 0 ? HOTA_OK : HOTA_E_TLS_CONFIG;
}

/* CA bundle file and/or directory; the system store when neither is given. */
static int load_trust(hota_tls_t *t, const hota_tls_cfg_t *cfg)
{
    const char *file = cfg->ca_file;
    int r = 0;
    if (cfg->insecure)
        return HOTA_OK;
    if (!file && !cfg->ca_dir)
        file = HOTA_TLS_SYSTEM_CA_FILE;
    if (file)
        r = mbedtls_x509_crt_parse_file(&t->ca, file);
    if (r >= 0 && cfg->ca_dir)
        r = mbedtls_x509_crt_parse_path(&t->ca, cfg->ca_dir);
    /* mbedTLS reads the file with fopen(), whose own allocation failure it reports as I/O */
    if (r < 0)
        return hota_mbedtls_alloc_failed(r) || (r == MBEDTLS_ERR_PK_FILE_IO_ERROR && errno == ENOMEM)
                   ? HOTA_E_NO_MEMORY
                   : HOTA_E_CA_LOAD;
    if (t->ca.version == 0)
        return HOTA_E_CA_LOAD; /* nothing usable was parsed */
    mbedtls_ssl_conf_ca_chain(&t->conf, &t->ca, NULL);
    return HOTA_OK;
}

/* Client certificate and key for mTLS (both or neither). */
static int load_own(hota_tls_t *t, const hota_tls_cfg_t *cfg)
{
    if (!cfg->cert_file && !cfg->key_file)
        return HOTA_OK;
    if (!cfg->cert_file || !cfg->key_file)
        return HOTA_E_INVALID_ARG;
    if (mbedtls_x509_crt_parse_file(&t->own_cert, cfg->cert_file) != 0)
        return HOTA_E_CERT_LOAD;
    if (mbedtls_pk_parse_keyfile(&t->own_key, cfg->key_file, NULL) != 0)
        return HOTA_E_KEY_LOAD;
    if (mbedtls_pk_check_pair(&t->own_cert.pk, &t->own_key) != 0 ||
        mbedtls_ssl_conf_own_cert(&t->conf, &t->own_cert, &t->own_key) != 0)
        return HOTA_E_TLS_CONFIG;
    t->has_own_cert = 1;
    return HOTA_OK;
}

/* mbedTLS code for a max_fragment_length in bytes; -1 when not allowed. */
static int mfl_code(unsigned len)
{
    static const int codes[] = {MBEDTLS_SSL_MAX_FRAG_LEN_NONE, MBEDTLS_SSL_MAX_FRAG_LEN_512,
                                MBEDTLS_SSL_MAX_FRAG_LEN_1024, MBEDTLS_SSL_MAX_FRAG_LEN_2048,
                                MBEDTLS_SSL_MAX_FRAG_LEN_4096};
    int i = tls_mfl_index(len);
    return i < 0 ? -1 : codes[i];
}

static int setup_conf(hota_tls_t *t, const hota_tls_cfg_t *cfg)
{
    int r = mbedtls_ssl_config_defaults(&t->conf, MBEDTLS_SSL_IS_CLIENT,
                                        MBEDTLS_SSL_TRANSPORT_STREAM, MBEDTLS_SSL_PRESET_DEFAULT);
    if (r != 0)
        return HOTA_E_TLS_CONFIG;
    mbedtls_ssl_conf_min_version(&t->conf, MBEDTLS_SSL_MAJOR_VERSION_3,
                                 MBEDTLS_SSL_MINOR_VERSION_3);
    mbedtls_ssl_conf_rng(&t->conf, mbedtls_ctr_drbg_random, &t->drbg);
    mbedtls_ssl_conf_authmode(&t->conf, cfg->insecure ? MBEDTLS_SSL_VERIFY_NONE
                                                      : MBEDTLS_SSL_VERIFY_REQUIRED);
    mbedtls_ssl_conf_verify(&t->conf, verify_cb, t);
    if (cfg->max_frag_len &&
        mbedtls_ssl_conf_max_frag_len(&t->conf, (unsigned char)mfl_code(cfg->max_frag_len)) != 0)
        return HOTA_E_TLS_CONFIG;
    return HOTA_OK;
}

/* SNI and name check for a DNS name; an iPAddress check (no SNI) for a literal address. */
static int set_peer_name(hota_tls_t *t, const char *name)
{
    int r;
    if (hota_net_parse_ip(name, t->ip, &t->ip_len) == HOTA_OK)
        return HOTA_OK;
    t->ip_len = 0;
    r = mbedtls_ssl_set_hostname(&t->ssl, name);
    if (r == MBEDTLS_ERR_SSL_ALLOC_FAILED)
        return HOTA_E_NO_MEMORY;
    return r == 0 ? HOTA_OK : HOTA_E_INVALID_ARG;
}

int hota_tls_setup(hota_tls_t *t, const hota_tls_cfg_t *cfg, const char *host, hota_cf_t *next)
{
    int rc = tls_check_setup_args(t, cfg, host, next);
    if (rc != HOTA_OK)
        return rc;
    rc = seed_rng(t);
    if (rc == HOTA_OK)
        rc = setup_conf(t, cfg);
    if (rc == HOTA_OK)
        rc = load_trust(t, cfg);
    if (rc == HOTA_OK)
        rc = load_own(t, cfg);
    if (rc != HOTA_OK)
        return rc;
    rc = mbedtls_ssl_setup(&t->ssl, &t->conf);
    if (rc != 0)
        return rc == MBEDTLS_ERR_SSL_ALLOC_FAILED ? HOTA_E_NO_MEMORY : HOTA_E_TLS_CONFIG;
    rc = set_peer_name(t, cfg->server_name ? cfg->server_name : host);
    if (rc != HOTA_OK)
        return rc;
    mbedtls_ssl_set_bio(&t->ssl, t, bio_send, NULL, bio_recv);
    tls_note_origin(t, cfg, host);
    t->cf.next = next;
    t->ready = 1;
    return HOTA_OK;
}
