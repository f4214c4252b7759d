/* The server's certificate chain and the max_fragment_length handshake.
 *
 * conn.h has no accessor for the peer certificate, so probe_peer_capture() (and only it) reads
 * the mbedTLS context of the connection's TLS filter, while the connection is open. The
 * mbedTLS 2.28 client keeps no record of whether the server echoed max_fragment_length, so
 * its effect is measured on the records instead. */
#include "probe_int.h"

#include "hota/error.h"
#include "hota/net.h"

#include <mbedtls/oid.h>
#include <mbedtls/x509.h>
#include <mbedtls/x509_crt.h>

#include <ctype.h>
#include <stdio.h>
#include <string.h>

#define SAN_TAG_DNS (MBEDTLS_ASN1_CONTEXT_SPECIFIC | 2)
#define SAN_TAG_IP (MBEDTLS_ASN1_CONTEXT_SPECIFIC | 7)

static void fmt_time(char *out, size_t cap, const mbedtls_x509_time *t)
{
    snprintf(out, cap, "%04d-%02d-%02d %02d:%02d:%02d", t->year, t->mon, t->day, t->hour,
             t->min, t->sec);
}

static void fill_cert(hota_probe_cert_t *c, const mbedtls_x509_crt *crt)
{
    if (mbedtls_x509_dn_gets(c->subject, sizeof c->subject, &crt->subject) < 0)
        c->subject[0] = '\0';
    if (mbedtls_x509_dn_gets(c->issuer, sizeof c->issuer, &crt->issuer) < 0)
        c->issuer[0] = '\0';
    fmt_time(c->not_before, sizeof c->not_before, &crt->valid_from);
    fmt_time(c->not_after, sizeof c->not_after, &crt->valid_to);
    c->expired = mbedtls_x509_time_is_past(&crt->valid_to);
    c->not_yet_valid = mbedtls_x509_time_is_future(&crt->valid_from);
}

/* Case-insensitive DNS name match; "*." covers exactly one leftmost label. */
static int dns_match(const unsigned char *pat, size_t len, const char *host)
{
    size_t hl = strlen(host);
    if (len > 2 && pat[0] == '*' && pat[1] == '.') {
        const char *dot = strchr(host, '.');
        if (!dot || dot == host)
            return 0;
        host = dot;
        hl = strlen(host);
        pat++;
        len--;
    }
    if (len != hl)
        return 0;
    for (size_t i = 0; i < len; i++)
        if (tolower(pat[i]) != tolower((unsigned char)host[i]))
            return 0;
    return 1;
}

static int cn_match(const mbedtls_x509_crt *crt, const char *host)
{
    for (const mbedtls_x509_name *n = &crt->subject; n; n = n->next)
        if (n->oid.p && MBEDTLS_OID_CMP(MBEDTLS_OID_AT_CN, &n->oid) == 0 &&
            dns_match(n->val.p, n->val.len, host))
            return 1;
    return 0;
}

/* The leaf names host: a dNSName (or iPAddress for a literal); CN only without SANs. */
static int san_match(const mbedtls_x509_crt *crt, const char *host)
{
    uint8_t ip[16];
    size_t ip_len = 0;
    int is_ip = hota_net_parse_ip(host, ip, &ip_len) == HOTA_OK;
    int any = 0;
    for (const mbedtls_x509_sequence *s = &crt->subject_alt_names; s && s->buf.p; s = s->next) {
        any = 1;
        if (is_ip && s->buf.tag == SAN_TAG_IP && s->buf.len == ip_len &&
            memcmp(s->buf.p, ip, ip_len) == 0)
            return 1;
        if (!is_ip && s->buf.tag == SAN_TAG_DNS && dns_match(s->buf.p, s->buf.len, host))
            return 1;
    }
    return !any && !is_ip && cn_match(crt, host);
}

void probe_peer_capture(hota_probe_t *p)
{
    mbedtls_x509_crt chain;
    const mbedtls_x509_crt *crt;
    size_t len = 0;
    int i = 0;
    p->rep.cert_verified = !p->cfg.tls.insecure;
    mbedtls_x509_crt_init(&chain);
    /* the chain as DER through the backend-neutral accessor; p->buf is free before the body */
    for (size_t k = 0; k < HOTA_PROBE_MAX_CHAIN &&
                       hota_tls_peer_cert(&p->conn.tls, k, p->buf, sizeof p->buf, &len) == HOTA_OK;
         k++)
        (void)mbedtls_x509_crt_parse_der(&chain, p->buf, len);
    crt = &chain;
    if (crt->raw.p) {
        p->rep.san_match = san_match(crt, p->cfg.tls.server_name ? p->cfg.tls.server_name
                                                                 : p->url.host);
        for (; crt && crt->raw.p && i < HOTA_PROBE_MAX_CHAIN; crt = crt->next, i++)
            fill_cert(&p->rep.chain[i], crt);
        p->rep.cert_count = i;
    }
    mbedtls_x509_crt_free(&chain);
}

/* Largest body piece one read returns on the max_fragment_length connection: mbedTLS returns
 * at most one record per read, so a piece above HOTA_PROBE_MFL proves the server ignored the
 * extension, and pieces that all stay within it over PROBE_MFL_SAMPLE bytes show it honoured. */
static void sample_records(hota_probe_t *p)
{
    hota_http_cfg_t hc;
    uint64_t seen = 0;
    probe_http_cfg(p, &hc, hota_conn_cf(&p->conn));
    if (hota_http_request(&p->http, &hc) != HOTA_OK)
        return;
    while (seen < PROBE_MFL_SAMPLE) {
        size_t n = 0;
        if (hota_http_read(&p->http, p->buf, sizeof p->buf, &n) != HOTA_OK || n == 0)
            break;
        seen += n;
        if (n > p->rep.mfl_max_record)
            p->rep.mfl_max_record = (uint32_t)n;
    }
    if (p->rep.mfl_max_record > HOTA_PROBE_MFL)
        p->rep.mfl_accepted = 0;
    else if (seen >= PROBE_MFL_SAMPLE)
        p->rep.mfl_accepted = 1;
}

void probe_mfl(hota_probe_t *p)
{
    if (!p->url.tls)
        return;
    p->rep.mfl_tried = 1;
    p->rep.mfl_accepted = -1;
    p->rep.mfl_rc = probe_open(p, HOTA_PROBE_MFL);
    if (p->rep.mfl_rc == HOTA_OK)
        sample_records(p);
    hota_http_free(&p->http);
    hota_conn_free(&p->conn);
    hota_http_init(&p->http);
}
