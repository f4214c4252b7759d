/**
 * @file http.h
 * @brief HTTP/1.1 GET client on llhttp: push design, fixed buffers, no allocation while streaming.
 *
 * Use: hota_http_init() once; hota_http_request() sends the GET and returns after the final
 * response's headers (redirects followed); hota_http_read() then streams the body straight into
 * the caller's buffer until HOTA_OK with n == 0 and hota_http_body_complete(); hota_http_close()
 * ends the connection (always with our close_notify on TLS); hota_http_free() releases it all.
 * Several requests may follow one another on one handle: the open connection is reused when the
 * previous body completed, the server allowed keep-alive and the origin (scheme, host, port) is
 * the same; otherwise it is closed (our close_notify sent) and a new one opened.
 *
 * Framing (how the end of the body is known), decided from the final response's headers:
 *  - HOTA_HTTP_FRAMING_LENGTH: Content-Length bytes; complete the moment the last one is parsed;
 *  - HOTA_HTTP_FRAMING_CHUNKED: complete when the last chunk and the trailers are parsed;
 *  - HOTA_HTTP_FRAMING_CLOSE: no length and not chunked (e.g. HTTP/1.0): complete only when the
 *    transport reports the peer's TLS close_notify;
 *  - HOTA_HTTP_FRAMING_NONE: the response has no body (1xx, 204, 304, Content-Length: 0 gives
 *    LENGTH with 0) - complete right after the headers.
 * Completion is returned at once: no further read of the transport happens after the byte that
 * completes the framing. A body cut short is never accepted: a FIN or reset during a
 * close-delimited body, or any end (close_notify, FIN, reset) before a length or chunked body is
 * complete, gives HOTA_E_TRUNCATED; a read that waits longer than io_timeout_ms gives
 * HOTA_E_TIMEOUT. The parser runs without lenient flags: Content-Length with Transfer-Encoding,
 * repeated Content-Length headers and invalid chunk sizes are refused. Errors are sticky: once a
 * call failed, hota_http_read() returns the same code until the next hota_http_request().
 *
 * Buffers and lifetimes: the handle is caller-allocated and holds one small I/O buffer
 * (HOTA_HTTP_IO_BUF bytes). The request head is sent through it in pieces; the response head is
 * read through it and parsed as it arrives: only the header values kept in hota_http_resp_t are
 * copied out, the head itself is counted against cfg.max_header_bytes, never stored whole. Body
 * bytes that arrive with the end of the head wait there for the first hota_http_read(); the body
 * is otherwise read straight into the caller's buffer and decoded in place. The configuration is
 * copied (shallow) by hota_http_request(): the strings and arrays it points at must stay valid
 * until the next hota_http_request() or hota_http_free(). The handle is not thread-safe.
 */
#ifndef HOTA_HTTP_H
#define HOTA_HTTP_H

#include <stddef.h>
#include <stdint.h>

#include "hota/conn.h"
#include "hota/tls.h"
#include "hota/transport.h"
#include "hota/url.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Size of the I/O buffer inside hota_http_t: request pieces out, response head pieces in.
 *  Fixed (not overridable): it sizes the caller-allocated handle, so the library and its users
 *  must agree on it. */
#define HOTA_HTTP_IO_BUF 512
#ifndef HOTA_HTTP_HEADER_MAX
/** Default and largest cfg.max_header_bytes (counted while parsing; costs no memory). */
#define HOTA_HTTP_HEADER_MAX 16384
#endif
/** Former name of HOTA_HTTP_HEADER_MAX. */
#define HOTA_HTTP_HEADER_BUF HOTA_HTTP_HEADER_MAX
#ifndef HOTA_HTTP_REQUEST_MAX
/** Largest request head sent; only the extra headers and the user agent, which have no cap of
 *  their own, can exceed it (HOTA_E_BUFFER_TOO_SMALL). */
#define HOTA_HTTP_REQUEST_MAX 16384
#endif
#define HOTA_HTTP_NAME_BUF 24 /**< header name buffer: longer names are never kept */
#define HOTA_HTTP_DEFAULT_TIMEOUT_MS 30000u /**< connect and io timeouts when 0 is given */
#define HOTA_HTTP_DEFAULT_CLOSE_WAIT_MS 100u /**< close_wait_ms when 0 is given */
#define HOTA_HTTP_DEFAULT_MAX_REDIRECTS 10  /**< max_redirects when 0 is given */
#define HOTA_HTTP_DRAIN_MAX 65536u /**< largest redirect body drained to keep the connection */

