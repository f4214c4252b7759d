/**
 * @file tls.h
 * @brief The TLS filter: mbedTLS 2.28 or OpenSSL 3 on top of another filter (normally TCP).
 *
 * The library is chosen at build time (CMake HOTA_TLS_BACKEND=mbedtls|openssl, recorded in
 * hota/config.h); both give the same API, results and behaviour.
 *
 * TLS 1.2 is the minimum. The server certificate is verified against a CA bundle (file and/or
 * directory, default the system store) unless the caller asks for insecure mode. The host name
 * is checked and sent as SNI; a literal IP address is sent without SNI and checked against the
 * certificate's iPAddress subjectAltName entries. A client certificate and key give mTLS.
 *
 * Lifetime: the caller allocates a hota_tls_t, calls hota_tls_init() once, hota_tls_setup()
 * (loads CA, client certificate and key; needs the lower filter), then connects the stack with
 * hota_cf_connect() (the TLS connect is the handshake). The strings of hota_tls_cfg_t are only
 * read during hota_tls_setup(); after a failed setup, call hota_tls_free() and hota_tls_init()
 * before trying again. The object must not be moved after hota_tls_init() (the TLS library
 * keeps pointers into it). hota_tls_free() releases every TLS library context; it is safe to
 * call twice. Facts (version, cipher, counters, how the peer ended) stay readable through
 * hota_cf_query() after close until the next hota_tls_init().
 *
 * Read results: data; HOTA_E_CLOSE_NOTIFY (the peer's close_notify); HOTA_E_PEER_FIN (TCP FIN
 * without close_notify); HOTA_E_CONN_RESET; HOTA_E_TIMEOUT; HOTA_E_TLS_ALERT or HOTA_E_TLS for
 * protocol failures. The lower layer's exact result is kept, so a FIN is never reported as a
 * reset or a timeout. End results are sticky.
 *
 * Shutdown (hota_cf_shutdown): sends our close_notify whenever TLS is up and it was not sent yet
 * (also after the peer's close_notify), then the lower layer's FIN, then reads and discards what
 * the peer still sends until its close_notify, FIN or reset, never longer than the bound.
 *
 * Session resumption: hota_tls_session_save() keeps the session of a connection (before its
 * close) in a caller-allocated hota_tls_session_t that outlives the filter;
 * hota_tls_session_offer() offers it to the next connection (after setup, before connect) only
 * when that one goes to the same peer (host, server name, port) with the same TLS settings, and
 * never offers a session made without the certificate check to a connection that verifies. The
 * server may decline; a full handshake follows as usual. hota_conn_t does all of this itself.
 */
#ifndef HOTA_TLS_H
#define HOTA_TLS_H

#include <stddef.h>
#include <stdint.h>

#include "hota/config.h"
#include "hota/transport.h"

#if HOTA_TLS_OPENSSL
#include <openssl/ssl.h>
#else
#include <mbedtls/ctr_drbg.h>
#include <mbedtls/pk.h>
#include <mbedtls/ssl.h>
#include <mbedtls/x509_crt.h>
#endif

