/* The TLS filter on OpenSSL 3 (HOTA_TLS_BACKEND=openssl): the same results and behaviour as the
 * mbedTLS filter (tls.c). OpenSSL reaches the filter below through a BIO_METHOD whose read and
 * write call that filter with the time left until the operation's deadline, so the stack stays
 * a stack and every wait is bounded. */
#include "tls_int.h"

#include "hota/error.h"
#include "hota/net.h"
#include "hota/port.h"

#include <string.h>

#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/store.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>

/* OpenSSL's read buffer: with read-ahead, one lower read can bring several records. */
#define READ_BUFFER_LEN (64u * 1024u)
/* Least wait for a TLS 1.3 server's verdict on a missing client certificate. */
#define VERDICT_MIN_MS 250u

/* Classes of certificate problems (verify_flags), ranked as tls.c ranks mbedTLS's flags. */
#define VF_CHAIN 1u
#define VF_PERIOD 2u
#define VF_NAME 4u

/* ----- the BIO over the filter below ------------------------------------------------------ */

/* Write through the lower filter; a timeout becomes "retry" (SSL_ERROR_WANT_WRITE), anything
 * else a plain failure. The exact hota result stays in t->lower_rc. */
static int bio_write(BIO *b, const char *buf, size_t len, size_t *written)
{
    hota_tls_t *t = BIO_get_data(b);
    hota_cf_t *next = t->cf.next;
    int rc = next->type->send(next, (const uint8_t *)buf, len, written, tls_left_ms(t->deadline));
    t->lower_rc = rc;
    BIO_clear_retry_flags(b);
    if (rc == HOTA_OK)
        return 1;
    *written = 0;
    if (rc == HOTA_E_TIMEOUT)
        BIO_set_retry_write(b);
    return 0;
}

/* Read through the lower filter. A FIN is reported as "no data, no retry" and BIO_eof stays 0,
 * so OpenSSL returns SSL_ERROR_SYSCALL without entering its fatal state (no alert is sent and
 * our close_notify can still go out); the filter learns the FIN from t->lower_rc. */
static int bio_read(BIO *b, char *buf, size_t cap, size_t *nread)
{
    hota_tls_t *t = BIO_get_data(b);
    hota_cf_t *next = t->cf.next;
    int rc = next->type->recv(next, (uint8_t *)buf, cap, nread, tls_left_ms(t->deadline));
    t->lower_rc = rc;
    BIO_clear_retry_flags(b);
    if (rc == HOTA_OK)
        return 1;
    *nread = 0;
    if (rc == HOTA_E_TIMEOUT)
        BIO_set_retry_read(b);
    return 0;
}

static long bio_ctrl(BIO *b, int cmd, long num, void *ptr)
{
    (void)b;
    (void)num;
    (void)ptr;
    return cmd == BIO_CTRL_FLUSH ? 1 : 0;
}

static int bio_create(BIO *b)
{
    BIO_set_init(b, 1);
    return 1;
}

static BIO_METHOD *make_bio_method(void)
{
    BIO_METHOD *m = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "hota-cf");
    if (m && BIO_meth_set_write_ex(m, bio_write) && BIO_meth_set_read_ex(m, bio_read) &&
        BIO_meth_set_ctrl(m, bio_ctrl) && BIO_meth_set_create(m, bio_create))
        return m;
    BIO_meth_free(m);
    return NULL;
}

/* ----- certificate verification ----------------------------------------------------------- */

static unsigned verify_class(int err)
{
    if (err == X509_V_ERR_CERT_HAS_EXPIRED || err == X509_V_ERR_CERT_NOT_YET_VALID)
        return VF_PERIOD;
    if (err == X509_V_ERR_HOSTNAME_MISMATCH || err == X509_V_ERR_IP_ADDRESS_MISMATCH)
        return VF_NAME;
    return VF_CHAIN;
}

/* Per certificate: note the problem and go on, so that every problem of the chain is seen
 * (OpenSSL checks the name before the validity period; the ranking must not depend on that). */
static int cert_cb(int ok, X509_STORE_CTX *x)
{
    SSL *ssl = X509_STORE_CTX_get_ex_data(x, SSL_get_ex_data_X509_STORE_CTX_idx());
    hota_tls_t *t = ssl ? SSL_get_app_data(ssl) : NULL;
    if (!ok && t)
        t->verify_flags |= verify_class(X509_STORE_CTX_get_error(x));
    return t ? 1 : ok;
}

