/* TLS on the server's current connection: mbedTLS I/O callbacks over the server-side port,
 * every wait bounded by s->deadline_ms, socket-level results kept in s->sock_err. */
#include "serve_int.h"

#include "hota/error.h"
#include "hota/port.h"

#include <mbedtls/net_sockets.h>
#include <mbedtls/ssl.h>

static uint32_t remaining_ms(const hota_server_t *s)
{
    uint64_t now = hota_now_ms();
    return now >= s->deadline_ms ? 0 : (uint32_t)(s->deadline_ms - now);
}

static void set_deadline(hota_server_t *s, uint32_t timeout_ms)
{
    s->deadline_ms = hota_now_ms() + timeout_ms;
    s->sock_err = HOTA_OK;
}

static int bio_send(void *ctx, const unsigned char *buf, size_t len)
{
    hota_server_t *s = ctx;
    size_t n = 0;
    int rc = hota_sconn_send(&s->conn, buf, len, &n, remaining_ms(s));
    if (rc == HOTA_OK)
        return (int)n;
    s->sock_err = rc;
    return rc == HOTA_E_CONN_RESET ? MBEDTLS_ERR_NET_CONN_RESET : MBEDTLS_ERR_NET_SEND_FAILED;
}

static int bio_recv(void *ctx, unsigned char *buf, size_t len, uint32_t timeout)
{
    hota_server_t *s = ctx;
    size_t n = 0;
    int rc = hota_sconn_recv(&s->conn, buf, len, &n, remaining_ms(s));
    (void)timeout; /* the server's own deadline applies */
    if (rc == HOTA_OK)
        return (int)n;
    s->sock_err = rc;
    if (rc == HOTA_E_PEER_FIN)
        return 0;
    if (rc == HOTA_E_TIMEOUT)
        return MBEDTLS_ERR_SSL_TIMEOUT;
    return rc == HOTA_E_CONN_RESET ? MBEDTLS_ERR_NET_CONN_RESET : MBEDTLS_ERR_NET_RECV_FAILED;
}

int serve_tls_attach(hota_server_t *s)
{
    if (mbedtls_ssl_session_reset(&s->ssl) != 0)
        return HOTA_E_TLS;
    mbedtls_ssl_set_bio(&s->ssl, s, bio_send, NULL, bio_recv);
    return HOTA_OK;
}

/* Map an mbedTLS failure: the socket-level cause when there was one, else fallback. */
static int tls_fail(const hota_server_t *s, int fallback)
{
    if (s->sock_err != HOTA_OK && s->sock_err != HOTA_E_PEER_FIN)
        return s->sock_err;
    return s->sock_err == HOTA_E_PEER_FIN ? HOTA_E_PEER_FIN : fallback;
}

int serve_tls_handshake(hota_server_t *s)
{
    int ret;
    set_deadline(s, s->cfg.io_timeout_ms);
    do
        ret = mbedtls_ssl_handshake(&s->ssl);
    while (ret == MBEDTLS_ERR_SSL_WANT_READ || ret == MBEDTLS_ERR_SSL_WANT_WRITE);
    return ret == 0 ? HOTA_OK : tls_fail(s, HOTA_E_TLS_HANDSHAKE);
}

int serve_tls_write_all(hota_server_t *s, const uint8_t *buf, size_t len)
{
    set_deadline(s, s->cfg.io_timeout_ms);
    while (len > 0) {
        int ret = mbedtls_ssl_write(&s->ssl, buf, len);
        if (ret == MBEDTLS_ERR_SSL_WANT_READ || ret == MBEDTLS_ERR_SSL_WANT_WRITE)
            continue;
        if (ret <= 0)
            return tls_fail(s, HOTA_E_TLS);
        buf += ret;
        len -= (size_t)ret;
        s->rep.bytes_sent += (uint64_t)ret;
    }
    return HOTA_OK;
}

int serve_tls_read(hota_server_t *s, uint8_t *buf, size_t cap, size_t *n, uint32_t timeout_ms)
{
    int ret;
    set_deadline(s, timeout_ms);
    do
        ret = mbedtls_ssl_read(&s->ssl, buf, cap);
    while (ret == MBEDTLS_ERR_SSL_WANT_READ || ret == MBEDTLS_ERR_SSL_WANT_WRITE);
    if (ret > 0) {
        *n = (size_t)ret;
        return HOTA_OK;
    }
    if (ret == MBEDTLS_ERR_SSL_PEER_CLOSE_NOTIFY) {
        s->rep.peer_close_notify = 1;
        return HOTA_E_CLOSE_NOTIFY;
    }
    if (ret == 0 || ret == MBEDTLS_ERR_SSL_CONN_EOF)
        return HOTA_E_PEER_FIN;
    if (ret == MBEDTLS_ERR_SSL_TIMEOUT)
        return HOTA_E_TIMEOUT;
    return tls_fail(s, HOTA_E_TLS);
}

int serve_tls_close_notify(hota_server_t *s)
{
    int ret;
    if (s->rep.close_notify_sent)
        return HOTA_OK;
    set_deadline(s, s->cfg.io_timeout_ms);
    do
        ret = mbedtls_ssl_close_notify(&s->ssl);
    while (ret == MBEDTLS_ERR_SSL_WANT_READ || ret == MBEDTLS_ERR_SSL_WANT_WRITE);
    if (ret != 0)
        return tls_fail(s, HOTA_E_TLS);
    s->rep.close_notify_sent = 1;
    return HOTA_OK;
}