#ifdef __cplusplus
extern "C" {
#endif

/** System CA bundle used when neither ca_file nor ca_dir is given. */
#define HOTA_TLS_SYSTEM_CA_FILE "/etc/ssl/certs/ca-certificates.crt"
/** Longest server name accepted, without the NUL. */
#define HOTA_TLS_NAME_MAX 253

/** TLS settings. Only read during hota_tls_setup(). */
typedef struct hota_tls_cfg {
    const char *ca_file;      /**< PEM bundle; NULL and ca_dir NULL -> system store */
    const char *ca_dir;       /**< directory of PEM files */
    const char *cert_file;    /**< client certificate (mTLS), optional */
    const char *key_file;     /**< client key (mTLS), optional; needed with cert_file */
    const char *server_name;  /**< SNI and hostname check; NULL -> the connection host */
    int insecure;             /**< 1: skip certificate verification (only when the user asks) */
    unsigned max_frag_len;    /**< 0 none, else 512/1024/2048/4096 (max_fragment_length ext) */
    int tls12_only;           /**< 1: offer TLS 1.2 only, as an ESP device does (the mbedTLS
                                   2.28 backend never offers more; OpenSSL would offer 1.3) */
} hota_tls_cfg_t;

/** Length of the digest that names a peer and the TLS settings (SHA-256). */
#define HOTA_TLS_ORIGIN_LEN 32

/**
 * A TLS session kept for resumption, caller-allocated (hota_conn_t holds one). Fields are
 * private. Lifetime: hota_tls_session_init() once; hota_tls_session_save() replaces what it
 * holds; hota_tls_session_free() releases it (safe twice; the object is then empty and can be
 * used again without another init).
 */
typedef struct hota_tls_session {
#if HOTA_TLS_OPENSSL
    SSL_SESSION *sess;                    /**< our own copy (SSL_SESSION_dup) */
#else
    mbedtls_ssl_session sess;             /**< copy taken with mbedtls_ssl_get_session() */
#endif
    int valid;                            /**< a session is held */
    int verified;                         /**< made by a handshake that checked the certificate */
    uint16_t port;                        /**< server port it was made with */
    uint8_t origin[HOTA_TLS_ORIGIN_LEN];  /**< digest of host, server name and TLS settings */
} hota_tls_session_t;

/** A TLS filter. Fields are private; the first member is the filter head. */
typedef struct hota_tls {
    hota_cf_t cf;                         /**< filter head (first member) */
#if HOTA_TLS_OPENSSL
    SSL_CTX *ctx;                         /**< settings, trust store, client certificate */
    SSL *ssl;                             /**< the connection */
    BIO_METHOD *bio_method;               /**< BIO over the filter below */
    int cert_requested;                   /**< the server asked for a certificate we lack */
    unsigned verify_flags;                /**< certificate problems seen (tls_openssl.c) */
#else
    mbedtls_ssl_context ssl;
    mbedtls_ssl_config conf;
    mbedtls_x509_crt ca;
    mbedtls_x509_crt own_cert;
    mbedtls_pk_context own_key;
    mbedtls_ctr_drbg_context drbg;       /**< seeded from hota_entropy() (port.h) */
#endif
    int live;                             /**< TLS library contexts hold resources */
    int ready;                            /**< setup succeeded */
    int has_own_cert;                     /**< a client certificate is configured */
    int verify;                           /**< the server certificate is checked (not insecure) */
    uint8_t origin[HOTA_TLS_ORIGIN_LEN];  /**< digest of host, server name and settings (setup) */
    int origin_ok;                        /**< origin was computed: sessions may be kept, offered */
    int offered;                          /**< a kept session was offered to this connection */
    int resumed;                          /**< the handshake resumed it */
    uint8_t ip[16];                       /**< literal address checked against iPAddress SANs */
    size_t ip_len;                        /**< 0: the server name is a DNS name */
    int up;                               /**< handshake done, not failed since */
    int failed;                           /**< a fatal error happened: no more TLS I/O */
    int lower_rc;                         /**< exact result of the last lower-layer call */
    uint64_t deadline;                    /**< of the TLS operation in progress (ms) */
    int close_notify_sent;
    int close_notify_received;
    hota_end_t end;                       /**< how the peer ended (sticky except timeouts) */
    uint32_t handshakes;
    uint32_t handshakes_resumed;
    uint64_t bytes_in;                    /**< application bytes read */
    uint64_t bytes_out;                   /**< application bytes written */
    char version[16];                     /**< negotiated version, e.g. "TLSv1.2" */
    char cipher[64];                      /**< negotiated cipher suite name */
} hota_tls_t;

/** @brief Make t an empty TLS filter (no resources held). Cannot fail. */
void hota_tls_init(hota_tls_t *t);

/**
 * @brief Configure t on top of the filter `next` for a server reached as `host`.
 * @param cfg  TLS settings (strings only read during this call).
 * @param host the connection host; used for SNI and the certificate check unless
 *             cfg->server_name is set.
 * @param next the filter below (stays owned by the caller and must outlive t's use).
 * @return HOTA_OK; HOTA_E_INVALID_ARG (NULL pointers, name too long, max_frag_len not one of
 *         0/512/1024/2048/4096, cert_file without key_file or the reverse); HOTA_E_BAD_STATE
 *         (already set up); HOTA_E_CA_LOAD; HOTA_E_CERT_LOAD; HOTA_E_KEY_LOAD;
 *         HOTA_E_TLS_CONFIG (key does not fit the certificate, TLS library setup failed);
 *         HOTA_E_NO_MEMORY.
 */
int hota_tls_setup(hota_tls_t *t, const hota_tls_cfg_t *cfg, const char *host, hota_cf_t *next);

/**
 * @brief Copy the DER encoding of the index-th certificate the server sent (0: its own, then
 *        the chain as sent) into buf. Works with either TLS backend, between a successful
 *        handshake and the filter's close. After a resumed handshake the server sent no
 *        certificates and they come from the session: mbedTLS keeps the leaf only (index 1 and
 *        on: HOTA_E_NOT_FOUND), OpenSSL the chain.
 * @param len receives the DER length (also when buf is too small, so the caller can size it).
 * @return HOTA_OK; HOTA_E_INVALID_ARG (NULL t, buf or len); HOTA_E_BAD_STATE (no handshake
 *         done, or closed); HOTA_E_NOT_FOUND (index past the chain's end);
 *         HOTA_E_BUFFER_TOO_SMALL (cap below *len).
 */
int hota_tls_peer_cert(const hota_tls_t *t, size_t index, uint8_t *buf, size_t cap,
                       size_t *len);

/** @brief Release every TLS library resource. Safe to call twice and right after init. */
void hota_tls_free(hota_tls_t *t);

/** @brief Make s an empty session store (nothing held). Cannot fail. */
void hota_tls_session_init(hota_tls_session_t *s);

/**
 * @brief Replace what s holds with the session of t, for a later connection to the same peer.
 *        Call it after a successful handshake and before the filter is closed (hota_cf_close
 *        frees the library state); a session is kept also when the peer ended the connection
 *        without close_notify (TLS 1.1 and later allow resuming it), but never after a fatal
 *        TLS error on t. s is emptied first, so on any failure it holds nothing.
 * @param port the server's TCP port, part of the peer's identity.
 * @return HOTA_OK (s holds t's session); HOTA_E_INVALID_ARG (NULL s or t); HOTA_E_BAD_STATE
 *         (no handshake done, already closed, or a fatal TLS error since); HOTA_E_NOT_FOUND
 *         (the server gave nothing to resume with: no session id, no ticket, or with TLS 1.3
 *         no ticket yet); HOTA_E_NO_MEMORY.
 */
int hota_tls_session_save(hota_tls_session_t *s, const hota_tls_t *t, uint16_t port);

/**
 * @brief Offer the session in s to t's handshake, after hota_tls_setup() and before the
 *        connect, when it was made for the same peer (host, server name, port) with the same
 *        TLS settings (CA file and directory, client certificate and key, insecure,
 *        max_frag_len, tls12_only), and never a session made without the certificate check to
 *        a connection that verifies. s is not changed (the library takes a copy); the server
 *        may still decline, and a full handshake follows.
 * @return HOTA_OK (offered); HOTA_E_NOT_FOUND (s empty or made for another peer or other
 *         settings: nothing offered); HOTA_E_INVALID_ARG (NULL t or s); HOTA_E_BAD_STATE (t not
 *         set up, or already connected); HOTA_E_NO_MEMORY (nothing offered).
 */
int hota_tls_session_offer(hota_tls_t *t, const hota_tls_session_t *s, uint16_t port);

/** @brief Release the session s holds (s is empty afterwards). Safe twice and after init. */
void hota_tls_session_free(hota_tls_session_t *s);

#ifdef __cplusplus
}
#endif
#endif
