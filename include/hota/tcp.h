/**
 * @file tcp.h
 * @brief The TCP filter: the bottom of a filter stack, a socket reached through net.h.
 *
 * Lifetime: the caller allocates a hota_tcp_t, calls hota_tcp_init() once, hota_tcp_setup()
 * before connecting, then uses &t->cf with the hota_cf_* calls of transport.h. The host name is
 * copied, so the caller's string need not outlive setup. hota_tcp_free() (or the filter's close
 * through hota_cf_close) releases the socket; facts stay readable by hota_cf_query until the
 * next hota_tcp_init().
 *
 * Read results: data, HOTA_E_PEER_FIN (the peer's FIN), HOTA_E_CONN_RESET, HOTA_E_TIMEOUT.
 * FIN and reset are sticky: later reads return them again without touching the socket.
 */
#ifndef HOTA_TCP_H
#define HOTA_TCP_H

#include <stdint.h>

#include "hota/transport.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Longest host name (or literal address) a TCP filter accepts, without the NUL. */
#define HOTA_TCP_HOST_MAX 253

/** A TCP filter. Fields are private; the first member is the filter head. */
typedef struct hota_tcp {
    hota_cf_t cf;                       /**< filter head (first member) */
    int fd;                             /**< socket, -1 when none */
    char host[HOTA_TCP_HOST_MAX + 1];   /**< name or literal address */
    uint16_t port;                      /**< TCP port */
    int connected;                      /**< connect succeeded */
    int shut_wr;                        /**< our FIN was sent */
    hota_end_t end;                     /**< how the peer ended (sticky except for timeouts) */
    uint64_t bytes_in;                  /**< bytes received */
    uint64_t bytes_out;                 /**< bytes sent */
} hota_tcp_t;

/** @brief Make t an unconnected TCP filter with no socket. Cannot fail. */
void hota_tcp_init(hota_tcp_t *t);

/**
 * @brief Set where the filter connects to (resolution happens in connect).
 * @param host name or literal IPv4/IPv6 address without brackets; copied.
 * @return HOTA_OK; HOTA_E_INVALID_ARG (NULL/empty host, host longer than HOTA_TCP_HOST_MAX,
 *         port 0); HOTA_E_BAD_STATE when a socket is already open.
 */
int hota_tcp_setup(hota_tcp_t *t, const char *host, uint16_t port);

/** @brief Close the socket if open. Safe to call twice and right after hota_tcp_init(). */
void hota_tcp_free(hota_tcp_t *t);

#ifdef __cplusplus
}
#endif
#endif
