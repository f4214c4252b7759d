/**
 * @file transport.h
 * @brief The transport filter interface: a stack of small filters (TCP below TLS), each behind
 *        one type table, as in curl's connection filters.
 *
 * A filter is a caller-allocated object whose first member is a hota_cf_t; `next` points at the
 * filter below it. The HTTP layer talks only to the top filter through the hota_cf_* calls, so
 * an in-memory filter can stand in for the network in unit tests and fuzzing.
 *
 * Read results are distinct and never folded into one another:
 *  - HOTA_OK with *nread > 0: data;
 *  - HOTA_E_CLOSE_NOTIFY: the peer ended TLS cleanly (close_notify received);
 *  - HOTA_E_PEER_FIN: TCP closed by the peer without close_notify (for plain TCP: any FIN);
 *  - HOTA_E_CONN_RESET: the connection was reset;
 *  - HOTA_E_TIMEOUT: nothing arrived within the timeout;
 *  - any other code: a protocol or local error.
 */
#ifndef HOTA_TRANSPORT_H
#define HOTA_TRANSPORT_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct hota_cf hota_cf_t;

/** How the peer ended the connection, as seen by the top filter. */
typedef enum hota_end {
    HOTA_END_NONE = 0,      /**< still open (or we closed first) */
    HOTA_END_CLOSE_NOTIFY,  /**< close_notify received */
    HOTA_END_FIN,           /**< FIN without close_notify */
    HOTA_END_RESET,         /**< connection reset */
    HOTA_END_TIMEOUT,       /**< a read timed out */
} hota_end_t;

/** Counters and facts a filter stack can report (hota_cf_query). */
typedef struct hota_cf_info {
    hota_end_t end;                 /**< how the peer ended (HOTA_END_NONE while open) */
    int close_notify_sent;          /**< we sent our close_notify */
    int close_notify_received;      /**< the peer's close_notify arrived (at any time) */
    int fin_received;               /**< TCP FIN seen (when known) */
    uint32_t handshakes;            /**< TLS handshakes done by this filter stack */
    uint32_t handshakes_resumed;    /**< of those, abbreviated ones (a kept session resumed) */
    int resumed;                    /**< the latest handshake resumed a kept session */
    uint64_t bytes_in;              /**< payload bytes read */
    uint64_t bytes_out;             /**< payload bytes written */
    char tls_version[16];           /**< e.g. "TLSv1.2", empty for plain TCP */
    char cipher[64];                /**< cipher suite name, empty for plain TCP */
} hota_cf_info_t;

/**
 * One filter type: a table of operations. Every operation receives the filter itself; a filter
 * calls the one below through cf->next. Timeouts are in milliseconds, 0 means do not wait.
 */
typedef struct hota_cf_type {
    const char *name;
    /** Establish this layer (the one below is already connected). */
    int (*connect)(hota_cf_t *cf, uint32_t timeout_ms);
    /** Write up to len bytes; *nwritten > 0 on HOTA_OK. */
    int (*send)(hota_cf_t *cf, const uint8_t *buf, size_t len, size_t *nwritten,
                uint32_t timeout_ms);
    /** Read up to cap bytes into buf; see the read results above. */
    int (*recv)(hota_cf_t *cf, uint8_t *buf, size_t cap, size_t *nread, uint32_t timeout_ms);
    /** End this layer gracefully (TLS: send close_notify and wait at most timeout_ms for the
     *  peer's; TCP: shutdown(SHUT_WR)). Never blocks longer than timeout_ms. */
    int (*shutdown)(hota_cf_t *cf, uint32_t timeout_ms);
    /** Release OS and library resources of this layer. Safe to call twice. */
    void (*close)(hota_cf_t *cf);
    /** Add this layer's facts to *info (called top-down; lower layers fill what they know). */
    void (*query)(const hota_cf_t *cf, hota_cf_info_t *info);
} hota_cf_type_t;

/** The common head of every filter. */
struct hota_cf {
    const hota_cf_type_t *type;
    hota_cf_t *next;
};

/** @brief Connect cf's whole stack, bottom first. @return HOTA_OK or the failing layer's code. */
int hota_cf_connect(hota_cf_t *cf, uint32_t timeout_ms);
/** @brief Write all len bytes. @return HOTA_OK, HOTA_E_TIMEOUT, HOTA_E_SEND, HOTA_E_CONN_RESET... */
int hota_cf_send_all(hota_cf_t *cf, const uint8_t *buf, size_t len, uint32_t timeout_ms);
/** @brief One read from the top filter; results as described in the file comment. */
int hota_cf_recv(hota_cf_t *cf, uint8_t *buf, size_t cap, size_t *nread, uint32_t timeout_ms);
/** @brief Graceful end, top first (close_notify, then FIN), bounded by timeout_ms in total. */
int hota_cf_shutdown(hota_cf_t *cf, uint32_t timeout_ms);
/** @brief Close every layer, top first. Safe to call twice and on a never-connected stack. */
void hota_cf_close(hota_cf_t *cf);
/** @brief Collect the facts of every layer. */
void hota_cf_query(const hota_cf_t *cf, hota_cf_info_t *info);
/** @brief Name of an end kind: "none", "close_notify", "fin", "reset", "timeout". */
const char *hota_end_name(hota_end_t end);

#ifdef __cplusplus
}
#endif
#endif
