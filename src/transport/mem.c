/* The in-memory transport filter (scripted server for tests and fuzzing). */
#include "hota/transport_mem.h"

#include "hota/error.h"

#include <string.h>

/* Input offset up to which the client may read now. */
static size_t released(const hota_mem_cf_t *m)
{
    size_t seg;
    if (m->break_count == 0)
        return m->in_len;
    if (m->send_calls == 0)
        return 0;
    seg = m->send_calls - 1;
    return seg < m->break_count ? m->breaks[seg] : m->in_len;
}

static int mem_connect(hota_cf_t *cf, uint32_t timeout_ms)
{
    (void)cf;
    (void)timeout_ms;
    return HOTA_OK;
}

static int mem_send(hota_cf_t *cf, const uint8_t *buf, size_t len, size_t *nwritten,
                    uint32_t timeout_ms)
{
    hota_mem_cf_t *m = (hota_mem_cf_t *)cf;
    (void)timeout_ms;
    *nwritten = 0;
    if (len > m->out_cap - m->out_len)
        return HOTA_E_SEND;
    if (len > 0)
        memcpy(m->out + m->out_len, buf, len);
    m->out_len += len;
    m->send_calls++;
    *nwritten = len;
    return HOTA_OK;
}

static int mem_recv(hota_cf_t *cf, uint8_t *buf, size_t cap, size_t *nread, uint32_t timeout_ms)
{
    hota_mem_cf_t *m = (hota_mem_cf_t *)cf;
    size_t lim = released(m), n;
    (void)timeout_ms;
    *nread = 0;
    m->recv_calls++;
    if (m->in_pos >= m->in_len) {
        m->recv_end++;
        return m->end;
    }
    if (m->in_pos >= lim) {
        m->recv_wait++;
        return HOTA_E_TIMEOUT;
    }
    n = lim - m->in_pos;
    if (m->max_chunk > 0 && n > m->max_chunk)
        n = m->max_chunk;
    if (n > cap)
        n = cap;
    memcpy(buf, m->in + m->in_pos, n);
    m->in_pos += n;
    m->recv_data++;
    *nread = n;
    return HOTA_OK;
}

static int mem_shutdown(hota_cf_t *cf, uint32_t timeout_ms)
{
    hota_mem_cf_t *m = (hota_mem_cf_t *)cf;
    (void)timeout_ms;
    m->shutdown_called++;
    m->close_notify_sent = 1;
    return HOTA_OK;
}

static void mem_close(hota_cf_t *cf)
{
    ((hota_mem_cf_t *)cf)->closed++;
}

static hota_end_t end_kind(int end)
{
    switch (end) {
    case HOTA_E_CLOSE_NOTIFY:
        return HOTA_END_CLOSE_NOTIFY;
    case HOTA_E_PEER_FIN:
        return HOTA_END_FIN;
    case HOTA_E_CONN_RESET:
        return HOTA_END_RESET;
    case HOTA_E_TIMEOUT:
        return HOTA_END_TIMEOUT;
    default:
        return HOTA_END_NONE;
    }
}

static void mem_query(const hota_cf_t *cf, hota_cf_info_t *info)
{
    const hota_mem_cf_t *m = (const hota_mem_cf_t *)cf;
    if (m->recv_end > 0) {
        info->end = end_kind(m->end);
        info->close_notify_received = m->end == HOTA_E_CLOSE_NOTIFY;
        info->fin_received = m->end == HOTA_E_PEER_FIN || m->end == HOTA_E_CLOSE_NOTIFY;
    }
    info->close_notify_sent = m->close_notify_sent;
    info->bytes_in = m->in_pos;
    info->bytes_out = m->out_len;
}

static const hota_cf_type_t mem_type = {
    "mem", mem_connect, mem_send, mem_recv, mem_shutdown, mem_close, mem_query,
};

void hota_mem_cf_init(hota_mem_cf_t *m, const uint8_t *in, size_t in_len, int end,
                      uint8_t *out, size_t out_cap)
{
    memset(m, 0, sizeof *m);
    m->cf.type = &mem_type;
    m->cf.next = NULL;
    m->in = in;
    m->in_len = in ? in_len : 0;
    m->end = end;
    m->out = out;
    m->out_cap = out ? out_cap : 0;
}

void hota_mem_cf_set_breaks(hota_mem_cf_t *m, const size_t *breaks, size_t count)
{
    m->breaks = breaks;
    m->break_count = breaks ? count : 0;
}
