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
 *        handshake and the filter's close.
 * @param len receives the DER length (also when buf is too small, so the caller can size it).
 * @return HOTA_OK; HOTA_E_INVALID_ARG (NULL t, buf or len); HOTA_E_BAD_STATE (no handshake
 *         done, or closed); HOTA_E_NOT_FOUND (index past the chain's end);
 *         HOTA_E_BUFFER_TOO_SMALL (cap below *len).
 */
int hota_tls_peer_cert(const hota_tls_t *t, size_t index, uint8_t *buf, size_t cap,
                       size_t *len);

/** @brief Release every TLS library resource. Safe to call twice and right after init. */
void hota_tls_free(hota_tls_t *t);

#ifdef __cplusplus
}
#endif
#endif
