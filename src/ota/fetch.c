/* The request step: Range, headers, the request, and the checks of the response. */
#include "ota_int.h"

#include "hota/error.h"
#include "hota/http.h"
#include "hota/port.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Fill h->req for the request that continues at h->fed. */
static int build_request(hota_ota_t *h)
{
    hota_ota_cfg_t *c = &h->cfg;
    size_t n = 0;
    h->req = c->http;
    if (c->http.header_count > HOTA_OTA_MAX_HEADERS - 1)
        return HOTA_E_INVALID_ARG;
    for (size_t i = 0; i < c->http.header_count; i++)
        h->hdrs[n++] = c->http.headers[i];
    if (h->auth_hdr[0]) { /* Digest answer replaces the Basic credentials */
        h->hdrs[n++] = h->auth_hdr;
        h->req.auth_user = h->req.auth_pass = NULL;
    }
    h->req.headers = h->hdrs;
    h->req.header_count = n;
    h->range_sent = h->fed > 0 || c->partial_http_download;
    h->req.has_range = h->range_sent;
    h->req.range_start = h->fed;
    h->req.range_end = UINT64_MAX;
    if (c->partial_http_download) {
        uint64_t end = h->fed + c->max_http_request_size;
        if (h->total && end > h->total)
            end = h->total;
        h->req.range_end = end - 1;
    }
    return HOTA_OK;
}

/* "bytes A-B/T" (T may be "*": *total 0). */
static int parse_content_range(const char *s, uint64_t *a, uint64_t *b, uint64_t *total)
{
    char *end;
    if (strncmp(s, "bytes ", 6) != 0)
        return HOTA_E_CONTENT_RANGE;
    s += 6;
    *a = strtoull(s, &end, 10);
    if (end == s || *end != '-')
        return HOTA_E_CONTENT_RANGE;
    s = end + 1;
    *b = strtoull(s, &end, 10);
    if (end == s || *end != '/' || *b < *a)
        return HOTA_E_CONTENT_RANGE;
    s = end + 1;
    if (!strcmp(s, "*")) {
        *total = 0;
        return HOTA_OK;
    }
    *total = strtoull(s, &end, 10);
    return end == s || *end || *total <= *b ? HOTA_E_CONTENT_RANGE : HOTA_OK;
}

/* 1 when the response names the same resource as the one being downloaded. */
static int same_resource(const hota_ota_t *h, const hota_http_resp_t *r, uint64_t total)
{
    if (h->etag[0] && strcmp(h->etag, r->etag) != 0)
        return 0;
    if (h->last_modified[0] && strcmp(h->last_modified, r->last_modified) != 0)
        return 0;
    return !(h->total && total && h->total != total);
}

static void take_identity(hota_ota_t *h, const hota_http_resp_t *r, uint64_t total)
{
    memcpy(h->etag, r->etag, sizeof h->etag);
    memcpy(h->last_modified, r->last_modified, sizeof h->last_modified);
    h->total = total;
}

/* The body of a 200: the whole resource from byte 0. */
static int accept_full(hota_ota_t *h, const hota_http_resp_t *r)
{
    if (h->fed > 0)
        ota_start_over(h);
    take_identity(h, r, r->has_length ? r->content_length : 0);
    h->seg_end = UINT64_MAX;
    return EV_BODY;
}

static int accept_partial(hota_ota_t *h, const hota_http_resp_t *r)
{
    uint64_t a, b, total;
    if (!h->range_sent || parse_content_range(r->content_range, &a, &b, &total) != HOTA_OK)
        return ota_fail(h, HOTA_E_CONTENT_RANGE);
    if (h->fed > 0 && !same_resource(h, r, total)) {
        ota_start_over(h); /* never mix two versions of the resource */
        h->stats.retries++;
        h->attempts++;
        hota_http_close(&h->http);
        return h->attempts > h->cfg.max_retries ? ota_fail(h, HOTA_E_RESOURCE_CHANGED)
                                                : EV_REQUEST;
    }
    if (a != h->fed)
        return ota_fail(h, HOTA_E_CONTENT_RANGE);
    take_identity(h, r, total);
    h->seg_end = b + 1;
    return EV_BODY;
}

/* 401: one more try with the credentials answering the challenge. */
static int on_unauthorized(hota_ota_t *h)
{
    const char *ch = hota_http_www_authenticate(&h->http);
    uint8_t rnd[8];
    char cnonce[17];
    if (h->auth_tried || !h->cfg.http.auth_user || !ch || strncmp(ch, "Digest ", 7) != 0)
        return ota_fail(h, HOTA_E_HTTP_AUTH);
    h->auth_tried = 1;
    hota_entropy(rnd, sizeof rnd);
    for (size_t i = 0; i < sizeof rnd; i++)
        snprintf(cnonce + 2 * i, 3, "%02x", rnd[i]);
    if (ota_digest_header(ch, h->cfg.http.auth_user,
                          h->cfg.http.auth_pass ? h->cfg.http.auth_pass : "", "GET",
                          hota_http_url(&h->http)->path, cnonce, h->auth_hdr,
                          sizeof h->auth_hdr) != HOTA_OK)
        return ota_fail(h, HOTA_E_HTTP_AUTH);
    return EV_REQUEST;
}

static int check_response(hota_ota_t *h)
{
    const hota_http_resp_t *r = hota_http_response(&h->http);
    const hota_partition_t *p = hota_device_slot_part(h->cfg.device, h->slot);
    int ev;
    h->stats.status = r->status;
    if (r->status == 401)
        return on_unauthorized(h);
    if (r->status >= 500 && r->status < 600) {
        h->err = HOTA_E_HTTP_STATUS;
        return EV_RETRY;
    }
    if (r->status == 200)
        ev = accept_full(h, r);
    else if (r->status == 206)
        ev = accept_partial(h, r);
    else
        return ota_fail(h, HOTA_E_HTTP_STATUS);
    if (ev != EV_BODY)
        return ev;
    if (h->total > p->size)
        return ota_fail(h, HOTA_E_IMAGE_TOO_LARGE);
    h->stats.framing = hota_http_framing_name(r->framing);
    ota_emit(h, HOTA_OTA_EVENT_CONNECTED, r);
    return EV_BODY;
}

static int request_file(hota_ota_t *h)
{
    const hota_partition_t *p = hota_device_slot_part(h->cfg.device, h->slot);
    if (h->file_size > p->size)
        return ota_fail(h, HOTA_E_IMAGE_TOO_LARGE);
    h->total = h->file_size;
    h->seg_end = UINT64_MAX;
    h->stats.framing = "file";
    ota_emit(h, HOTA_OTA_EVENT_CONNECTED, NULL);
    return EV_BODY;
}

int ota_step_request(hota_ota_t *h)
{
    int rc;
    if (h->cfg.file_path)
        return request_file(h);
    rc = build_request(h);
    if (rc == HOTA_OK && h->cfg.http_init_cb) {
        hota_http_info_t hi;
        hota_http_get_info(&h->http, &hi);
        rc = h->cfg.http_init_cb(h->cfg.user, &h->req, hi.requests);
    }
    if (rc != HOTA_OK)
        return ota_fail(h, rc);
    rc = hota_http_request(&h->http, &h->req);
    if (rc != HOTA_OK) {
        h->err = rc;
        return ota_retryable(rc) ? EV_RETRY : EV_FAIL;
    }
    return check_response(h);
}
