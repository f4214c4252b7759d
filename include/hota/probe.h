/**
 * @file probe.h
 * @brief Probe an update server: connect as an update would, and report what a device will
 *        meet there (TLS, certificate, framing, how the connection ends, keep-alive, byte
 *        ranges, the served image) with a verdict for ESP-IDF v5.3.1 and older.
 *
 * One run makes, one after another (never two connections at once, since simple servers such
 * as `openssl s_server -WWW` serve one connection at a time):
 *  1. the main GET on its own connection (redirects followed hop by hop, each hop on a new
 *     connection): the body is read to its end; the first HOTA_PROBE_IMAGE_PEEK bytes (all of
 *     them with cfg.full) go through the streaming image verifier. After the body the
 *     connection is watched, without sending anything, for at most cfg.end_wait_ms: that
 *     tells the ending (see hota_probe_end_t). After a close_notify with TCP held, our own
 *     close_notify (and FIN, as every hota close) is sent and the server is watched for
 *     cfg.end_wait_ms more: closing then means it waits for the client's close_notify.
 *     When the connection stayed open, a second request (Range: bytes=0-15) goes on it;
 *  2. Range requests on fresh connections: bytes=0-15 (unless already done), a 16-byte range
 *     in the middle, and one starting at the resource's length (unsatisfiable);
 *  3. a second TLS handshake offering max_fragment_length (HOTA_PROBE_MFL bytes), then a GET
 *     on it whose record sizes (at most 64 KiB of body read) show whether the server keeps
 *     to the length.
 * Every wait is bounded by cfg.timeout_ms or cfg.end_wait_ms.
 *
 * Lifetime: hota_probe_t is large (two HTTP handles, a connection, the image verifier) and
 * caller-allocated; hota_probe_init() once, hota_probe_run() (any number of times), then
 * hota_probe_free(). The report stays valid until the next run or free. The strings of the
 * configuration are borrowed during hota_probe_run() only.
 */
#ifndef HOTA_PROBE_H
#define HOTA_PROBE_H

#include <stddef.h>
#include <stdint.h>

#include "hota/conn.h"
#include "hota/http.h"
#include "hota/image.h"
#include "hota/tls.h"
#include "hota/url.h"

