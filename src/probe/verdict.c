/* Verdicts for ESP-IDF v5.3.1 and older and for hota's own client, and advice lines.
 *
 * ESP-IDF <= v5.3.1 (esp_http_client on esp-tls): a body without length or chunks ends only
 * when TCP ends (FIN, or a read error); the TLS close_notify is ignored and the client never
 * sends its own. So a close-delimited body followed by close_notify with TCP held open never
 * ends for it (it hangs as long as the server holds); a FIN ends it (with or without
 * close_notify before); a reset is a read error. A framed body ends at its framing. */
#include "probe_int.h"

#include "hota/error.h"

#include <stdarg.h>
#include <stdio.h>

__attribute__((format(printf, 2, 3))) static void advise(hota_probe_report_t *r,
                                                         const char *fmt, ...)
{
    va_list ap;
    if (r->advice_count >= HOTA_PROBE_MAX_ADVICE)
        return;
    va_start(ap, fmt);
    vsnprintf(r->advice[r->advice_count++], HOTA_PROBE_ADVICE_LEN, fmt, ap);
    va_end(ap);
}

static hota_probe_verdict_t idf_verdict(const hota_probe_report_t *r)
{
    if (r->rc != HOTA_OK)
        return HOTA_PROBE_FAILS;
    if (r->framing != HOTA_HTTP_FRAMING_CLOSE)
        return r->body_rc == HOTA_OK ? HOTA_PROBE_OK : HOTA_PROBE_FAILS;
    if (r->end == HOTA_PROBE_END_CLOSE_NOTIFY_HOLD || r->body_rc == HOTA_E_TIMEOUT)
        return HOTA_PROBE_HANGS;
    if (r->end == HOTA_PROBE_END_CLOSE_NOTIFY_FIN || r->end == HOTA_PROBE_END_FIN)
        return HOTA_PROBE_OK;
    return HOTA_PROBE_FAILS;
}

static void connection_advice(hota_probe_report_t *r)
{
    if (r->rc == HOTA_E_TLS_VERSION)
        advise(r, "enable TLS 1.2: ESP-IDF's mbedTLS client (and hota) need it");
    else if (r->rc == HOTA_E_CERT_EXPIRED)
        advise(r, "renew the server certificate: it is expired or not yet valid");
    else if (r->rc == HOTA_E_CERT_HOSTNAME)
        advise(r, "serve a certificate whose subjectAltName names this host");
    else if (r->rc == HOTA_E_CERT_VERIFY)
        advise(r, "the chain does not verify against the CA bundle: serve the intermediate "
                  "certificates, or give the device (and --ca) the right CA");
    else if (r->rc == HOTA_E_HTTP_STATUS)
        advise(r, "the URL answers %d: serve the image with 200", r->status);
}

static void ending_advice(hota_probe_report_t *r)
{
    if (r->idf_v5_3_1 == HOTA_PROBE_HANGS)
        advise(r, "send Content-Length (HTTP/1.1) or close TCP right after close_notify: "
                  "ESP-IDF <= v5.3.1 waits for FIN and never sends close_notify");
    else if (r->framing == HOTA_HTTP_FRAMING_CLOSE)
        advise(r, "send Content-Length or chunked encoding: a body ended only by the "
                  "connection end cannot be told from a cut one");
    if (r->framing == HOTA_HTTP_FRAMING_CLOSE && r->end == HOTA_PROBE_END_FIN)
        advise(r, "send close_notify before FIN: a close-delimited body ended by FIN alone "
                  "looks truncated (hota refuses it)");
    if (r->end == HOTA_PROBE_END_RESET)
        advise(r, "end connections gracefully (close_notify, then FIN), not with a reset");
    if (r->framing != HOTA_HTTP_FRAMING_CLOSE && r->body_rc != HOTA_OK)
        advise(r, "the body ended before its framing was complete (%s)",
               hota_errname(r->body_rc));
}

static void resource_advice(hota_probe_report_t *r)
{
    if (!r->range)
        advise(r, "support byte ranges (206 with Content-Range and Content-Length) so "
                  "interrupted downloads can resume");
    else if (!r->resume)
        advise(r, "send Content-Length with 206 responses so a resumed download knows its end");
    if (r->range && r->range_unsat.tried && r->range_unsat.status != 416)
        advise(r, "answer a range past the end with 416 (got %d)", r->range_unsat.status);
    if (!r->etag[0] && !r->last_modified[0])
        advise(r, "send ETag or Last-Modified so a resumed download can tell the file "
                  "did not change");
    if (r->image_checked && !r->esp_image)
        advise(r, "the body is not an ESP app image (%s): check the URL",
               hota_errname(r->image_rc));
}

static void tls_advice(hota_probe_report_t *r)
{
    if (!r->tls)
        advise(r, "use https: the image travels unprotected over http");
    if (r->cert_count > 0 && (r->chain[0].expired || r->chain[0].not_yet_valid))
        advise(r, "renew the server certificate (valid %s to %s)", r->chain[0].not_before,
               r->chain[0].not_after);
    if (r->cert_count > 0 && !r->san_match)
        advise(r, "the certificate does not name this host in its subjectAltName");
    if (r->mfl_tried && (r->mfl_rc != HOTA_OK || r->mfl_accepted == 0))
        advise(r, "accept the TLS max_fragment_length extension: devices with small TLS "
                  "buffers offer it");
}

void probe_verdicts(hota_probe_t *p)
{
    hota_probe_report_t *r = &p->rep;
    r->idf_v5_3_1 = idf_verdict(r);
    r->hota = r->rc == HOTA_OK && r->body_rc == HOTA_OK ? HOTA_PROBE_OK : HOTA_PROBE_FAILS;
    r->advice_count = 0;
    if (r->rc != HOTA_OK && r->rc != HOTA_E_HTTP_STATUS) {
        connection_advice(r);
        return;
    }
    connection_advice(r);
    if (r->rc == HOTA_OK) {
        ending_advice(r);
        resource_advice(r);
    }
    tls_advice(r);
}
