/**
 * @file transport_mem.h
 * @brief An in-memory transport filter: a scripted "server" for unit tests and fuzzing.
 *
 * The filter delivers a fixed byte string as the server's data, then reports a chosen end
 * (close_notify, FIN, reset or timeout) on every later read, exactly as the TCP/TLS stack
 * would. What the client sends is captured. Counters let tests check that a client completed a
 * body without reading again.
 *
 * Optional breaks split the input into responses released one per client send: segment i
 * (input up to breaks[i]) is readable only after the client's (i+1)-th send; reading past the
 * released part returns HOTA_E_TIMEOUT, as a real server that waits for the next request would.
 *
 * Lifetime: the caller owns the object and every buffer it points at (in, out, breaks); they
 * must outlive the filter's use. No allocation.
 */
#ifndef HOTA_TRANSPORT_MEM_H
#define HOTA_TRANSPORT_MEM_H

#include "hota/transport.h"

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/** The in-memory filter. Fields may be set or read directly by tests. */
typedef struct hota_mem_cf {
    hota_cf_t cf;              /**< first member: pass &m->cf wherever a hota_cf_t* is needed */
    const uint8_t *in;         /**< bytes the "server" sends */
    size_t in_len, in_pos;     /**< input size and bytes delivered so far */
    size_t max_chunk;          /**< deliver at most this many bytes per recv (0 = no limit) */
    int end;                   /**< what follows the input: HOTA_E_CLOSE_NOTIFY, HOTA_E_PEER_FIN,
                                    HOTA_E_CONN_RESET or HOTA_E_TIMEOUT */
    uint8_t *out;              /**< captures what the client sent (may be NULL) */
    size_t out_cap, out_len;   /**< capture size and bytes captured */
    int shutdown_called;       /**< shutdown was called (count) */
    int close_notify_sent;     /**< our close_notify was "sent" (shutdown called) */
    int closed;                /**< close was called (count) */
    const size_t *breaks;      /**< ascending input offsets ending each released segment */
    size_t break_count;        /**< entries in breaks (0: everything is available at once) */
    unsigned recv_calls;       /**< recv calls, all results */
    unsigned recv_data;        /**< recv calls that returned data */
    unsigned recv_end;         /**< recv calls that returned the end code */
    unsigned recv_wait;        /**< recv calls that returned HOTA_E_TIMEOUT before a break */
    unsigned send_calls;       /**< send calls */
} hota_mem_cf_t;

/**
 * @brief Set up the filter (cannot fail). Every counter starts at zero, max_chunk at 0 and
 *        breaks at none.
 * @param m       the filter.
 * @param in      server bytes (may be NULL when in_len is 0).
 * @param in_len  their number.
 * @param end     the read result after the input (see hota_mem_cf_t::end).
 * @param out     capture buffer for client bytes (may be NULL with out_cap 0).
 * @param out_cap its size; a send beyond it fails with HOTA_E_SEND.
 */
void hota_mem_cf_init(hota_mem_cf_t *m, const uint8_t *in, size_t in_len, int end,
                      uint8_t *out, size_t out_cap);

/**
 * @brief Release the input in segments, one per client send (see the file comment).
 * @param m      the filter.
 * @param breaks ascending offsets into the input, each at most in_len; kept by pointer.
 * @param count  number of offsets.
 */
void hota_mem_cf_set_breaks(hota_mem_cf_t *m, const size_t *breaks, size_t count);

#ifdef __cplusplus
}
#endif
#endif
