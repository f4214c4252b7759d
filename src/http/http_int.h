/* Internal interface between the files of the HTTP layer. */
#ifndef HOTA_HTTP_INT_H
#define HOTA_HTTP_INT_H

#include "hota/http.h"

#include <llhttp.h>

/* Where a handle is in its request cycle. */
enum http_phase {
    HTTP_PHASE_IDLE = 0, /* no request yet */
    HTTP_PHASE_HEADERS,  /* request sent, reading the response head */
    HTTP_PHASE_BODY,     /* head read: hota_http_read() delivers the body */
    HTTP_PHASE_FAILED,   /* the request failed; h->err holds why */
};

static inline llhttp_t *http_parser(hota_http_t *h)
{
    return (llhttp_t *)(void *)h->parser;
}

/* parse.c: llhttp set-up, feeding and error mapping. */
void http_parser_start(hota_http_t *h);
int http_feed(hota_http_t *h, const uint8_t *data, size_t len, size_t *used);
int http_parser_eof(hota_http_t *h);

/* request.c: the request head, checked, then sent through h->io. */
int http_send_request(hota_http_t *h);

/* wire.c: reading the response head from the transport. */
int http_read_head(hota_http_t *h);

#endif