/* The whole-chain check: OpenSSL's, with the problems collected by cert_cb; fails the
 * handshake (with the alert OpenSSL picks for the error) when any was found. */
static int chain_cb(X509_STORE_CTX *x, void *arg)
{
    hota_tls_t *t = arg;
    static const int errs[] = {X509_V_ERR_CERT_UNTRUSTED, X509_V_ERR_CERT_HAS_EXPIRED,
                               X509_V_ERR_HOSTNAME_MISMATCH};
    int ok;
    t->verify_flags = 0;
    X509_STORE_CTX_set_verify_cb(x, cert_cb);
    ok = X509_verify_cert(x);
    if (ok == 1 && !t->verify_flags)
        return 1;
    if (!t->verify_flags)
        t->verify_flags = VF_CHAIN;
    X509_STORE_CTX_set_error(x, errs[(t->verify_flags & VF_CHAIN) ? 0
                                     : (t->verify_flags & VF_PERIOD) ? 1 : 2]);
    return 0;
}

/* Chain problems dominate; then validity period; then the name (as in tls.c). */
static int map_verify(unsigned flags)
{
    if (!flags || (flags & VF_CHAIN))
        return HOTA_E_CERT_VERIFY;
    return (flags & VF_PERIOD) ? HOTA_E_CERT_EXPIRED : HOTA_E_CERT_HOSTNAME;
}

/* Called when the server asks for a certificate and none is configured. */
static int client_cert_cb(SSL *ssl, X509 **x509, EVP_PKEY **pkey)
{
    hota_tls_t *t = SSL_get_app_data(ssl);
    (void)x509;
    (void)pkey;
    if (t)
        t->cert_requested = 1;
    return 0;
}

/* ----- error mapping ---------------------------------------------------------------------- */

/* Reason of the first OpenSSL error of the SSL library in the queue, 0 when none. */
static int ssl_reason(void)
{
    unsigned long e = ERR_peek_error();
    return e && ERR_GET_LIB(e) == ERR_LIB_SSL ? ERR_GET_REASON(e) : 0;
}

static int is_alert(int reason)
{
    return reason >= SSL_AD_REASON_OFFSET && reason < SSL_AD_REASON_OFFSET + 256;
}

static int is_version_reason(int reason)
{
    return reason == SSL_R_TLSV1_ALERT_PROTOCOL_VERSION || reason == SSL_R_UNSUPPORTED_PROTOCOL ||
           reason == SSL_R_WRONG_SSL_VERSION || reason == SSL_R_VERSION_TOO_LOW ||
           reason == SSL_R_NO_PROTOCOLS_AVAILABLE;
}

/* The server asked for a certificate we could not give and then gave up on us: with TLS 1.3
 * its verdict (an alert, or just FIN/reset) comes after our side of the handshake is done, so
 * it is recognised on the first I/O too, as long as no application data came before it. */
static int client_cert_refused(const hota_tls_t *t, int reason, int lower)
{
    if (!t->cert_requested || t->has_own_cert || t->bytes_in)
        return 0;
    return is_alert(reason) || lower == HOTA_E_PEER_FIN || lower == HOTA_E_CONN_RESET;
}

static int map_handshake(const hota_tls_t *t, int reason)
{
    int lower = t->lower_rc;
    if (t->verify_flags || reason == SSL_R_CERTIFICATE_VERIFY_FAILED)
        return map_verify(t->verify_flags);
    if (is_version_reason(reason))
        return HOTA_E_TLS_VERSION;
    if (client_cert_refused(t, reason, lower))
        return HOTA_E_TLS_CLIENT_CERT;
    if (is_alert(reason))
        return HOTA_E_TLS_ALERT;
    if (lower != HOTA_OK)
        return lower;
    return HOTA_E_TLS_HANDSHAKE;
}

static int want_io(int err)
{
    return err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE;
}

/* Standard (IANA) suite name in mbedTLS's spelling, e.g. TLS-ECDHE-ECDSA-WITH-AES-128-GCM-SHA256. */
static void note_cipher(hota_tls_t *t)
{
    tls_copy_str(t->cipher, sizeof t->cipher, SSL_CIPHER_standard_name(SSL_get_current_cipher(t->ssl)));
    for (char *p = t->cipher; *p; p++)
        if (*p == '_')
            *p = '-';
}

