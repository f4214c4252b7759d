/* hota fetch URL -o FILE: download one resource with the HTTP client and report how it ended. */
#include "cli.h"

#include "hota/error.h"
#include "hota/http.h"
#include "hota/port.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FETCH_MAX_HEADERS 32
#define FETCH_PATH_MAX 4096
#define FETCH_BUF 16384

typedef struct fetch_opts {
    const char *url;
    const char *out;
    const char *ca, *cert, *key;
    int insecure;
    uint32_t timeout_ms;
    const char *headers[FETCH_MAX_HEADERS];
    size_t nheaders;
    int json, quiet;
} fetch_opts_t;

typedef struct fetch_run {
    hota_http_t http;
    FILE *file;
    char part[FETCH_PATH_MAX];
    uint64_t bytes;
    uint64_t t_start_us, t_done_us, t_end_us;
    int rc;
    int got_head;
    uint8_t buf[FETCH_BUF];
} fetch_run_t;

static int usage(void)
{
    fprintf(stderr, "usage: hota fetch URL -o FILE|- [--ca PEM] [--cert PEM --key PEM] "
                    "[--insecure] [--timeout-ms N] [--header 'K: V']... [--json] [--quiet]\n");
    return CLI_EXIT_USAGE;
}

static int parse_timeout(const char *v, uint32_t *out)
{
    uint64_t t;
    if (cli_parse_size(v, &t) != HOTA_OK || t == 0 || t > UINT32_MAX)
        return cli_usage_error("fetch", "bad --timeout-ms value '%s'", v);
    *out = (uint32_t)t;
    return CLI_EXIT_OK;
}

/* One option with a value; returns an exit code (CLI_EXIT_OK to go on). */
static int take_value(cli_args_t *a, fetch_opts_t *o, const char *opt, const char *val)
{
    const char *v = cli_args_value(a, opt, val);
    if (!v)
        return CLI_EXIT_USAGE;
    if (!strcmp(opt, "-o") || !strcmp(opt, "--output"))
        o->out = v;
    else if (!strcmp(opt, "--ca"))
        o->ca = v;
    else if (!strcmp(opt, "--cert"))
        o->cert = v;
    else if (!strcmp(opt, "--key"))
        o->key = v;
    else if (!strcmp(opt, "--timeout-ms"))
        return parse_timeout(v, &o->timeout_ms);
    else if (o->nheaders >= FETCH_MAX_HEADERS)
        return cli_usage_error("fetch", "at most %d --header options", FETCH_MAX_HEADERS);
    else
        o->headers[o->nheaders++] = v;
    return CLI_EXIT_OK;
}

