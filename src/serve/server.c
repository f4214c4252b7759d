/* hota serve: set-up, the accept loop and the per-connection status line. */
#include "serve_int.h"

#include "hota/error.h"
#include "hota/port.h"

#include <string.h>

#include <mbedtls/ssl.h>

static const char *const framing_names[] = {"content-length", "chunked", "close"};
static const char *const ending_names[] = {"close_notify", "close_notify+fin", "fin", "reset",
                                           "keep-alive"};

#define N_OF(a) (sizeof(a) / sizeof((a)[0]))

static int name_index(const char *const *names, size_t n, const char *s)
{
    for (size_t i = 0; s && i < n; i++)
        if (!strcmp(names[i], s))
            return (int)i;
    return -1;
}

int hota_serve_framing_parse(const char *s, hota_serve_framing_t *out)
{
    int i = name_index(framing_names, N_OF(framing_names), s);
    if (i < 0)
        return HOTA_E_INVALID_ARG;
    *out = (hota_serve_framing_t)i;
    return HOTA_OK;
}

int hota_serve_ending_parse(const char *s, hota_serve_ending_t *out)
{
    int i = name_index(ending_names, N_OF(ending_names), s);
    if (i < 0)
        return HOTA_E_INVALID_ARG;
    *out = (hota_serve_ending_t)i;
    return HOTA_OK;
}

const char *hota_serve_framing_name(hota_serve_framing_t f)
{
    return (unsigned)f < N_OF(framing_names) ? framing_names[f] : "?";
}

const char *hota_serve_ending_name(hota_serve_ending_t e)
{
    return (unsigned)e < N_OF(ending_names) ? ending_names[e] : "?";
}

void hota_serve_config_defaults(hota_serve_config_t *c)
{
    memset(c, 0, sizeof *c);
    c->framing = HOTA_SERVE_CONTENT_LENGTH;
    c->ending = HOTA_SERVE_END_CLOSE_NOTIFY;
    c->cut_at = HOTA_SERVE_NO_CUT;
    c->hold_timeout_ms = 30000;
    c->io_timeout_ms = 30000;
}

void hota_server_init(hota_server_t *s)
{
    memset(s, 0, sizeof *s);
    hota_listener_init(&s->listener);
    s->conn.fd = -1;
    mbedtls_ctr_drbg_init(&s->drbg);
    mbedtls_x509_crt_init(&s->cert);
    mbedtls_pk_init(&s->key);
    mbedtls_ssl_config_init(&s->conf);
    mbedtls_ssl_init(&s->ssl);
}

int serve_entropy(void *ctx, unsigned char *buf, size_t len)
{
    (void)ctx;
    return hota_entropy(buf, len) == HOTA_OK ? 0 : MBEDTLS_ERR_CTR_DRBG_ENTROPY_SOURCE_FAILED;
}

static int setup_tls(hota_server_t *s)
{
    static const unsigned char pers[] = "hota-serve";
    const hota_serve_config_t *c = &s->cfg;
    if (mbedtls_ctr_drbg_seed(&s->drbg, serve_entropy, NULL, pers, sizeof pers - 1) != 0)
        return HOTA_E_IO;
    if (mbedtls_x509_crt_parse_file(&s->cert, c->cert_path) != 0)
        return HOTA_E_CERT_LOAD;
    if (mbedtls_pk_parse_keyfile(&s->key, c->key_path, NULL) != 0)
        return HOTA_E_KEY_LOAD;
    if (mbedtls_ssl_config_defaults(&s->conf, MBEDTLS_SSL_IS_SERVER, MBEDTLS_SSL_TRANSPORT_STREAM,
                                    MBEDTLS_SSL_PRESET_DEFAULT) != 0)
        return HOTA_E_TLS_CONFIG;
    mbedtls_ssl_conf_min_version(&s->conf, MBEDTLS_SSL_MAJOR_VERSION_3,
                                 MBEDTLS_SSL_MINOR_VERSION_3);
    mbedtls_ssl_conf_max_version(&s->conf, MBEDTLS_SSL_MAJOR_VERSION_3,
                                 MBEDTLS_SSL_MINOR_VERSION_3);
    mbedtls_ssl_conf_rng(&s->conf, mbedtls_ctr_drbg_random, &s->drbg);
    if (mbedtls_ssl_conf_own_cert(&s->conf, &s->cert, &s->key) != 0)
        return HOTA_E_TLS_CONFIG;
    if (mbedtls_pk_check_pair(&s->cert.pk, &s->key) != 0)
        return HOTA_E_TLS_CONFIG;
    return mbedtls_ssl_setup(&s->ssl, &s->conf) == 0 ? HOTA_OK : HOTA_E_NO_MEMORY;
}