/* TLS 1.3 only: the server asked for a certificate we lack and judges our (empty) one after
 * our side of the handshake is done. Its verdict is the next record it sends: an alert or the
 * end of TCP (refused), or a session ticket or data (accepted). Wait for that record, without
 * consuming data, for at most twice the handshake's duration (at least VERDICT_MIN_MS), so the
 * refusal is reported by the handshake as with TLS 1.2. Silence counts as accepted. */
static int await_cert_verdict(hota_tls_t *t, uint64_t started)
{
    uint64_t now = hota_now_ms(), wait = 2 * (now - started);
    uint8_t byte;
    size_t n = 0;
    int r, err;
    if (!t->cert_requested || t->has_own_cert || SSL_version(t->ssl) < TLS1_3_VERSION)
        return HOTA_OK;
    if (wait < VERDICT_MIN_MS)
        wait = VERDICT_MIN_MS;
    if (now + wait < t->deadline)
        t->deadline = now + wait;
    SSL_clear_mode(t->ssl, SSL_MODE_AUTO_RETRY); /* return after a ticket instead of waiting */
    ERR_clear_error();
    r = SSL_peek_ex(t->ssl, &byte, 1, &n);
    err = r == 1 ? SSL_ERROR_NONE : SSL_get_error(t->ssl, r);
    SSL_set_mode(t->ssl, SSL_MODE_AUTO_RETRY);
    if (r == 1 || t->lower_rc == HOTA_E_TIMEOUT || (want_io(err) && t->lower_rc == HOTA_OK)) {
        t->lower_rc = HOTA_OK;
        ERR_clear_error();
        return HOTA_OK;
    }
    t->failed = 1;
    r = map_handshake(t, ssl_reason());
    ERR_clear_error();
    return r;
}

int tls_be_connect(hota_cf_t *cf, uint32_t timeout_ms)
{
    hota_tls_t *t = (hota_tls_t *)cf;
    uint64_t started = hota_now_ms();
    int r, err, rc;
    if (!t->ready || t->up || t->failed)
        return HOTA_E_BAD_STATE;
    tls_begin(t, started + timeout_ms);
    for (;;) {
        ERR_clear_error();
        r = SSL_connect(t->ssl);
        if (r == 1)
            break;
        err = SSL_get_error(t->ssl, r);
        if (!want_io(err) || t->lower_rc != HOTA_OK || tls_left_ms(t->deadline) == 0) {
            if (want_io(err) && t->lower_rc == HOTA_OK)
                t->lower_rc = HOTA_E_TIMEOUT;
            t->failed = 1;
            rc = map_handshake(t, ssl_reason());
            ERR_clear_error();
            return rc;
        }
    }
    rc = await_cert_verdict(t, started);
    if (rc != HOTA_OK)
        return rc;
    t->up = 1;
    t->handshakes++;
    t->resumed = t->offered && SSL_session_reused(t->ssl) == 1;
    t->handshakes_resumed += t->resumed ? 1u : 0u;
    tls_copy_str(t->version, sizeof t->version, SSL_get_version(t->ssl));
    note_cipher(t);
    return HOTA_OK;
}

/* ----- reading and writing ---------------------------------------------------------------- */

/* Record a lower-layer end seen through TLS and return its code. */
static int lower_end(hota_tls_t *t)
{
    int rc = t->lower_rc;
    if (rc == HOTA_E_PEER_FIN && (t->end == HOTA_END_NONE || t->end == HOTA_END_TIMEOUT))
        t->end = HOTA_END_FIN;
    else if (rc == HOTA_E_CONN_RESET)
        t->end = HOTA_END_RESET;
    else if (rc == HOTA_E_TIMEOUT && t->end == HOTA_END_NONE)
        t->end = HOTA_END_TIMEOUT;
    else if (rc != HOTA_E_TIMEOUT && rc != HOTA_E_PEER_FIN)
        t->failed = 1;
    if (client_cert_refused(t, 0, rc))
        return HOTA_E_TLS_CLIENT_CERT;
    return rc;
}

/* A TLS-level failure of a read or write: the connection is unusable from now on. */
static int tls_failure(hota_tls_t *t)
{
    int reason = ssl_reason();
    ERR_clear_error();
    t->failed = 1;
    if (client_cert_refused(t, reason, HOTA_OK))
        return HOTA_E_TLS_CLIENT_CERT;
    return is_alert(reason) ? HOTA_E_TLS_ALERT : HOTA_E_TLS;
}