/** How the end of the response body is known. */
typedef enum hota_http_framing {
    HOTA_HTTP_FRAMING_NONE = 0, /**< no body, or no response yet */
    HOTA_HTTP_FRAMING_LENGTH,   /**< Content-Length */
    HOTA_HTTP_FRAMING_CHUNKED,  /**< Transfer-Encoding: chunked */
    HOTA_HTTP_FRAMING_CLOSE,    /**< delimited by the end of the connection (close_notify) */
} hota_http_framing_t;

/** Request settings. Zero means "default" for every number; see hota_http_cfg_init(). */
typedef struct hota_http_cfg {
    const char *url;              /**< http:// or https:// URL (userinfo gives Basic auth) */
    hota_tls_cfg_t tls;           /**< CA, client certificate, insecure... (https only) */
    uint32_t connect_timeout_ms;  /**< TCP connect and TLS handshake, each (0: 30000) */
    uint32_t io_timeout_ms;       /**< every single read and write (0: 30000) */
    uint32_t close_wait_ms;       /**< bound on waiting for the peer when closing (0: 100) */
    const char *const *headers;   /**< extra request headers, each "Name: value" */
    size_t header_count;          /**< entries in headers */
    const char *user_agent;       /**< NULL: "hota/<version>" */
    size_t max_header_bytes;      /**< response header block limit (0 or above
                                       HOTA_HTTP_HEADER_MAX: HOTA_HTTP_HEADER_MAX) */
    int max_redirects;            /**< 0: 10; < 0: follow none (the 3xx is returned) */
    const char *auth_user;        /**< Basic auth user (overrides URL userinfo); NULL: none */
    const char *auth_pass;        /**< Basic auth password; NULL: empty */
    int has_range;                /**< 1: send Range: bytes=range_start-[range_end] */
    uint64_t range_start;         /**< first byte wanted */
    uint64_t range_end;           /**< last byte wanted, inclusive; UINT64_MAX: to the end */
    hota_cf_t *transport;         /**< tests: use this connected filter, open no connection */
} hota_http_cfg_t;

/** What the final response said. Valid after hota_http_request() returned HOTA_OK. */
typedef struct hota_http_resp {
    int status;                     /**< e.g. 200 */
    int http_major, http_minor;     /**< e.g. 1 and 1 */
    hota_http_framing_t framing;    /**< see the file comment */
    int has_length;                 /**< Content-Length was given */
    uint64_t content_length;        /**< its value (0 when none) */
    int keep_alive;                 /**< the server allows another request on the connection */
    char etag[128];                 /**< ETag, "" when absent or longer than the buffer */
    char last_modified[64];         /**< Last-Modified, same rule */
    char content_range[128];        /**< Content-Range, same rule */
    char accept_ranges[32];         /**< Accept-Ranges, same rule */
    char location[HOTA_URL_MAX];    /**< Location, same rule */
    char www_authenticate[512];     /**< WWW-Authenticate (a Digest challenge is preferred when
                                         several are sent), same rule */
} hota_http_resp_t;

/** Progress and timing facts (monotonic microseconds from hota_now_us()). */
typedef struct hota_http_info {
    hota_end_t end;             /**< how the peer ended the connection while we read the current
                                     response; HOTA_END_NONE when the framing ended the body */
    uint64_t body_bytes;        /**< body bytes delivered for the current response */
    uint64_t t_request_us;      /**< the request of the final response was sent */
    uint64_t t_headers_us;      /**< its headers were complete */
    uint64_t t_last_body_us;    /**< the last body byte was parsed (0: none yet) */
    uint64_t t_complete_us;     /**< the body was complete (0: not complete) */
    unsigned redirects;         /**< redirects followed by the last hota_http_request() */
    unsigned connects;          /**< connections opened by this handle */
    unsigned requests;          /**< requests sent by this handle */
    unsigned reused;            /**< requests sent on an already used connection */
} hota_http_info_t;

