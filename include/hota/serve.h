/**
 * @file serve.h
 * @brief hota serve: an HTTPS (TLS 1.2, mbedTLS) file server whose response framing and
 *        connection ending are chosen by the caller, to reproduce well-behaved and misbehaving
 *        update servers (among them `openssl s_server -WWW`, which ends the body with
 *        close_notify and then holds TCP open until the client's close_notify arrives).
 *
 * The server handles one connection at a time. Everything it needs is inside hota_server_t,
 * which the caller allocates; hota_server_setup() sets up the TLS contexts once (mbedTLS
 * allocates there and during each handshake); serving a request never allocates.
 *
 * The second half of this header is the server-side port (port/posix/listen.c): listening
 * sockets and accepted connections. Served files are read through hota/file.h.
 */
#ifndef HOTA_SERVE_H
#define HOTA_SERVE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <mbedtls/ctr_drbg.h>
#include <mbedtls/pk.h>
#include <mbedtls/ssl.h>
#include <mbedtls/x509_crt.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---------------------------------------------------------------------------------------- */
/* Server-side port                                                                          */
/* ---------------------------------------------------------------------------------------- */

/** Timeout value meaning "wait without limit". */
#define HOTA_WAIT_FOREVER UINT32_MAX

/** A listening socket plus the stop source (SIGTERM/SIGINT when requested). */
typedef struct hota_listener {
    int fd;                 /**< listening socket, -1 when closed */
    int stop_fd;            /**< readable when a stop signal arrived, -1 when unused */
    int stopped;            /**< 1 once a stop signal was seen (and consumed) */
    uint16_t port;          /**< the bound port (the chosen one when 0 was asked for) */
    uint64_t saved_mask[16];/**< the signal mask to restore on close (port-private) */
} hota_listener_t;

/** One accepted TCP connection. */
typedef struct hota_sconn {
    int fd;                 /**< -1 when closed */
    hota_listener_t *owner; /**< the listener: its stop source interrupts every wait */
    char peer[64];          /**< "address:port" of the client */
} hota_sconn_t;

/** @brief Make l closed (fd -1). Cannot fail. */
void hota_listener_init(hota_listener_t *l);
/**
 * @brief Bind and listen on bind_addr:port (IPv4 or IPv6 literal; NULL means 127.0.0.1).
 * @param stop_on_signals 1: SIGTERM and SIGINT stop waits (they are blocked and read through a
 *        descriptor; the old mask returns on close).
 * @return HOTA_OK; HOTA_E_INVALID_ARG (not an address literal); HOTA_E_SOCKET (socket, bind,
 *         listen or signal setup failed, e.g. port in use).
 */
int hota_listener_open(hota_listener_t *l, const char *bind_addr, uint16_t port,
                       int stop_on_signals);
/**
 * @brief Wait for and accept one connection into c (c is overwritten).
 * @return HOTA_OK; HOTA_E_TIMEOUT; HOTA_E_ABORTED (stop signal); HOTA_E_SOCKET.
 */
int hota_listener_accept(hota_listener_t *l, hota_sconn_t *c, uint32_t timeout_ms);
/** @brief Close the socket and the stop source, restore the signal mask. Safe twice. */
void hota_listener_close(hota_listener_t *l);

/**
 * @brief Write up to len bytes, waiting at most timeout_ms for room.
 * @return HOTA_OK with *nwritten > 0; HOTA_E_TIMEOUT; HOTA_E_CONN_RESET (peer reset or gone);
 *         HOTA_E_ABORTED (stop signal); HOTA_E_SEND.
 */
int hota_sconn_send(hota_sconn_t *c, const uint8_t *buf, size_t len, size_t *nwritten,
                    uint32_t timeout_ms);
/**
 * @brief Read up to cap bytes, waiting at most timeout_ms.
 * @return HOTA_OK with *nread > 0; HOTA_E_PEER_FIN (orderly TCP end); HOTA_E_CONN_RESET;
 *         HOTA_E_TIMEOUT; HOTA_E_ABORTED (stop signal); HOTA_E_SOCKET.
 */
int hota_sconn_recv(hota_sconn_t *c, uint8_t *buf, size_t cap, size_t *nread,
                    uint32_t timeout_ms);