/* One SSL_read_ex with the operation's deadline. Post-handshake messages (TLS 1.3 session
 * tickets, key updates) are consumed inside OpenSSL and never show up as data or as an end;
 * the end is known only from close_notify (SSL_ERROR_ZERO_RETURN) or the lower layer. */
int tls_be_read_once(hota_tls_t *t, uint8_t *buf, size_t cap, size_t *nread)
{
    for (;;) {
        size_t n = 0;
        int err;
        ERR_clear_error();
        if (SSL_read_ex(t->ssl, buf, cap, &n) == 1) {
            *nread = n;
            return HOTA_OK;
        }
        err = SSL_get_error(t->ssl, 0);
        if (err == SSL_ERROR_ZERO_RETURN) {
            t->close_notify_received = 1;
            t->end = HOTA_END_CLOSE_NOTIFY;
            return HOTA_E_CLOSE_NOTIFY;
        }
        if (t->lower_rc != HOTA_OK) {
            ERR_clear_error();
            return lower_end(t);
        }
        if (!want_io(err))
            return tls_failure(t);
        if (tls_left_ms(t->deadline) == 0)
            return HOTA_E_TIMEOUT;
    }
}

int tls_be_send(hota_cf_t *cf, const uint8_t *buf, size_t len, size_t *nwritten,
                    uint32_t timeout_ms)
{
    hota_tls_t *t = (hota_tls_t *)cf;
    *nwritten = 0;
    if (!t->up || t->failed)
        return t->failed ? HOTA_E_TLS : HOTA_E_CLOSED;
    if (t->end == HOTA_END_RESET)
        return HOTA_E_CONN_RESET;
    tls_begin(t, hota_now_ms() + timeout_ms);
    for (;;) {
        size_t n = 0;
        int err;
        ERR_clear_error();
        if (SSL_write_ex(t->ssl, buf, len, &n) == 1) {
            *nwritten = n;
            t->bytes_out += n;
            return HOTA_OK;
        }
        err = SSL_get_error(t->ssl, 0);
        if (t->lower_rc != HOTA_OK) {
            ERR_clear_error();
            return lower_end(t);
        }
        if (!want_io(err))
            return tls_failure(t);
        if (tls_left_ms(t->deadline) == 0)
            return HOTA_E_TIMEOUT;
    }
}

/* ----- closing ---------------------------------------------------------------------------- */

/* Send our close_notify (once), bounded by the deadline. SSL_shutdown is called only until the
 * alert is out: a further call would wait for the peer's, which the shared drain (tls_common.c) does with a bound. */
int tls_be_send_close_notify(hota_tls_t *t, uint64_t deadline)
{
    int err = SSL_ERROR_NONE;
    if (!t->up || t->close_notify_sent)
        return HOTA_OK;
    if (t->failed || t->end == HOTA_END_RESET)
        return t->failed ? HOTA_E_TLS : HOTA_E_CONN_RESET;
    tls_begin(t, deadline);
    for (;;) {
        int r;
        ERR_clear_error();
        r = SSL_shutdown(t->ssl);
        if (r >= 0) {
            t->close_notify_sent = 1;
            return HOTA_OK;
        }
        err = SSL_get_error(t->ssl, r);
        if (!want_io(err) || t->lower_rc != HOTA_OK || tls_left_ms(deadline) == 0)
            break;
    }
    ERR_clear_error();
    if (t->lower_rc != HOTA_OK)
        return lower_end(t);
    return want_io(err) ? HOTA_E_TIMEOUT : HOTA_E_TLS;
}

/* ----- sessions --------------------------------------------------------------------------- */

/* Our own copy of the connection's session. Not the SSL's object itself: SSL_free marks that
 * one not resumable when our close_notify was not sent (a reset, a FIN), a TLS 1.0 rule; TLS
 * 1.1 and later allow resuming such a session, and mbedTLS does. A TLS 1.3 session becomes
 * resumable only with a ticket, which arrives after the handshake (read with the data or
 * during the drain at close). */
int tls_be_session_save(hota_tls_session_t *s, const hota_tls_t *t)
{
    SSL_SESSION *cur = SSL_get0_session(t->ssl);
    if (!cur)
        return HOTA_E_BAD_STATE;
    if (!SSL_SESSION_is_resumable(cur))
        return HOTA_E_NOT_FOUND;
    s->sess = SSL_SESSION_dup(cur);
    ERR_clear_error();
    return s->sess ? HOTA_OK : HOTA_E_NO_MEMORY;
}