/** The client. Caller-allocated; fields are private (read them through the functions). */
typedef struct hota_http {
    hota_conn_t conn;
    hota_cf_t *cf;                 /* transport in use; NULL when no connection */
    hota_url_t url;                /* current URL (after redirects) */
    hota_url_origin_t origin;      /* origin of the open connection */
    hota_url_origin_t first;       /* origin of the requested URL (cfg auth goes there only) */
    hota_http_cfg_t cfg;
    hota_http_resp_t resp;
    hota_http_info_t info;
    hota_cf_info_t conn_info;      /* snapshot taken when the connection was closed */
    uint64_t parser[24];           /* llhttp_t storage (kept out of this header) */
    int phase;
    int err;
    int complete;
    int reusable;
    int leftover;
    int status_line_done;
    int headers_done;
    int informational;
    int cb_err;
    int val_field;                 /* index of the resp field the current value goes to; -1 */
    int val_over;                  /* the current value did not fit its field */
    size_t val_len, val_keep;      /* value bytes seen; end of its last non-blank byte */
    size_t name_len;               /* bytes in name; sizeof name: too long, not kept */
    char name[HOTA_HTTP_NAME_BUF]; /* the current header name (pieces joined) */
    uint8_t *out;
    size_t out_len, out_cap;
    size_t head_cap, head_len;     /* max_header_bytes; head bytes received so far */
    size_t pend_off, pend_len;     /* body bytes in io that came with the head */
    uint8_t io[HOTA_HTTP_IO_BUF];
} hota_http_t;

/**
 * @brief Fill cfg with the defaults: zeros, NULLs, range_end UINT64_MAX. Cannot fail.
 * @param cfg the settings to reset.
 */
void hota_http_cfg_init(hota_http_cfg_t *cfg);

/**
 * @brief Prepare a handle. Cannot fail; no allocation.
 * @param h the handle.
 */
void hota_http_init(hota_http_t *h);

/**
 * @brief Send a GET for cfg->url and read the final response's status line and headers.
 *
 * Reuses the open connection when allowed (see the file comment), else opens one (or uses
 * cfg->transport). Sends Host, User-Agent, Accept, Range (when asked), Authorization (Basic,
 * from cfg or URL userinfo), the extra headers and Connection: keep-alive; the whole head is
 * checked before the first byte goes out, then sent in sends of HOTA_HTTP_IO_BUF bytes (one
 * send when it fits). Follows 301, 302, 303,
 * 307 and 308 up to max_redirects (the redirect's body is drained when small and the connection
 * can be reused, else the connection is closed). A request on a reused connection that the
 * server closed before any response byte is retried once on a new connection.
 * Any status is returned as HOTA_OK; the caller judges it (see hota_http_response()).
 * @param h   an initialised handle.
 * @param cfg the settings (copied, see the file comment about lifetimes).
 * @return HOTA_OK with the headers read;
 *         HOTA_E_INVALID_ARG (NULL h, cfg or url; an extra header without ':' or with CR/LF;
 *         a user agent with CR/LF; credentials longer than 255 bytes);
 *         HOTA_E_URL, HOTA_E_URL_SCHEME (cfg->url malformed / not http(s));
 *         HOTA_E_BUFFER_TOO_SMALL (the request head would exceed HOTA_HTTP_REQUEST_MAX:
 *         only possible with long extra headers or user agent; nothing is sent then);
 *         HOTA_E_HEADER_TOO_LONG (response header block over max_header_bytes);
 *         HOTA_E_HTTP_STATUS_LINE (malformed status line); HOTA_E_HTTP_PARSE (other header
 *         syntax, an unrequested 101); HOTA_E_CL_AND_TE; HOTA_E_CL_CONFLICT;
 *         HOTA_E_TRUNCATED (the connection ended inside the headers);
 *         HOTA_E_REDIRECT_LIMIT (more than max_redirects redirects);
 *         HOTA_E_REDIRECT_INSECURE (https to http refused);
 *         HOTA_E_REDIRECT (3xx without a usable Location);
 *         HOTA_E_TIMEOUT; HOTA_E_CLOSE_NOTIFY, HOTA_E_PEER_FIN, HOTA_E_CONN_RESET (the
 *         connection ended before any response byte);
 *         any code of hota_conn_open() (HOTA_E_RESOLVE, HOTA_E_CONNECT, HOTA_E_TLS_*,
 *         HOTA_E_CERT_*, ...) and of hota_cf_send_all() (HOTA_E_SEND, ...).
 */