static int is_value_opt(const char *opt)
{
    static const char *const names[] = {"-o",   "--output",     "--ca",    "--cert",
                                        "--key", "--timeout-ms", "--header"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (!strcmp(opt, names[i]))
            return 1;
    return 0;
}

static int parse_opts(int argc, char **argv, fetch_opts_t *o)
{
    cli_args_t a;
    const char *opt, *val, *pos;
    int rc = CLI_EXIT_OK;
    memset(o, 0, sizeof *o);
    o->timeout_ms = 30000;
    cli_args_init(&a, argc, argv);
    while (rc == CLI_EXIT_OK && cli_args_next(&a, &opt, &val, &pos)) {
        if (pos && !strcmp(pos, "-o"))
            rc = take_value(&a, o, "-o", NULL);
        else if (pos && !o->url)
            o->url = pos;
        else if (pos)
            rc = cli_usage_error("fetch", "unexpected argument '%s'", pos);
        else if (is_value_opt(opt))
            rc = take_value(&a, o, opt, val);
        else if (!strcmp(opt, "--insecure"))
            o->insecure = 1;
        else if (!strcmp(opt, "--json"))
            o->json = 1;
        else if (!strcmp(opt, "--quiet"))
            o->quiet = 1;
        else
            rc = cli_usage_error("fetch", "unknown option '%s'", opt);
    }
    if (rc == CLI_EXIT_OK && (!o->url || !o->out))
        rc = usage();
    if (rc == CLI_EXIT_OK && (!o->cert) != (!o->key))
        rc = cli_usage_error("fetch", "--cert and --key go together");
    return rc;
}

static void make_cfg(const fetch_opts_t *o, hota_http_cfg_t *cfg)
{
    hota_http_cfg_init(cfg);
    cfg->url = o->url;
    cfg->tls.ca_file = o->ca;
    cfg->tls.cert_file = o->cert;
    cfg->tls.key_file = o->key;
    cfg->tls.insecure = o->insecure;
    cfg->connect_timeout_ms = o->timeout_ms;
    cfg->io_timeout_ms = o->timeout_ms;
    cfg->headers = o->headers;
    cfg->header_count = o->nheaders;
}

static int open_output(const fetch_opts_t *o, fetch_run_t *r)
{
    int n;
    if (!strcmp(o->out, "-")) {
        r->file = stdout;
        return HOTA_OK;
    }
    n = snprintf(r->part, sizeof r->part, "%s.part", o->out);
    if (n < 0 || (size_t)n >= sizeof r->part)
        return HOTA_E_INVALID_ARG;
    r->file = fopen(r->part, "wb");
    return r->file ? HOTA_OK : HOTA_E_FILE_OPEN;
}

/* Stream the body into the output; returns the first failure. */
static int copy_body(fetch_run_t *r)
{
    for (;;) {
        size_t n = 0;
        int rc = hota_http_read(&r->http, r->buf, sizeof r->buf, &n);
        if (rc != HOTA_OK)
            return rc;
        if (n == 0)
            return hota_http_body_complete(&r->http) ? HOTA_OK : HOTA_E_INTERNAL;
        if (fwrite(r->buf, 1, n, r->file) != n)
            return HOTA_E_IO;
        r->bytes += n;
    }
}

static int download(const fetch_opts_t *o, fetch_run_t *r)
{
    hota_http_cfg_t cfg;
    int rc, st;
    make_cfg(o, &cfg);
    rc = hota_http_request(&r->http, &cfg);
    if (rc != HOTA_OK)
        return rc;
    r->got_head = 1;
    st = hota_http_response(&r->http)->status;
    if (st < 200 || st > 299)
        return HOTA_E_HTTP_STATUS;
    rc = open_output(o, r);
    if (rc == HOTA_OK)
        rc = copy_body(r);
    return rc;
}

/* FILE.part becomes FILE only when complete; otherwise it is removed. */
static int finish_output(const fetch_opts_t *o, fetch_run_t *r, int rc)
{
    if (!r->file)
        return rc;
    if (r->file == stdout) {
        if (fflush(stdout) != 0 && rc == HOTA_OK)
            rc = HOTA_E_IO;
        return rc;
    }
    if (fclose(r->file) != 0 && rc == HOTA_OK)
        rc = HOTA_E_IO;
    r->file = NULL;
    if (rc == HOTA_OK && rename(r->part, o->out) != 0)
        rc = HOTA_E_IO;
    if (rc != HOTA_OK)
        remove(r->part);
    return rc;
}

static double ms_between(uint64_t a_us, uint64_t b_us)
{
    return b_us >= a_us ? (double)(b_us - a_us) / 1000.0 : 0.0;
}

/* Last body byte (or the head when there was none) to completion or failure. */
static int tail_ms(const fetch_run_t *r, double *out)
{
    hota_http_info_t info;
    uint64_t from, to;
    hota_http_get_info(&r->http, &info);
    from = info.t_last_body_us ? info.t_last_body_us : info.t_headers_us;
    to = info.t_complete_us ? info.t_complete_us : r->t_done_us;
    if (!r->got_head || !from)
        return 0;
    *out = ms_between(from, to);
    return 1;
}

static void print_json(const fetch_run_t *r)
{
    const hota_http_resp_t *resp = hota_http_response(&r->http);
    hota_http_info_t info;
    hota_cf_info_t ci;
    cli_json_t j;
    char ver[16], num[32];
    double tail;
    hota_http_get_info(&r->http, &info);
    hota_http_conn_info(&r->http, &ci);
    snprintf(ver, sizeof ver, "HTTP/%d.%d", resp->http_major, resp->http_minor);
    cli_json_begin(&j, stdout);
    cli_json_result(&j, r->rc);
    cli_json_int(&j, "status", r->got_head ? resp->status : 0);
    cli_json_uint(&j, "bytes", r->bytes);
    cli_json_str(&j, "framing", r->got_head ? hota_http_framing_name(resp->framing) : NULL);
    cli_json_str(&j, "end", hota_end_name(info.end));
    cli_json_key(&j, "tail_ms");
    if (tail_ms(r, &tail)) {
        snprintf(num, sizeof num, "%.3f", tail);
        fputs(num, stdout);
    } else {
        fputs("null", stdout);
    }
    cli_json_key(&j, "elapsed_ms");
    fprintf(stdout, "%.3f", ms_between(r->t_start_us, r->t_end_us));
    cli_json_str(&j, "http_version", r->got_head ? ver : NULL);
    cli_json_str(&j, "tls_version", ci.tls_version[0] ? ci.tls_version : NULL);
    cli_json_str(&j, "cipher", ci.cipher[0] ? ci.cipher : NULL);
    cli_json_bool(&j, "close_notify_sent", ci.close_notify_sent);
    cli_json_uint(&j, "handshakes", ci.handshakes);
    cli_json_uint(&j, "handshakes_resumed", ci.handshakes_resumed);
    cli_json_uint(&j, "redirects", info.redirects);
    if (resp->has_length)
        cli_json_uint(&j, "content_length", resp->content_length);
    else
        cli_json_null(&j, "content_length");
    cli_json_end(&j);
}

static void print_human(const fetch_opts_t *o, const fetch_run_t *r)
{
    const hota_http_resp_t *resp = hota_http_response(&r->http);
    hota_http_info_t info;
    double tail = 0;
    hota_http_get_info(&r->http, &info);
    if (r->rc == HOTA_OK) {
        tail_ms(r, &tail);
        fprintf(stderr, "hota fetch: %d, %llu bytes (%s), end %s, tail %.3f ms, %.1f ms -> %s\n",
                resp->status, (unsigned long long)r->bytes,
                hota_http_framing_name(resp->framing), hota_end_name(info.end), tail,
                ms_between(r->t_start_us, r->t_end_us), o->out);
    } else {
        fprintf(stderr, "hota fetch: failed: %s (%s), status %d, %llu bytes, end %s\n",
                hota_strerror(r->rc), hota_errname(r->rc), r->got_head ? resp->status : 0,
                (unsigned long long)r->bytes, hota_end_name(info.end));
    }
}

/* A command line that could not be parsed still answers --json with the full object. */
static int usage_failed(int argc, char **argv, int code)
{
    fetch_run_t *r;
    int json = 0;
    for (int i = 1; i < argc; i++)
        json |= !strcmp(argv[i], "--json");
    r = json ? calloc(1, sizeof *r) : NULL;
    if (r) {
        hota_http_init(&r->http);
        r->rc = HOTA_E_USAGE;
        print_json(r);
        hota_http_free(&r->http);
        free(r);
    }
    return code;
}

int cmd_fetch(int argc, char **argv)
{
    fetch_opts_t o;
    fetch_run_t *r;
    int code = parse_opts(argc, argv, &o);
    if (code != CLI_EXIT_OK)
        return usage_failed(argc, argv, code);
    r = calloc(1, sizeof *r);
    if (!r)
        return cli_fail("fetch", "memory", HOTA_E_NO_MEMORY);
    hota_http_init(&r->http);
    r->t_start_us = hota_now_us();
    r->rc = download(&o, r);
    r->t_done_us = hota_now_us();
    r->rc = finish_output(&o, r, r->rc);
    hota_http_close(&r->http);
    r->t_end_us = hota_now_us();
    if (o.json)
        print_json(r);
    if (!o.quiet)
        print_human(&o, r);
    code = cli_exit_code(r->rc);
    hota_http_free(&r->http);
    free(r);
    return code;
}