int tls_be_session_offer(hota_tls_t *t, const hota_tls_session_t *s)
{
    int ok;
    ERR_clear_error();
    ok = SSL_set_session(t->ssl, s->sess); /* takes a reference */
    ERR_clear_error();
    return ok == 1 ? HOTA_OK : HOTA_E_TLS;
}

void tls_be_session_free(hota_tls_session_t *s)
{
    SSL_SESSION_free(s->sess);
    s->sess = NULL;
}

void hota_tls_init(hota_tls_t *t)
{
    memset(t, 0, sizeof *t);
    t->cf.type = &tls_filter_type;
    t->live = 1;
}

void hota_tls_free(hota_tls_t *t)
{
    if (!t || !t->live)
        return;
    SSL_free(t->ssl); /* also frees the BIO */
    SSL_CTX_free(t->ctx);
    BIO_meth_free(t->bio_method);
    /* OpenSSL keeps per-thread state (error queue buffers, DRBGs) that it reallocates on every
     * connection; releasing it here leaves nothing of a closed filter behind on the heap. */
    OPENSSL_thread_stop();
    t->ssl = NULL;
    t->ctx = NULL;
    t->bio_method = NULL;
    t->live = 0;
    t->ready = 0;
    t->up = 0;
}

/* ----- setup ------------------------------------------------------------------------------ */

/* Every certificate file of a directory (OpenSSL's own CApath wants hashed names; the mbedTLS
 * filter reads every file, so this one does too). Returns the number of files loaded. */
static int load_ca_dir(X509_STORE *store, const char *dir)
{
    OSSL_STORE_CTX *sc = OSSL_STORE_open(dir, NULL, NULL, NULL, NULL);
    int loaded = 0;
    if (!sc)
        return 0;
    while (!OSSL_STORE_eof(sc)) {
        OSSL_STORE_INFO *info = OSSL_STORE_load(sc);
        if (!info)
            break;
        if (OSSL_STORE_INFO_get_type(info) == OSSL_STORE_INFO_NAME &&
            X509_STORE_load_file(store, OSSL_STORE_INFO_get0_NAME(info)) == 1)
            loaded++;
        OSSL_STORE_INFO_free(info);
    }
    OSSL_STORE_close(sc);
    return loaded;
}

/* CA bundle file and/or directory; the system store when neither is given. */
static int load_trust(hota_tls_t *t, const hota_tls_cfg_t *cfg)
{
    X509_STORE *store = SSL_CTX_get_cert_store(t->ctx);
    const char *file = cfg->ca_file;
    if (cfg->insecure)
        return HOTA_OK;
    if (!file && !cfg->ca_dir)
        file = HOTA_TLS_SYSTEM_CA_FILE;
    if (file && X509_STORE_load_file(store, file) != 1)
        return HOTA_E_CA_LOAD;
    if (cfg->ca_dir && load_ca_dir(store, cfg->ca_dir) == 0)
        return HOTA_E_CA_LOAD;
    SSL_CTX_set_cert_verify_callback(t->ctx, chain_cb, t);
    return HOTA_OK;
}

/* Never prompt for a pass phrase: an encrypted key fails to load. */
static int no_password(char *buf, int size, int rwflag, void *u)
{
    (void)buf;
    (void)size;
    (void)rwflag;
    (void)u;
    return 0;
}

static EVP_PKEY *read_key(const char *path)
{
    BIO *in = BIO_new_file(path, "r");
    EVP_PKEY *key = in ? PEM_read_bio_PrivateKey(in, NULL, no_password, NULL) : NULL;
    BIO_free(in);
    return key;
}

/* Client certificate (with any chain in the same file) and key for mTLS (both or neither). */
static int load_own(hota_tls_t *t, const hota_tls_cfg_t *cfg)
{
    EVP_PKEY *key;
    int rc = HOTA_E_TLS_CONFIG;
    if (!cfg->cert_file && !cfg->key_file)
        return HOTA_OK;
    if (!cfg->cert_file || !cfg->key_file)
        return HOTA_E_INVALID_ARG;
    if (SSL_CTX_use_certificate_chain_file(t->ctx, cfg->cert_file) != 1)
        return HOTA_E_CERT_LOAD;
    key = read_key(cfg->key_file);
    if (!key)
        return HOTA_E_KEY_LOAD;
    if (X509_check_private_key(SSL_CTX_get0_certificate(t->ctx), key) == 1 &&
        SSL_CTX_use_PrivateKey(t->ctx, key) == 1) {
        t->has_own_cert = 1;
        rc = HOTA_OK;
    }
    EVP_PKEY_free(key);
    return rc;
}