/** @brief Send FIN (shutdown of the write side). @return HOTA_OK or HOTA_E_SOCKET. */
int hota_sconn_shutdown_write(hota_sconn_t *c);
/**
 * @brief Wait until every byte written so far has left this host (nothing unsent; bytes the
 *        peer received stay readable there after a reset), polling every millisecond. Where
 *        the kernel cannot tell unsent bytes apart, until the peer acknowledged them all.
 *        "Left" is not "arrived": a RST right after it is deterministic on loopback (what the
 *        reset ending is for), while on a lossy link bytes still in flight may be lost to it.
 * @return HOTA_OK; HOTA_E_TIMEOUT; HOTA_E_SOCKET; HOTA_E_UNSUPPORTED (no queue query).
 */
int hota_sconn_wait_sent(hota_sconn_t *c, uint32_t timeout_ms);
/** @brief Close; reset != 0 sends RST (SO_LINGER 0) instead of FIN. Safe twice. */
void hota_sconn_close(hota_sconn_t *c, int reset);

/* ---------------------------------------------------------------------------------------- */
/* Server                                                                                    */
/* ---------------------------------------------------------------------------------------- */

/** How a response body is delimited. */
typedef enum hota_serve_framing {
    HOTA_SERVE_CONTENT_LENGTH = 0, /**< HTTP/1.1 with Content-Length */
    HOTA_SERVE_CHUNKED,            /**< HTTP/1.1 Transfer-Encoding: chunked, varying sizes */
    HOTA_SERVE_CLOSE,              /**< HTTP/1.0 style: no length, the connection end ends it */
} hota_serve_framing_t;

/** What the server does with the connection after a response. */
typedef enum hota_serve_ending {
    HOTA_SERVE_END_CLOSE_NOTIFY = 0, /**< close_notify, then hold TCP until the peer's arrives */
    HOTA_SERVE_END_CLOSE_NOTIFY_FIN, /**< close_notify, then FIN at once */
    HOTA_SERVE_END_FIN,              /**< FIN without close_notify */
    HOTA_SERVE_END_RESET,            /**< RST (SO_LINGER 0) */
    HOTA_SERVE_END_KEEP_ALIVE,       /**< keep the connection and serve further requests */
} hota_serve_ending_t;

/** No --cut-at: send whole bodies. */
#define HOTA_SERVE_NO_CUT UINT64_MAX
/** Request head cap (request line and headers). */
#define HOTA_SERVE_REQ_CAP 8192u
/** Body I/O buffer: one TLS record of data plus a chunk header and trailer. */
#define HOTA_SERVE_IO_CAP (16384u + 32u)
/** Response head cap. */
#define HOTA_SERVE_HEAD_CAP 1024u
/** Filesystem path cap (root + request path). */
#define HOTA_SERVE_PATH_CAP 1024u

/** What the server is asked to do. Strings are borrowed: they must outlive the server. */
typedef struct hota_serve_config {
    const char *root;              /**< directory served (required) */
    const char *cert_path;         /**< server certificate chain, PEM (required) */
    const char *key_path;          /**< its private key, PEM (required) */
    const char *bind_addr;         /**< NULL: 127.0.0.1 */
    uint16_t port;                 /**< 0: pick a free port */
    hota_serve_framing_t framing;  /**< default content-length */
    hota_serve_ending_t ending;    /**< default close_notify (hold) */
    int no_range;                  /**< 1: ignore Range, always 200 */
    int once;                      /**< 1: serve one connection, then return */
    uint64_t cut_at;               /**< body bytes per response before ending early */
    const char *status_path;       /**< NULL, or a file receiving one JSON line per connection */
    uint32_t hold_timeout_ms;      /**< wait for the peer's close_notify / next request (30 s) */
    uint32_t io_timeout_ms;        /**< handshake, request and send waits (30 s) */
    int stop_on_signals;           /**< 1: SIGTERM/SIGINT end hota_server_run() with HOTA_OK */
} hota_serve_config_t;

/** What happened on one connection (also written to the status file). */
typedef struct hota_serve_conn_report {
    char peer[64];
    uint32_t requests;             /**< requests answered */
    uint16_t statuses[8];          /**< the first 8 response status codes */
    uint64_t bytes_sent;           /**< TLS payload bytes written (heads and bodies) */
    uint64_t body_bytes;           /**< body bytes written (chunk framing not counted) */
    int handshake_ok;
    int close_notify_sent;
    int peer_close_notify;         /**< the client's close_notify arrived */
    int cut;                       /**< a body was stopped by cut_at */
    const char *ended;             /**< how it ended, see docs/internals/serve.md */
    uint64_t duration_ms;
} hota_serve_conn_report_t;

