/* Internal to the TLS filter: what tls_common.c shares with the backend files (tls.c on mbedTLS,
 * tls_openssl.c on OpenSSL), and the hooks every backend provides. Exactly one backend is built
 * (HOTA_TLS_BACKEND); both keep the common fields of hota_tls_t (include/hota/tls.h). */
#ifndef HOTA_TRANSPORT_TLS_INT_H
#define HOTA_TRANSPORT_TLS_INT_H

#include "hota/tls.h"

/* ---- shared (tls_common.c) ---- */

/** Scratch for discarding what the peer sends while we close. */
#define TLS_DRAIN_CHUNK 256

/** The filter's type table: connect and send from the backend, the rest shared. */
extern const hota_cf_type_t tls_filter_type;
/** Milliseconds left until deadline (0 when past). */
uint32_t tls_left_ms(uint64_t deadline);
/** Start one bounded TLS operation: set the deadline, clear the lower layer's last result. */
void tls_begin(hota_tls_t *t, uint64_t deadline);
/** Copy a string into a fixed buffer, cut to fit. */
void tls_copy_str(char *dst, size_t cap, const char *src);
/** The sticky result once the peer has ended, HOTA_OK while reading may go on. */
int tls_end_result(const hota_tls_t *t);
/** Index of a max_fragment_length in bytes in {0 (none), 512, 1024, 2048, 4096}; -1 if none. */
int tls_mfl_index(unsigned len);
/** Argument checks of hota_tls_setup. */
int tls_check_setup_args(const hota_tls_t *t, const hota_tls_cfg_t *cfg, const char *host,
                         const hota_cf_t *next);

/** Name the peer and settings of a connection being set up (t->origin, t->verify); both
 *  backends call it from hota_tls_setup. */
void tls_note_origin(hota_tls_t *t, const hota_tls_cfg_t *cfg, const char *host);

/* ---- backend hooks (tls.c or tls_openssl.c) ---- */

/** Handshake over the filter below within timeout_ms. */
int tls_be_connect(hota_cf_t *cf, uint32_t timeout_ms);
/** Write up to len bytes (the type table's send). */
int tls_be_send(hota_cf_t *cf, const uint8_t *buf, size_t len, size_t *nwritten,
                uint32_t timeout_ms);
/** One read with t->deadline: data, or a distinct end result (transport.h). */
int tls_be_read_once(hota_tls_t *t, uint8_t *buf, size_t cap, size_t *nread);
/** Send our close_notify once (also after the peer's), bounded by deadline. */
int tls_be_send_close_notify(hota_tls_t *t, uint64_t deadline);
/** Copy the session of t (handshake done, no fatal error) into the empty s->sess. */
int tls_be_session_save(hota_tls_session_t *s, const hota_tls_t *t);
/** Hand the session of s to t's library state before its handshake. */
int tls_be_session_offer(hota_tls_t *t, const hota_tls_session_t *s);
/** Release s->sess (the rest of s is cleared by the caller). */
void tls_be_session_free(hota_tls_session_t *s);

#endif
