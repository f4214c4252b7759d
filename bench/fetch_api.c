/* A download through the public HTTP API with the settings the CLI does not expose
 * (max_fragment_length), discarding the body; the benchmark runs it under the heap probe.
 *
 * usage: hota_bench_fetch URL --ca PEM [--mfl 512|1024|2048|4096] [--buf N]
 *        hota_bench_fetch --sizes
 * Prints one JSON object.
 */
#include "hota/error.h"
#include "hota/http.h"
#include "hota/ota.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BUF_MAX (1024u * 1024u)

static int print_sizes(void)
{
    printf("{\"hota_http_t\":%zu,\"hota_conn_t\":%zu,\"hota_tls_t\":%zu,\"hota_ota_t\":%zu,"
           "\"http_io_buf\":%u,\"ota_buf\":%u}\n",
           sizeof(hota_http_t), sizeof(hota_conn_t), sizeof(hota_tls_t), sizeof(hota_ota_t),
           (unsigned)HOTA_HTTP_IO_BUF, (unsigned)HOTA_OTA_BUF_SIZE);
    return 0;
}

/* The body buffer is allocated once the response head is in, after the handshake, as the
 * ceiling allocates its one buffer: the heap probe then compares like with like. */
static int download(hota_http_t *h, const hota_http_cfg_t *cfg, size_t cap,
                    unsigned long long *bytes)
{
    int rc = hota_http_request(h, cfg);
    size_t n = 1;
    uint8_t *buf = NULL;
    if (rc == HOTA_OK && hota_http_response(h)->status != 200)
        rc = HOTA_E_HTTP_STATUS;
    if (rc == HOTA_OK && !(buf = malloc(cap)))
        rc = HOTA_E_NO_MEMORY;
    while (rc == HOTA_OK && n > 0) {
        rc = hota_http_read(h, buf, cap, &n);
        *bytes += n;
    }
    if (rc == HOTA_OK && !hota_http_body_complete(h))
        rc = HOTA_E_TRUNCATED;
    free(buf);
    return rc;
}

int main(int argc, char **argv)
{
    hota_http_cfg_t cfg;
    hota_http_t *h;
    size_t cap = 16384;
    unsigned long long bytes = 0;
    int rc;
    if (argc == 2 && !strcmp(argv[1], "--sizes"))
        return print_sizes();
    hota_http_cfg_init(&cfg);
    cfg.url = argc > 1 ? argv[1] : NULL;
    for (int i = 2; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "--ca"))
            cfg.tls.ca_file = argv[i + 1];
        else if (!strcmp(argv[i], "--mfl"))
            cfg.tls.max_frag_len = (unsigned)strtoul(argv[i + 1], NULL, 10);
        else if (!strcmp(argv[i], "--buf"))
            cap = (size_t)strtoul(argv[i + 1], NULL, 10);
    }
    if (!cfg.url || !cap || cap > BUF_MAX) {
        fprintf(stderr, "usage: %s URL --ca PEM [--mfl N] [--buf N] | --sizes\n", argv[0]);
        return 2;
    }
    h = calloc(1, sizeof *h);
    rc = h ? HOTA_OK : HOTA_E_NO_MEMORY;
    if (rc == HOTA_OK) {
        hota_http_init(h);
        rc = download(h, &cfg, cap, &bytes);
        hota_http_close(h);
        hota_http_free(h);
    }
    printf("{\"result\":\"%s\",\"error\":\"%s\",\"bytes\":%llu,\"mfl\":%u}\n",
           rc == HOTA_OK ? "ok" : "error", hota_errname(rc), bytes, cfg.tls.max_frag_len);
    free(h);
    return rc == HOTA_OK ? 0 : 1;
}