/** The server. Caller-allocated; large (buffers included); no allocation after setup. */
typedef struct hota_server {
    hota_serve_config_t cfg;
    hota_listener_t listener;
    hota_sconn_t conn;
    mbedtls_ctr_drbg_context drbg;
    mbedtls_x509_crt cert;
    mbedtls_pk_context key;
    mbedtls_ssl_config conf;
    mbedtls_ssl_context ssl;
    FILE *status;                  /**< opened once by setup */
    uint64_t deadline_ms;          /**< current wait limit of the TLS I/O callbacks */
    int sock_err;                  /**< last socket-level result seen by the callbacks */
    int ready;                     /**< setup done */
    hota_serve_conn_report_t rep;
    size_t req_len;                /**< bytes in req (a request may be pipelined after one) */
    uint8_t req[HOTA_SERVE_REQ_CAP + 1];
    uint8_t io[HOTA_SERVE_IO_CAP];
    char head[HOTA_SERVE_HEAD_CAP];
    char path[HOTA_SERVE_PATH_CAP];
} hota_server_t;

/** @brief Fill c with the defaults listed in hota_serve_config_t. Cannot fail. */
void hota_serve_config_defaults(hota_serve_config_t *c);
/**
 * @brief Parse "content-length", "chunked" or "close".
 * @return HOTA_OK or HOTA_E_INVALID_ARG.
 */
int hota_serve_framing_parse(const char *s, hota_serve_framing_t *out);
/**
 * @brief Parse "close_notify", "close_notify+fin", "fin", "reset" or "keep-alive".
 * @return HOTA_OK or HOTA_E_INVALID_ARG.
 */
int hota_serve_ending_parse(const char *s, hota_serve_ending_t *out);
/** @brief The name parsed by hota_serve_framing_parse (static string, "?" if unknown). */
const char *hota_serve_framing_name(hota_serve_framing_t f);
/** @brief The name parsed by hota_serve_ending_parse (static string, "?" if unknown). */
const char *hota_serve_ending_name(hota_serve_ending_t e);

/** @brief Prepare s for setup/free. Cannot fail. */
void hota_server_init(hota_server_t *s);
/**
 * @brief Load the certificate and key, set up TLS 1.2, open the status file and listen.
 *        cfg is copied; its strings are borrowed.
 * @return HOTA_OK; HOTA_E_INVALID_ARG (missing root/cert/key); HOTA_E_CERT_LOAD;
 *         HOTA_E_KEY_LOAD; HOTA_E_TLS_CONFIG (key does not match, RNG or TLS setup failed);
 *         HOTA_E_NO_MEMORY; HOTA_E_FILE_OPEN (status file); HOTA_E_IO (entropy);
 *         HOTA_E_SOCKET (bind or listen failed).
 */
int hota_server_setup(hota_server_t *s, const hota_serve_config_t *cfg);
/** @brief The port listened on (the chosen one for port 0); 0 before setup. */
uint16_t hota_server_port(const hota_server_t *s);
/**
 * @brief Accept and serve one connection to its end, then write its status line.
 * @param rep NULL or receives the connection's report.
 * @return HOTA_OK (whatever the client did); HOTA_E_ABORTED (stop signal);
 *         HOTA_E_TIMEOUT (no client within timeout_ms); HOTA_E_SOCKET; HOTA_E_BAD_STATE.
 */
int hota_server_serve_one(hota_server_t *s, uint32_t timeout_ms, hota_serve_conn_report_t *rep);
/**
 * @brief Serve connections one after another until a stop signal (or after one with `once`).
 * @return HOTA_OK; HOTA_E_SOCKET; HOTA_E_BAD_STATE (not set up).
 */
int hota_server_run(hota_server_t *s);
/** @brief Release everything (sockets, TLS contexts, status file). Safe twice. */
void hota_server_free(hota_server_t *s);

#ifdef __cplusplus
}
#endif
#endif /* HOTA_SERVE_H */
