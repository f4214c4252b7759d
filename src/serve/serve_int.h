/* Private pieces shared by the files of the serve layer. */
#ifndef HOTA_SERVE_INT_H
#define HOTA_SERVE_INT_H

#include "hota/serve.h"

/* tls.c: TLS I/O on the current connection, bounded by timeouts. */
int serve_tls_handshake(hota_server_t *s);
/* Write all of buf. HOTA_OK, HOTA_E_TIMEOUT, HOTA_E_CONN_RESET, HOTA_E_ABORTED, HOTA_E_TLS... */
int serve_tls_write_all(hota_server_t *s, const uint8_t *buf, size_t len);
/* One read: HOTA_OK (*n > 0), HOTA_E_CLOSE_NOTIFY, HOTA_E_PEER_FIN, HOTA_E_CONN_RESET,
 * HOTA_E_TIMEOUT, HOTA_E_ABORTED, HOTA_E_TLS. */
int serve_tls_read(hota_server_t *s, uint8_t *buf, size_t cap, size_t *n, uint32_t timeout_ms);
/* Send our close_notify once. */
int serve_tls_close_notify(hota_server_t *s);
/* Bind the TLS context to s->conn for a new connection. */
int serve_tls_attach(hota_server_t *s);

/* http.c: requests and responses. */
/* Read one request head into s->req; *head_len is its length, 0 when it exceeds the cap.
 * Returns HOTA_OK or one of the serve_tls_read end codes. */
int serve_read_request(hota_server_t *s, uint32_t timeout_ms, size_t *head_len);
/* Answer the request of head_len bytes at the start of s->req and drop it from the buffer. */
int serve_respond(hota_server_t *s, size_t head_len);

/* ending.c: end the connection after the last response (rc HOTA_OK) or after the peer ended
 * it / an error (rc the code that stopped the request loop). Sets s->rep.ended. */
void serve_finish(hota_server_t *s, int rc);

/* server.c: hota_entropy() as the entropy source of an mbedtls_ctr_drbg_seed() (ctx unused). */
int serve_entropy(void *ctx, unsigned char *buf, size_t len);

/* httpdate.c: "Sun, 06 Nov 1994 08:49:37 GMT" for seconds since the epoch. */
void serve_http_date(int64_t t, char out[32]);

#endif