#ifdef __cplusplus
extern "C" {
#endif

#define HOTA_PROBE_IMAGE_PEEK 4096u      /**< body bytes verified without cfg.full */
#define HOTA_PROBE_MFL 4096u             /**< max_fragment_length offered in step 3 */
#define HOTA_PROBE_DEFAULT_TIMEOUT_MS 5000u  /**< cfg.timeout_ms when 0 */
#define HOTA_PROBE_DEFAULT_END_WAIT_MS 1500u /**< cfg.end_wait_ms when 0 */
#define HOTA_PROBE_MAX_BODY (64ull << 20) /**< the main body is read at most this far */
#define HOTA_PROBE_MAX_CHAIN 4           /**< certificates summarised */
#define HOTA_PROBE_MAX_ADVICE 8          /**< advice lines */
#define HOTA_PROBE_ADVICE_LEN 200        /**< per advice line, with the NUL */
#define HOTA_PROBE_RANGE_LEN 16u         /**< bytes asked for by each satisfiable range */

/** How the server ended the connection after the body. */
typedef enum hota_probe_end {
    HOTA_PROBE_END_UNKNOWN = 0,   /**< not observed (the request failed, unexpected bytes) */
    HOTA_PROBE_END_CLOSE_NOTIFY_HOLD, /**< close_notify, TCP held open past the bound */
    HOTA_PROBE_END_CLOSE_NOTIFY_FIN,  /**< close_notify, then FIN within the bound */
    HOTA_PROBE_END_FIN,           /**< FIN without close_notify */
    HOTA_PROBE_END_RESET,         /**< connection reset */
    HOTA_PROBE_END_KEEP_ALIVE,    /**< framed body, nothing within the bound */
} hota_probe_end_t;

/** Verdict for a client family. */
typedef enum hota_probe_verdict {
    HOTA_PROBE_OK = 0,   /**< the update completes */
    HOTA_PROBE_HANGS,    /**< the client waits for an end that never comes */
    HOTA_PROBE_FAILS,    /**< the client reports an error */
} hota_probe_verdict_t;

/** Settings. Zero means default for every number. */
typedef struct hota_probe_cfg {
    const char *url;          /**< http:// or https:// URL of the image */
    hota_tls_cfg_t tls;       /**< CA, client certificate, insecure (max_frag_len ignored) */
    uint32_t timeout_ms;      /**< connect, handshake and every read (0: 5000) */
    uint32_t end_wait_ms;     /**< the bound of each end observation (0: 1500) */
    int full;                 /**< 1: verify the whole body (checksum, hash, signatures) */
} hota_probe_cfg_t;

/** One certificate of the chain the server sent. */
typedef struct hota_probe_cert {
    char subject[256];
    char issuer[256];
    char not_before[24];      /**< "YYYY-MM-DD HH:MM:SS" (UTC) */
    char not_after[24];
    int expired;              /**< not_after is in the past */
    int not_yet_valid;        /**< not_before is in the future */
} hota_probe_cert_t;

/** Outcome of one Range request. */
typedef struct hota_probe_range {
    int tried;                /**< the request was made */
    int rc;                   /**< its result (HOTA_OK when a response arrived) */
    int status;               /**< response status (0: none) */
    uint64_t start, end;      /**< the range asked for (end inclusive; UINT64_MAX: open) */
    char content_range[128];  /**< Content-Range as sent, "" when absent */
    int has_length;           /**< the 206 had a Content-Length */
    int correct;              /**< 206, Content-Range matches, right length and bytes */
} hota_probe_range_t;

/** Everything a run found. Strings are "" when unknown. */
typedef struct hota_probe_report {
    int rc;                   /**< the run's result (see hota_probe_run) */
    char final_url[HOTA_URL_MAX]; /**< after redirects */
    unsigned redirects;
    /* TLS (empty/zero for http://) */
    int tls;                  /**< the final URL is https */
    char tls_version[16];
    char cipher[64];
    int cert_verified;        /**< the chain and host were verified (not --insecure) */
    int cert_count;           /**< certificates in chain[] */
    hota_probe_cert_t chain[HOTA_PROBE_MAX_CHAIN];
    int san_match;            /**< the leaf names the host (dNSName, wildcard, iPAddress, CN) */
    int mfl_tried;            /**< step 3 ran */
    int mfl_rc;               /**< its handshake result */
    int mfl_accepted;         /**< 1: records stayed within HOTA_PROBE_MFL over 64 KiB of body;
                                   0: a larger record came; -1: unknown (body too small) */
    uint32_t mfl_max_record;  /**< largest body piece one read returned on that connection */
    /* HTTP */
    int status;               /**< main response status (0: none) */
    int http_major, http_minor;
    hota_http_framing_t framing;
    int has_length;
    uint64_t content_length;
    uint64_t body_bytes;      /**< main body bytes read */
    int body_rc;              /**< how reading the main body ended (HOTA_OK: complete) */
    hota_probe_end_t end;
    int waits_for_close_notify; /**< closed TCP right after our close_notify */
    int keep_alive_tried;     /**< the connection stayed open and a second request was sent */
    int keep_alive_reuse;     /**< that second request was answered on the same connection */
    char etag[128];
    char last_modified[64];
    char accept_ranges[32];
    hota_probe_range_t range_first, range_mid, range_unsat;
    int range;                /**< correct 206 for both satisfiable ranges */
    int resume;               /**< range, and the 206 responses carry Content-Length */
    /* image */
    int image_checked;        /**< at least the image header was fed */
    int esp_image;            /**< the body is an ESP app image (as far as verified) */
    int image_rc;             /**< verifier result (HOTA_OK, or what was wrong) */
    int image_full;           /**< the whole body was verified */
    int image_complete;       /**< full: the image ended where its layout says */
    uint64_t image_bytes;     /**< bytes fed to the verifier */
    hota_image_info_t image;  /**< what the verifier learnt */
    /* verdicts */
    hota_probe_verdict_t idf_v5_3_1; /**< ESP-IDF v5.3.1 and older (esp_https_ota) */
    hota_probe_verdict_t hota;       /**< hota's own client */
    int advice_count;
    char advice[HOTA_PROBE_MAX_ADVICE][HOTA_PROBE_ADVICE_LEN];
} hota_probe_report_t;

/** The prober. Caller-allocated; fields are private. */
typedef struct hota_probe {
    hota_probe_cfg_t cfg;     /* copy, defaults filled in */
    hota_probe_report_t rep;
    hota_url_t url;           /* current URL */
    char url_text[HOTA_URL_MAX];
    hota_conn_t conn;         /* the main connection (and the max_fragment_length one) */
    hota_http_t http;         /* requests on conn */
    hota_http_t aux;          /* range requests on their own connections */
    hota_image_verifier_t verifier;
    uint8_t head[HOTA_PROBE_RANGE_LEN]; /* main body bytes [0, 16) */
    uint8_t mid[HOTA_PROBE_RANGE_LEN];  /* main body bytes [length / 2, + 16) */
    size_t head_len, mid_len;
    uint8_t buf[16384];       /* body reads */
} hota_probe_t;

/** @brief Defaults: zeros and NULLs. Cannot fail. */
void hota_probe_cfg_init(hota_probe_cfg_t *cfg);

/** @brief Prepare a prober. Cannot fail; no allocation. */
void hota_probe_init(hota_probe_t *p);

/**
 * @brief Probe cfg->url (see the file comment for the steps) and fill the report.
 *
 * Steps after the main request run whenever it got a response; a failing later step is
 * recorded in its own report fields and does not change the result.
 * @param p   an initialised prober.
 * @param cfg the settings (copied; strings borrowed for the call).
 * @return HOTA_OK when the main request got a 2xx response (whatever the verdicts);
 *         HOTA_E_INVALID_ARG (NULL p, cfg or url); HOTA_E_HTTP_STATUS (a response outside
 *         2xx); HOTA_E_REDIRECT_LIMIT (more than 10 redirects); HOTA_E_REDIRECT (3xx without
 *         a usable Location); HOTA_E_REDIRECT_INSECURE (https to http); any code of
 *         hota_url_parse(), hota_conn_open() (HOTA_E_CONNECT, HOTA_E_TLS_VERSION,
 *         HOTA_E_CERT_*, ...) and hota_http_request() for the main request.
 *         The same code is in the report's rc.
 */
int hota_probe_run(hota_probe_t *p, const hota_probe_cfg_t *cfg);

/** @brief The report of the last run (zeros before any). Valid until the next run or free. */
const hota_probe_report_t *hota_probe_report(const hota_probe_t *p);

/** @brief Close whatever is open and release everything. Safe twice and right after init. */
void hota_probe_free(hota_probe_t *p);

/**
 * @brief Name of an ending: "unknown", "close_notify_hold", "close_notify_fin", "fin",
 *        "reset", "keep_alive".
 */
const char *hota_probe_end_name(hota_probe_end_t e);

/** @brief Name of a verdict: "ok", "hangs", "fails". */
const char *hota_probe_verdict_name(hota_probe_verdict_t v);

#ifdef __cplusplus
}
#endif
#endif /* HOTA_PROBE_H */