int hota_http_request(hota_http_t *h, const hota_http_cfg_t *cfg);

/**
 * @brief Read body bytes into buf (decoded: chunk framing removed).
 *
 * Raw bytes are read from the transport into buf itself and the parser moves the body bytes to
 * the front of buf (no other copy, no allocation). Never reads the transport once the body is
 * complete.
 * @param h   a handle whose hota_http_request() succeeded.
 * @param buf destination; cap bytes, all of which may be overwritten.
 * @param cap its size (> 0).
 * @param n   receives the number of body bytes placed at buf[0..n); 0 on any error (bytes
 *            decoded by a failing call are not delivered).
 * @return HOTA_OK with *n > 0 (more may follow; hota_http_body_complete() tells if not);
 *         HOTA_OK with *n == 0: the body is complete;
 *         HOTA_E_INVALID_ARG (NULL n or buf, cap 0); HOTA_E_BAD_STATE (no response headers);
 *         HOTA_E_TRUNCATED (connection ended before the framing said complete, or FIN/reset
 *         on a close-delimited body); HOTA_E_TIMEOUT; HOTA_E_CHUNK_SIZE (invalid or oversized
 *         chunk size); HOTA_E_HTTP_PARSE (other body framing error); a transport error code
 *         (HOTA_E_TLS, HOTA_E_TLS_ALERT, ...). Errors are sticky.
 */
int hota_http_read(hota_http_t *h, uint8_t *buf, size_t cap, size_t *n);

/**
 * @brief 1 when the current response's body is complete (all of it was returned), else 0.
 * @param h the handle.
 */
int hota_http_body_complete(const hota_http_t *h);

/**
 * @brief The final response of the last successful hota_http_request().
 * @param h the handle.
 * @return a pointer into h, valid until the next request or hota_http_init(); never NULL.
 */
const hota_http_resp_t *hota_http_response(const hota_http_t *h);

/**
 * @brief The authentication challenge of the final response (WWW-Authenticate; with several,
 *        the first Digest one, else the last one).
 * @param h the handle.
 * @return a pointer into h (valid as for hota_http_response()), or NULL when none was sent.
 */
const char *hota_http_www_authenticate(const hota_http_t *h);

/**
 * @brief The URL of the final response: the request's URL after the redirects followed.
 * @param h a handle whose hota_http_request() succeeded.
 * @return a pointer into h (valid as for hota_http_response()); never NULL.
 */
const hota_url_t *hota_http_url(const hota_http_t *h);

/**
 * @brief Copy the progress and timing facts.
 * @param h    the handle.
 * @param info receives them.
 */
void hota_http_get_info(const hota_http_t *h, hota_http_info_t *info);

/**
 * @brief Facts of the connection (TLS version, cipher, close_notify sent/received, bytes):
 *        live when a connection is open, else as recorded when it was last closed.
 * @param h    the handle.
 * @param info receives them (zeros when there never was a connection).
 */
void hota_http_conn_info(const hota_http_t *h, hota_cf_info_t *info);

/**
 * @brief Close the connection: hota_conn_close() (our close_notify is always sent on TLS, then
 *        FIN, waiting at most close_wait_ms for the peer); with cfg.transport, the filter is
 *        shut down and closed the same way. The response facts stay readable.
 * @param h the handle.
 * @return HOTA_OK (also when no connection was open) or the close's error code.
 */
int hota_http_close(hota_http_t *h);

/**
 * @brief Close (as hota_http_close()) and release everything. Safe to call twice and right
 *        after hota_http_init().
 * @param h the handle.
 */
void hota_http_free(hota_http_t *h);

/**
 * @brief Name of a framing: "none", "content-length", "chunked", "close".
 * @param f the framing.
 * @return a static string.
 */
const char *hota_http_framing_name(hota_http_framing_t f);

#ifdef __cplusplus
}
#endif
#endif
