/**
 * @file url.h
 * @brief http/https URL parsing into fixed-size buffers, and resolution of redirect targets.
 *
 * Accepted form: `scheme://[user[:pass]@]host[:port][/path][?query][#fragment]` with scheme
 * `http` or `https` (any case); host is a DNS name, a dotted IPv4 address or a bracketed IPv6
 * literal. The fragment is dropped. Every part has a fixed cap (HOTA_URL_*_MAX); a longer part
 * makes the URL malformed. Bytes outside printable ASCII, spaces, and CR/LF are refused anywhere,
 * so a parsed path can be written into a request line as is.
 */
#ifndef HOTA_URL_H
#define HOTA_URL_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define HOTA_URL_HOST_MAX 256  /**< host buffer, including the terminating NUL */
#define HOTA_URL_PATH_MAX 2048 /**< path + query buffer, including the terminating NUL */
#define HOTA_URL_USER_MAX 128  /**< decoded user name buffer, including the NUL */
#define HOTA_URL_PASS_MAX 128  /**< decoded password buffer, including the NUL */
#define HOTA_URL_MAX 2600      /**< longest URL text accepted (and produced by hota_url_format) */

/** A parsed URL. Plain data: copy it freely. */
typedef struct hota_url {
    int tls;                          /**< 1 for https, 0 for http */
    char host[HOTA_URL_HOST_MAX];     /**< name or address; IPv6 without brackets */
    uint16_t port;                    /**< explicit port or the default (80 / 443) */
    int port_explicit;                /**< the URL named a port */
    char path[HOTA_URL_PATH_MAX];     /**< "/..." with the query, never empty */
    int has_userinfo;                 /**< user (and maybe password) were given */
    char user[HOTA_URL_USER_MAX];     /**< percent-decoded */
    char pass[HOTA_URL_PASS_MAX];     /**< percent-decoded, empty when none */
} hota_url_t;

/** The origin of a URL: scheme, host and port only (what a connection is keyed by). */
typedef struct hota_url_origin {
    int tls;                          /**< 1 for https, 0 for http */
    uint16_t port;                    /**< explicit or default port */
    char host[HOTA_URL_HOST_MAX];     /**< as in hota_url_t::host */
} hota_url_origin_t;

/**
 * @brief Parse an absolute http or https URL.
 * @param u   receives the parts; fully overwritten (zeroed first) on every call.
 * @param text NUL-terminated URL.
 * @return HOTA_OK;
 *         HOTA_E_URL_SCHEME when the scheme is well formed but not http/https;
 *         HOTA_E_URL for anything malformed (no scheme, empty or invalid host, bad port,
 *         forbidden characters, bad percent escape, a part over its cap);
 *         HOTA_E_INVALID_ARG when u or text is NULL.
 */
int hota_url_parse(hota_url_t *u, const char *text);

/**
 * @brief Resolve a redirect target (a Location value) against the URL it came from.
 *
 * Handles absolute URLs, scheme-relative `//host/path`, absolute paths `/p`, query-only `?q`
 * and relative paths (merged with the base directory, `.` and `..` segments removed).
 * Userinfo of the base is not carried over to another origin.
 * @param out  the resolved URL (may be the same object as base).
 * @param base the URL the response came from.
 * @param ref  NUL-terminated reference.
 * @return HOTA_OK; HOTA_E_URL / HOTA_E_URL_SCHEME as for hota_url_parse; HOTA_E_INVALID_ARG
 *         for NULL arguments.
 */
int hota_url_resolve(hota_url_t *out, const hota_url_t *base, const char *ref);

/**
 * @brief Write the Host header value: host (bracketed when IPv6) plus ":port" when the port
 *        is not the scheme's default.
 * @return HOTA_OK, HOTA_E_BUFFER_TOO_SMALL when cap is too small (buf then holds "").
 */
int hota_url_host_header(const hota_url_t *u, char *buf, size_t cap);

/**
 * @brief Write the URL back as text (without userinfo).
 * @return HOTA_OK, HOTA_E_BUFFER_TOO_SMALL when cap is too small (buf then holds "").
 */
int hota_url_format(const hota_url_t *u, char *buf, size_t cap);

/** @brief 1 when a and b have the same scheme, host (case-insensitive) and port. */
int hota_url_same_origin(const hota_url_t *a, const hota_url_t *b);

/**
 * @brief Take the origin (scheme, host, port) of a URL. Cannot fail.
 * @param o receives it (fully overwritten).
 * @param u the URL.
 */
void hota_url_origin_of(hota_url_origin_t *o, const hota_url_t *u);

/** @brief 1 when u has the origin o: same scheme, host (case-insensitive) and port. */
int hota_url_is_origin(const hota_url_origin_t *o, const hota_url_t *u);

#ifdef __cplusplus
}
#endif
#endif
