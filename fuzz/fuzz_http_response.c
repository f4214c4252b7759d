/* Fuzz target: an HTTP response stream (status line, headers, chunked or length or
 * close-delimited body, redirects, 1xx) read by hota_http_request() and hota_http_read()
 * through the in-memory transport.
 *
 * Input: 4 control bytes, then the server's bytes.
 *   byte 0: transport delivery size per recv (0: all at once, else 1..255)
 *   byte 1: bits 0-1 the end after the input (close_notify, FIN, reset, timeout);
 *           bits 2-3 redirects allowed (-1, 0 = default, 1, 3); bit 4 a Range request;
 *           bit 5 a small header limit (256 bytes)
 *   byte 2: read buffer size (1..256)
 *   byte 3: reserved for later choices (ignored)
 * Properties: the read loop ends; a complete body is only reported with HOTA_OK; body bytes
 * delivered never exceed the input; errors are sticky. */
#include "fuzz_util.h"

#include "hota/error.h"
#include "hota/http.h"
#include "hota/transport_mem.h"

#include <string.h>

static const int ends[4] = {HOTA_E_CLOSE_NOTIFY, HOTA_E_PEER_FIN, HOTA_E_CONN_RESET,
                            HOTA_E_TIMEOUT};
static const int redirects[4] = {-1, 0, 1, 3};

static void setup_cfg(hota_http_cfg_t *cfg, uint8_t flags, hota_cf_t *cf)
{
    hota_http_cfg_init(cfg);
    cfg->url = "http://fuzz.invalid:8080/image.bin";
    cfg->transport = cf;
    cfg->io_timeout_ms = 1;
    cfg->connect_timeout_ms = 1;
    cfg->close_wait_ms = 1;
    cfg->max_redirects = redirects[(flags >> 2) & 3];
    cfg->has_range = (flags >> 4) & 1;
    cfg->range_start = 100;
    cfg->max_header_bytes = (flags >> 5) & 1 ? 256 : 0;
}

static void read_body(hota_http_t *h, size_t cap, size_t in_len)
{
    uint8_t buf[256];
    uint64_t total = 0;
    int rc = HOTA_OK;
    /* Each successful call consumes at least one input byte or completes: bound the loop. */
    for (size_t iter = 0; iter <= in_len + 2; iter++) {
        size_t n = 1234;
        rc = hota_http_read(h, buf, cap, &n);
        if (rc != HOTA_OK) {
            FUZZ_ASSERT(n == 0);
            break;
        }
        FUZZ_ASSERT(n <= cap);
        if (n == 0) {
            FUZZ_ASSERT(hota_http_body_complete(h));
            break;
        }
        total += n;
        FUZZ_ASSERT(total <= in_len);
    }
    FUZZ_ASSERT(rc != HOTA_OK || hota_http_body_complete(h));
    if (rc != HOTA_OK) {
        size_t n = 1;
        FUZZ_ASSERT(hota_http_read(h, buf, cap, &n) == rc); /* sticky */
        FUZZ_ASSERT(!hota_http_body_complete(h) || rc == HOTA_OK);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static hota_http_t h; /* large: keep it off the stack */
    static uint8_t sent[8192];
    fuzz_in_t in = {data, size};
    uint8_t chunk = fuzz_u8(&in), flags = fuzz_u8(&in), cap = fuzz_u8(&in);
    hota_mem_cf_t m;
    hota_http_cfg_t cfg;
    (void)fuzz_u8(&in);
    hota_mem_cf_init(&m, in.len ? in.p : NULL, in.len, ends[flags & 3], sent, sizeof sent);
    m.max_chunk = chunk;
    setup_cfg(&cfg, flags, &m.cf);
    hota_http_init(&h);
    if (hota_http_request(&h, &cfg) == HOTA_OK) {
        const hota_http_resp_t *r = hota_http_response(&h);
        FUZZ_ASSERT(r->status >= 100 && r->status <= 999);
        FUZZ_ASSERT(memchr(r->etag, 0, sizeof r->etag) != NULL);
        FUZZ_ASSERT(memchr(r->location, 0, sizeof r->location) != NULL);
        read_body(&h, (size_t)cap % 256 + 1, in.len);
    }
    hota_http_free(&h);
    hota_http_free(&h); /* safe twice */
    FUZZ_ASSERT(m.in_pos <= m.in_len);
    return 0;
}
