/**
 * @file net.h
 * @brief The socket port: name resolution, TCP connect, timed send/recv, half-close, close.
 *
 * Implemented in port/posix/net.c (client side) and port/posix/net_listen.c (listening side,
 * used by loopback peers in tests and, through port/posix/listen.c, by hota serve). Only
 * port/posix makes socket calls. A socket is an int handle; -1 means "no socket". Every wait
 * is bounded by the caller's timeout in milliseconds; 0 means "do not wait" (only what is
 * already possible happens).
 *
 * Results are distinct: a peer FIN is HOTA_E_PEER_FIN, a reset (ECONNRESET, EPIPE) is
 * HOTA_E_CONN_RESET, an expired wait is HOTA_E_TIMEOUT, a name that does not resolve is
 * HOTA_E_RESOLVE and a refused or unreachable address is HOTA_E_CONNECT.
 */
#ifndef HOTA_NET_H
#define HOTA_NET_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Most addresses kept from one resolution. */
#define HOTA_NET_MAX_ADDRS 8

/** One resolved address (no OS types, so callers need no system headers). */
typedef struct hota_net_addr {
    int family;         /**< 4 or 6 */
    uint8_t ip[16];     /**< network order; 4 bytes used for IPv4 */
    uint16_t port;      /**< host order */
    uint32_t scope_id;  /**< IPv6 scope (link-local), else 0 */
} hota_net_addr_t;

/**
 * @brief Resolve a host name or a literal IPv4/IPv6 address (no brackets) for TCP.
 * @param host  name or literal; must not be NULL or empty.
 * @param port  TCP port (host order).
 * @param addrs receives up to cap addresses in the resolver's order.
 * @param cap   capacity of addrs (at least 1).
 * @param n     receives the number of addresses stored.
 * @return HOTA_OK; HOTA_E_INVALID_ARG; HOTA_E_RESOLVE when nothing resolves.
 */
int hota_net_resolve(const char *host, uint16_t port, hota_net_addr_t *addrs, size_t cap,
                     size_t *n);

/**
 * @brief Connect to the first address that accepts, trying each in turn (non-blocking connect).
 * @param timeout_ms bound on the whole attempt (all addresses together).
 * @param fd receives the connected socket (non-blocking, close-on-exec); -1 on failure.
 * @return HOTA_OK; HOTA_E_INVALID_ARG; HOTA_E_TIMEOUT when the bound expired before any address
 *         answered; HOTA_E_CONNECT when every address refused or was unreachable;
 *         HOTA_E_SOCKET when no socket could be created.
 */
int hota_net_connect(const hota_net_addr_t *addrs, size_t n, uint32_t timeout_ms, int *fd);

/**
 * @brief Send up to len bytes, waiting at most timeout_ms for room (never raises SIGPIPE).
 * @param nwritten receives the bytes sent (> 0 on HOTA_OK).
 * @return HOTA_OK; HOTA_E_INVALID_ARG; HOTA_E_TIMEOUT; HOTA_E_CONN_RESET (reset or broken
 *         pipe); HOTA_E_SEND for other socket errors.
 */
int hota_net_send(int fd, const uint8_t *buf, size_t len, size_t *nwritten, uint32_t timeout_ms);

/**
 * @brief Receive up to cap bytes, waiting at most timeout_ms for data.
 * @param nread receives the bytes read (> 0 on HOTA_OK, 0 otherwise).
 * @return HOTA_OK; HOTA_E_INVALID_ARG; HOTA_E_PEER_FIN (orderly end of stream);
 *         HOTA_E_CONN_RESET; HOTA_E_TIMEOUT; HOTA_E_SOCKET for other socket errors.
 */
int hota_net_recv(int fd, uint8_t *buf, size_t cap, size_t *nread, uint32_t timeout_ms);

/**
 * @brief Half-close: send our FIN (shutdown SHUT_WR); reading stays possible.
 * @return HOTA_OK; HOTA_E_INVALID_ARG; HOTA_E_CONN_RESET when the connection is already gone;
 *         HOTA_E_SOCKET otherwise.
 */
int hota_net_shutdown_wr(int fd);

/**
 * @brief Disable (on = 1) or enable (on = 0) Nagle's algorithm.
 * @return HOTA_OK; HOTA_E_SOCKET.
 */
int hota_net_set_nodelay(int fd, int on);

/** @brief Close *fd (if >= 0) and set it to -1. Safe to call twice. */
void hota_net_close(int *fd);

/**
 * @brief Close *fd so that the peer sees a reset (SO_LINGER 0) and set it to -1.
 *        For peers in tests that provoke HOTA_E_CONN_RESET. Safe to call twice.
 */
void hota_net_abort(int *fd);

/**
 * @brief Parse a literal IPv4 or IPv6 address (no brackets).
 * @param ip receives the address in network order (4 or 16 bytes).
 * @param len receives 4 or 16.
 * @return HOTA_OK when s is a literal; HOTA_E_INVALID_ARG otherwise (a host name).
 */
int hota_net_parse_ip(const char *s, uint8_t ip[16], size_t *len);

/**
 * @brief Open a listening TCP socket on a literal local address.
 * @param ip      literal address to bind ("127.0.0.1", "::1").
 * @param port    port to bind, 0 for any free port.
 * @param backlog listen() backlog (0 allowed: the kernel queue holds at most one connection).
 * @param fd      receives the listening socket (non-blocking).
 * @param bound   receives the bound port (host order); may be NULL.
 * @return HOTA_OK; HOTA_E_INVALID_ARG; HOTA_E_SOCKET.
 */
int hota_net_listen(const char *ip, uint16_t port, int backlog, int *fd, uint16_t *bound);

/**
 * @brief Accept one connection, waiting at most timeout_ms.
 * @param fd receives the connected socket (non-blocking).
 * @return HOTA_OK; HOTA_E_INVALID_ARG; HOTA_E_TIMEOUT; HOTA_E_SOCKET.
 */
int hota_net_accept(int lfd, uint32_t timeout_ms, int *fd);

#ifdef __cplusplus
}
#endif
#endif