int hota_server_setup(hota_server_t *s, const hota_serve_config_t *cfg)
{
    int rc = HOTA_E_INVALID_ARG;
    if (!cfg || !cfg->root || !cfg->cert_path || !cfg->key_path || s->ready)
        goto out;
    s->cfg = *cfg;
    rc = setup_tls(s);
    if (rc != HOTA_OK)
        goto out;
    rc = HOTA_E_FILE_OPEN;
    if (cfg->status_path && !(s->status = fopen(cfg->status_path, "a")))
        goto out;
    rc = hota_listener_open(&s->listener, cfg->bind_addr, cfg->port, cfg->stop_on_signals);
    if (rc == HOTA_OK)
        s->ready = 1;
out:
    return rc;
}

uint16_t hota_server_port(const hota_server_t *s)
{
    return s->ready ? s->listener.port : 0;
}

static void write_status(hota_server_t *s)
{
    const hota_serve_conn_report_t *r = &s->rep;
    FILE *f = s->status;
    if (!f)
        return;
    fprintf(f, "{\"peer\":\"%s\",\"framing\":\"%s\",\"end\":\"%s\",\"handshake\":%s,", r->peer,
            hota_serve_framing_name(s->cfg.framing), hota_serve_ending_name(s->cfg.ending),
            r->handshake_ok ? "true" : "false");
    fprintf(f, "\"requests\":%u,\"statuses\":[", (unsigned)r->requests);
    for (uint32_t i = 0; i < r->requests && i < N_OF(r->statuses); i++)
        fprintf(f, "%s%u", i ? "," : "", (unsigned)r->statuses[i]);
    fprintf(f, "],\"bytes_sent\":%llu,\"body_bytes\":%llu,\"cut\":%s,",
            (unsigned long long)r->bytes_sent, (unsigned long long)r->body_bytes,
            r->cut ? "true" : "false");
    fprintf(f, "\"close_notify_sent\":%s,\"peer_close_notify\":%s,\"ended\":\"%s\","
               "\"duration_ms\":%llu}\n",
            r->close_notify_sent ? "true" : "false", r->peer_close_notify ? "true" : "false",
            r->ended ? r->ended : "error", (unsigned long long)r->duration_ms);
    fflush(f);
}

/* The request loop of one connection; returns the code that ended it (HOTA_OK: response done
 * and the connection is to be ended by the configured ending). */
static int request_loop(hota_server_t *s)
{
    uint32_t wait = s->cfg.io_timeout_ms;
    for (;;) {
        size_t head_len = 0;
        int rc = serve_read_request(s, wait, &head_len);
        if (rc != HOTA_OK)
            return rc;
        rc = serve_respond(s, head_len);
        if (rc != HOTA_OK || s->cfg.ending != HOTA_SERVE_END_KEEP_ALIVE)
            return rc;
        wait = s->cfg.hold_timeout_ms;
    }
}

static int serve_conn(hota_server_t *s)
{
    int rc = serve_tls_attach(s);
    if (rc == HOTA_OK)
        rc = serve_tls_handshake(s);
    if (rc != HOTA_OK) {
        s->rep.ended = rc == HOTA_E_ABORTED ? "stopped" : "handshake_failed";
        hota_sconn_close(&s->conn, 0);
        return rc;
    }
    s->rep.handshake_ok = 1;
    rc = request_loop(s);
    serve_finish(s, rc);
    return rc;
}

int hota_server_serve_one(hota_server_t *s, uint32_t timeout_ms, hota_serve_conn_report_t *rep)
{
    uint64_t t0;
    int rc;
    if (!s->ready)
        return HOTA_E_BAD_STATE;
    rc = hota_listener_accept(&s->listener, &s->conn, timeout_ms);
    if (rc != HOTA_OK)
        return rc;
    t0 = hota_now_ms();
    memset(&s->rep, 0, sizeof s->rep);
    memcpy(s->rep.peer, s->conn.peer, sizeof s->rep.peer);
    s->req_len = 0;
    rc = serve_conn(s);
    hota_sconn_close(&s->conn, 0);
    s->rep.duration_ms = hota_now_ms() - t0;
    write_status(s);
    if (rep)
        *rep = s->rep;
    return rc == HOTA_E_ABORTED || s->listener.stopped ? HOTA_E_ABORTED : HOTA_OK;
}

int hota_server_run(hota_server_t *s)
{
    for (;;) {
        int rc = hota_server_serve_one(s, HOTA_WAIT_FOREVER, NULL);
        if (rc == HOTA_E_ABORTED)
            return HOTA_OK;
        if (rc != HOTA_OK && rc != HOTA_E_TIMEOUT)
            return rc;
        if (rc == HOTA_OK && s->cfg.once)
            return HOTA_OK;
    }
}

void hota_server_free(hota_server_t *s)
{
    hota_sconn_close(&s->conn, 0);
    hota_listener_close(&s->listener);
    if (s->status)
        fclose(s->status);
    s->status = NULL;
    mbedtls_ssl_free(&s->ssl);
    mbedtls_ssl_config_free(&s->conf);
    mbedtls_pk_free(&s->key);
    mbedtls_x509_crt_free(&s->cert);
    mbedtls_ctr_drbg_free(&s->drbg);
    s->ready = 0;
}