/* OpenSSL code for a max_fragment_length in bytes; -1 when not allowed. */
static int mfl_code(unsigned len)
{
    static const int codes[] = {TLSEXT_max_fragment_length_DISABLED, TLSEXT_max_fragment_length_512,
                                TLSEXT_max_fragment_length_1024, TLSEXT_max_fragment_length_2048,
                                TLSEXT_max_fragment_length_4096};
    int i = tls_mfl_index(len);
    return i < 0 ? -1 : codes[i];
}

static int setup_ctx(hota_tls_t *t, const hota_tls_cfg_t *cfg)
{
    t->ctx = SSL_CTX_new(TLS_client_method());
    if (!t->ctx)
        return HOTA_E_NO_MEMORY;
    if (SSL_CTX_set_min_proto_version(t->ctx, TLS1_2_VERSION) != 1)
        return HOTA_E_TLS_CONFIG;
    if (cfg->tls12_only && SSL_CTX_set_max_proto_version(t->ctx, TLS1_2_VERSION) != 1)
        return HOTA_E_TLS_CONFIG;
    SSL_CTX_set_mode(t->ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER |
                                 SSL_MODE_AUTO_RETRY);
    SSL_CTX_set_session_cache_mode(t->ctx, SSL_SESS_CACHE_OFF);
    SSL_CTX_set_verify(t->ctx, cfg->insecure ? SSL_VERIFY_NONE : SSL_VERIFY_PEER, NULL);
    SSL_CTX_set_client_cert_cb(t->ctx, client_cert_cb);
    SSL_CTX_set_read_ahead(t->ctx, 1);
    SSL_CTX_set_default_read_buffer_len(t->ctx, READ_BUFFER_LEN);
    return HOTA_OK;
}

/* SNI and name check for a DNS name; an iPAddress check (no SNI) for a literal address. */
static int set_peer_name(hota_tls_t *t, const char *name)
{
    X509_VERIFY_PARAM *param = SSL_get0_param(t->ssl);
    if (hota_net_parse_ip(name, t->ip, &t->ip_len) == HOTA_OK)
        return X509_VERIFY_PARAM_set1_ip_asc(param, name) == 1 ? HOTA_OK : HOTA_E_INVALID_ARG;
    t->ip_len = 0;
    X509_VERIFY_PARAM_set_hostflags(param, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
    if (X509_VERIFY_PARAM_set1_host(param, name, 0) != 1 ||
        SSL_set_tlsext_host_name(t->ssl, name) != 1)
        return HOTA_E_INVALID_ARG;
    return HOTA_OK;
}

/* The connection object, its BIO over the filter below, the peer name and max_frag_len. */
static int setup_ssl(hota_tls_t *t, const hota_tls_cfg_t *cfg, const char *name)
{
    BIO *bio;
    t->bio_method = make_bio_method();
    t->ssl = SSL_new(t->ctx);
    if (!t->bio_method || !t->ssl)
        return HOTA_E_NO_MEMORY;
    bio = BIO_new(t->bio_method);
    if (!bio)
        return HOTA_E_NO_MEMORY;
    BIO_set_data(bio, t);
    SSL_set_bio(t->ssl, bio, bio);
    SSL_set_app_data(t->ssl, t);
    if (cfg->max_frag_len &&
        SSL_set_tlsext_max_fragment_length(t->ssl, (uint8_t)mfl_code(cfg->max_frag_len)) != 1)
        return HOTA_E_TLS_CONFIG;
    SSL_set_connect_state(t->ssl);
    return set_peer_name(t, name);
}

int hota_tls_setup(hota_tls_t *t, const hota_tls_cfg_t *cfg, const char *host, hota_cf_t *next)
{
    int rc = tls_check_setup_args(t, cfg, host, next);
    if (rc != HOTA_OK)
        return rc;
    rc = setup_ctx(t, cfg);
    if (rc == HOTA_OK)
        rc = load_trust(t, cfg);
    if (rc == HOTA_OK)
        rc = load_own(t, cfg);
    if (rc == HOTA_OK)
        rc = setup_ssl(t, cfg, cfg->server_name ? cfg->server_name : host);
    ERR_clear_error();
    if (rc != HOTA_OK)
        return rc;
    tls_note_origin(t, cfg, host);
    t->cf.next = next;
    t->ready = 1;
    return HOTA_OK;
}
