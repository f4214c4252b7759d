/* The generic filter calls: dispatch through each filter's type table. */
#include "hota/error.h"
#include "hota/port.h"
#include "hota/transport.h"

#include <string.h>

int hota_cf_connect(hota_cf_t *cf, uint32_t timeout_ms)
{
    int rc;
    if (!cf || !cf->type)
        return HOTA_E_INVALID_ARG;
    if (cf->next) {
        rc = hota_cf_connect(cf->next, timeout_ms);
        if (rc != HOTA_OK)
            return rc;
    }
    return cf->type->connect ? cf->type->connect(cf, timeout_ms) : HOTA_OK;
}

int hota_cf_send_all(hota_cf_t *cf, const uint8_t *buf, size_t len, uint32_t timeout_ms)
{
    size_t done = 0;
    if (!cf || !cf->type || !cf->type->send || (!buf && len))
        return HOTA_E_INVALID_ARG;
    while (done < len) {
        size_t n = 0;
        int rc = cf->type->send(cf, buf + done, len - done, &n, timeout_ms);
        if (rc != HOTA_OK)
            return rc;
        if (n == 0 || n > len - done)
            return HOTA_E_INTERNAL;
        done += n;
    }
    return HOTA_OK;
}

int hota_cf_recv(hota_cf_t *cf, uint8_t *buf, size_t cap, size_t *nread, uint32_t timeout_ms)
{
    if (nread)
        *nread = 0;
    if (!cf || !cf->type || !cf->type->recv || !buf || !cap || !nread)
        return HOTA_E_INVALID_ARG;
    return cf->type->recv(cf, buf, cap, nread, timeout_ms);
}

/* Milliseconds left until deadline, 0 once passed. */
static uint32_t left_ms(uint64_t deadline)
{
    uint64_t now = hota_now_ms();
    return deadline > now ? (uint32_t)(deadline - now) : 0;
}

int hota_cf_shutdown(hota_cf_t *cf, uint32_t timeout_ms)
{
    uint64_t deadline = hota_now_ms() + timeout_ms;
    int rc = HOTA_OK;
    if (!cf)
        return HOTA_E_INVALID_ARG;
    for (; cf; cf = cf->next) {
        int r = cf->type && cf->type->shutdown ? cf->type->shutdown(cf, left_ms(deadline))
                                               : HOTA_OK;
        if (rc == HOTA_OK)
            rc = r;
    }
    return rc;
}

void hota_cf_close(hota_cf_t *cf)
{
    for (; cf; cf = cf->next)
        if (cf->type && cf->type->close)
            cf->type->close(cf);
}

/* Payload counters belong to the top filter; lower layers fill the other facts they know. */
void hota_cf_query(const hota_cf_t *cf, hota_cf_info_t *info)
{
    uint64_t in = 0, out = 0;
    if (!info)
        return;
    memset(info, 0, sizeof *info);
    for (const hota_cf_t *c = cf; c; c = c->next) {
        if (c->type && c->type->query)
            c->type->query(c, info);
        if (c == cf) {
            in = info->bytes_in;
            out = info->bytes_out;
        }
    }
    info->bytes_in = in;
    info->bytes_out = out;
}

const char *hota_end_name(hota_end_t end)
{
    static const char *const names[] = {"none", "close_notify", "fin", "reset", "timeout"};
    unsigned i = (unsigned)end;
    return i < sizeof names / sizeof names[0] ? names[i] : "unknown";
}
