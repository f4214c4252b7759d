/* HTTP Digest access authentication (RFC 7616 with MD5, qop=auth; RFC 2069 without qop). */
#include "ota_int.h"

#include "hota/error.h"

#include <mbedtls/md5.h>
#include <strings.h>
#include <stdio.h>
#include <string.h>

#define PARAM_MAX 256

/* Copy parameter `key` of a challenge ("Digest k=v, k2=\"v2\"") into out. */
static int param(const char *ch, const char *key, char *out, size_t cap)
{
    size_t klen = strlen(key);
    const char *p = ch + 6; /* after "Digest" */
    while (*p) {
        size_t n = 0;
        int quoted;
        while (*p == ' ' || *p == ',' || *p == '\t')
            p++;
        const char *name = p;
        while (*p && *p != '=' && *p != ',')
            p++;
        if (*p != '=')
            continue;
        int match = (size_t)(p - name) == klen && strncasecmp(name, key, klen) == 0;
        p++;
        quoted = *p == '"';
        p += quoted;
        while (*p && (quoted ? *p != '"' : (*p != ',' && *p != ' '))) {
            if (quoted && *p == '\\' && p[1])
                p++;
            if (match && n + 1 < cap)
                out[n++] = *p;
            p++;
        }
        p += quoted && *p == '"';
        if (match) {
            out[n] = 0;
            return HOTA_OK;
        }
    }
    return HOTA_E_NOT_FOUND;
}

/* Lower-case hex MD5 of the concatenation of parts separated by ':'. */
static void md5_hex(const char *const *parts, size_t n, char out[33])
{
    mbedtls_md5_context c;
    uint8_t d[16];
    mbedtls_md5_init(&c);
    mbedtls_md5_starts_ret(&c);
    for (size_t i = 0; i < n; i++) {
        if (i)
            mbedtls_md5_update_ret(&c, (const uint8_t *)":", 1);
        mbedtls_md5_update_ret(&c, (const uint8_t *)parts[i], strlen(parts[i]));
    }
    mbedtls_md5_finish_ret(&c, d);
    mbedtls_md5_free(&c);
    for (int i = 0; i < 16; i++)
        snprintf(out + 2 * i, 3, "%02x", d[i]);
}

/* 1 when the qop list offers "auth". */
static int offers_auth(const char *qop)
{
    for (const char *p = qop; (p = strstr(p, "auth")) != NULL; p += 4)
        if ((p == qop || p[-1] == ',' || p[-1] == ' ') && (p[4] == 0 || p[4] == ',' || p[4] == ' '))
            return 1;
    return 0;
}

int ota_digest_header(const char *challenge, const char *user, const char *pass,
                      const char *method, const char *uri, const char *cnonce, char *out,
                      size_t cap)
{
    char realm[PARAM_MAX], nonce[PARAM_MAX], opaque[PARAM_MAX] = "", qop[64] = "",
         alg[32] = "MD5", ha1[33], ha2[33], resp[33], extra[PARAM_MAX + 16] = "";
    int n, with_qop;
    if (strncasecmp(challenge, "Digest", 6) != 0 ||
        param(challenge, "realm", realm, sizeof realm) != HOTA_OK ||
        param(challenge, "nonce", nonce, sizeof nonce) != HOTA_OK)
        return HOTA_E_HTTP_AUTH;
    param(challenge, "opaque", opaque, sizeof opaque);
    param(challenge, "qop", qop, sizeof qop);
    param(challenge, "algorithm", alg, sizeof alg);
    if (strcasecmp(alg, "MD5") != 0 || (qop[0] && !offers_auth(qop)))
        return HOTA_E_UNSUPPORTED;
    with_qop = qop[0] != 0;
    md5_hex((const char *const[]){user, realm, pass}, 3, ha1);
    md5_hex((const char *const[]){method, uri}, 2, ha2);
    if (with_qop)
        md5_hex((const char *const[]){ha1, nonce, "00000001", cnonce, "auth", ha2}, 6, resp);
    else
        md5_hex((const char *const[]){ha1, nonce, ha2}, 3, resp);
    if (opaque[0])
        snprintf(extra, sizeof extra, ", opaque=\"%s\"", opaque);
    n = snprintf(out, cap,
                 "Authorization: Digest username=\"%s\", realm=\"%s\", nonce=\"%s\", "
                 "uri=\"%s\", algorithm=MD5, response=\"%s\"%s%s%s%s",
                 user, realm, nonce, uri, resp, with_qop ? ", qop=auth, nc=00000001, cnonce=\"" : "",
                 with_qop ? cnonce : "", with_qop ? "\"" : "", extra);
    return n < 0 || (size_t)n >= cap ? HOTA_E_BUFFER_TOO_SMALL : HOTA_OK;
}
