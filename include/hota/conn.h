/**
 * @file conn.h
 * @brief A client connection: a TCP filter with, for https, a TLS filter on top.
 *
 * Lifetime: the caller allocates a hota_conn_t and calls hota_conn_init() once. hota_conn_open()
 * resolves, connects and (for TLS) handshakes; reads and writes then go through the top filter,
 * hota_conn_cf(), with the hota_cf_* calls of transport.h. hota_conn_close() ends the connection
 * gracefully and releases its socket and TLS state; the same hota_conn_t can be opened again.
 * hota_conn_free() releases everything and is safe twice. The strings of hota_conn_cfg_t are
 * only read during hota_conn_open() (the host name is copied).
 *
 * Counters reported by hota_conn_info() (handshakes, handshakes_resumed, bytes in/out) add up
 * over every open since hota_conn_init(); the end kind, close_notify flags and `resumed`
 * describe the latest connection.
 *
 * TLS session resumption: hota_conn_close() keeps the TLS session of a connection whose
 * handshake succeeded (also when the peer reset it, not after a fatal TLS error), and the next
 * hota_conn_open() of the same hota_conn_t offers it when host, port, server name and every TLS
 * setting are the same; a session made with `insecure` never goes to a connection that
 * verifies. A failed open drops it unless the server was not reached (resolve, connect,
 * socket), memory ran out, or it went away or stayed silent (timeout, FIN, reset) while no
 * session was offered: a handshake that offered the session and then failed is followed by a
 * full one, so a server that drops resumption attempts cannot make every retry fail.
 * hota_conn_free() releases it.
 */
#ifndef HOTA_CONN_H
#define HOTA_CONN_H

#include <stdint.h>

#include "hota/tcp.h"
#include "hota/tls.h"
#include "hota/transport.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Defaults used for a timeout field left at 0. */
#define HOTA_CONN_CONNECT_TIMEOUT_MS 10000u
#define HOTA_CONN_IO_TIMEOUT_MS 30000u
#define HOTA_CONN_CLOSE_WAIT_MS 100u

/** Where and how to connect. */
typedef struct hota_conn_cfg {
    const char *host;             /**< name or literal IPv4/IPv6 address (no brackets) */
    uint16_t port;                /**< TCP port, not 0 */
    int use_tls;                  /**< 1 for https */
    hota_tls_cfg_t tls;           /**< TLS settings (used when use_tls) */
    uint32_t connect_timeout_ms;  /**< TCP connect + TLS handshake, each (0: 10 s) */
    uint32_t io_timeout_ms;       /**< each read/write (0: 30 s); for the caller's hota_cf_* */
    uint32_t close_wait_ms;       /**< bound on closing: close_notify, FIN, drain (0: 100 ms) */
} hota_conn_cfg_t;

/** A connection. Caller-allocated; fields are private. */
typedef struct hota_conn {
    hota_tcp_t tcp;               /**< bottom filter */
    hota_tls_t tls;               /**< on top of tcp when cfg.use_tls */
    hota_cf_t *top;               /**< top filter while open, else NULL */
    hota_cf_t *stack;             /**< top filter of the latest connection (for facts) */
    hota_conn_cfg_t cfg;          /**< copy of the configuration (timeouts filled in) */
    int open;                     /**< 1 between a successful open and close */
    hota_cf_info_t past;          /**< counters of earlier connections */
    hota_tls_session_t session;   /**< TLS session kept from the latest connection */
} hota_conn_t;

/** @brief Make c an unopened connection. Cannot fail. */
void hota_conn_init(hota_conn_t *c);

/**
 * @brief Resolve, connect (bounded by connect_timeout_ms) and, for TLS, handshake (bounded
 *        again by connect_timeout_ms).
 * @return HOTA_OK; HOTA_E_INVALID_ARG (NULL, no host, port 0, bad TLS settings);
 *         HOTA_E_BAD_STATE (already open); HOTA_E_RESOLVE; HOTA_E_CONNECT; HOTA_E_TIMEOUT;
 *         HOTA_E_SOCKET; HOTA_E_CA_LOAD; HOTA_E_CERT_LOAD; HOTA_E_KEY_LOAD; HOTA_E_TLS_CONFIG;
 *         HOTA_E_NO_MEMORY; HOTA_E_CERT_VERIFY; HOTA_E_CERT_HOSTNAME; HOTA_E_CERT_EXPIRED;
 *         HOTA_E_TLS_VERSION; HOTA_E_TLS_CLIENT_CERT; HOTA_E_TLS_ALERT; HOTA_E_TLS_HANDSHAKE;
 *         HOTA_E_PEER_FIN or HOTA_E_CONN_RESET when the peer went away during the handshake.
 *         On failure everything is released; hota_conn_info() still reports what happened.
 */
int hota_conn_open(hota_conn_t *c, const hota_conn_cfg_t *cfg);

/** @brief The top filter for hota_cf_send_all()/hota_cf_recv(); NULL when not open. */
hota_cf_t *hota_conn_cf(hota_conn_t *c);

/**
 * @brief End the connection: our close_notify whenever TLS is still up (also after the peer's
 *        close_notify and when we close first), then TCP FIN, then discard what the peer still
 *        sends until its close_notify, FIN or reset; at most close_wait_ms in total. Then
 *        releases the socket and the TLS state.
 * @return HOTA_OK (also when not open); HOTA_E_CONN_RESET, HOTA_E_TIMEOUT, HOTA_E_TLS or
 *         HOTA_E_SOCKET when our close_notify or FIN could not be sent (resources are released
 *         all the same).
 */
int hota_conn_close(hota_conn_t *c);

/** @brief Release everything without a graceful end. Safe twice and right after init. */
void hota_conn_free(hota_conn_t *c);

/** @brief Facts of the connection (all zero before the first open). c may be closed. */
void hota_conn_info(const hota_conn_t *c, hota_cf_info_t *info);

#ifdef __cplusplus
}
#endif
#endif
