/* hota serve DIR: HTTPS file server with selectable framing and connection ending. */
#include "cli.h"

#include "hota/alloc.h"
#include "hota/error.h"
#include "hota/pki.h"
#include "hota/serve.h"

#include <stdlib.h>
#include <string.h>

#define SERVE_PATH_CAP 1024

typedef struct serve_opts {
    hota_serve_config_t cfg;
    const char *gen_pki;
    char cert[SERVE_PATH_CAP];
    char key[SERVE_PATH_CAP];
} serve_opts_t;

static int serve_usage(FILE *out, int code)
{
    fprintf(out,
            "usage: hota serve DIR --port N (--cert PEM --key PEM | --gen-pki DIR)\n"
            "       [--framing content-length|chunked|close]\n"
            "       [--end close_notify|close_notify+fin|fin|reset|keep-alive]\n"
            "       [--no-range] [--bind ADDR] [--once] [--cut-at BYTES]\n"
            "       [--status-file FILE] [--hold-timeout MS] [--io-timeout MS]\n"
            "--port 0 picks a free port; \"listening on PORT\" is printed once ready.\n"
            "--gen-pki DIR writes a CA (ca.pem, ca.key) and a localhost certificate\n"
            "(server.pem, server.key) into DIR and serves with them.\n");
    return code;
}

static int parse_u32(const char *cmd, const char *opt, const char *v, uint32_t max,
                     uint32_t *out)
{
    uint64_t x;
    if (!v)
        return CLI_EXIT_USAGE;
    if (cli_parse_size(v, &x) != HOTA_OK || x > max)
        return cli_usage_error(cmd, "%s: invalid value '%s'", opt, v);
    *out = (uint32_t)x;
    return CLI_EXIT_OK;
}

/* Options that take a value. */
static int value_opt(cli_args_t *a, serve_opts_t *o, const char *opt, const char *v)
{
    hota_serve_config_t *c = &o->cfg;
    uint32_t u = 0;
    int rc = CLI_EXIT_OK;
    if (!(v = cli_args_value(a, opt, v)))
        return CLI_EXIT_USAGE;
    if (!strcmp(opt, "--port") && (rc = parse_u32(a->cmd, opt, v, 65535, &u)) == CLI_EXIT_OK)
        c->port = (uint16_t)u;
    else if (!strcmp(opt, "--cert"))
        snprintf(o->cert, sizeof o->cert, "%s", v);
    else if (!strcmp(opt, "--key"))
        snprintf(o->key, sizeof o->key, "%s", v);
    else if (!strcmp(opt, "--framing") && hota_serve_framing_parse(v, &c->framing) != HOTA_OK)
        rc = cli_usage_error(a->cmd, "unknown framing '%s'", v);
    else if (!strcmp(opt, "--end") && hota_serve_ending_parse(v, &c->ending) != HOTA_OK)
        rc = cli_usage_error(a->cmd, "unknown end '%s'", v);
    else if (!strcmp(opt, "--bind"))
        c->bind_addr = v;
    else if (!strcmp(opt, "--cut-at") && cli_parse_size(v, &c->cut_at) != HOTA_OK)
        rc = cli_usage_error(a->cmd, "--cut-at: invalid value '%s'", v);
    else if (!strcmp(opt, "--status-file"))
        c->status_path = v;
    else if (!strcmp(opt, "--hold-timeout"))
        rc = parse_u32(a->cmd, opt, v, 86400000u, &c->hold_timeout_ms);
    else if (!strcmp(opt, "--io-timeout"))
        rc = parse_u32(a->cmd, opt, v, 86400000u, &c->io_timeout_ms);
    else if (!strcmp(opt, "--gen-pki"))
        o->gen_pki = v;
    return rc;
}

static const char *const value_opts[] = {"--port",        "--cert",         "--key",
                                         "--framing",     "--end",          "--bind",
                                         "--cut-at",      "--status-file",  "--hold-timeout",
                                         "--io-timeout",  "--gen-pki",      NULL};

static int is_value_opt(const char *opt)
{
    for (const char *const *p = value_opts; *p; p++)
        if (!strcmp(*p, opt))
            return 1;
    return 0;
}

static int parse_opts(int argc, char **argv, serve_opts_t *o, int *have_port)
{
    cli_args_t a;
    const char *opt, *val, *pos;
    cli_args_init(&a, argc, argv);
    while (cli_args_next(&a, &opt, &val, &pos)) {
        int rc = CLI_EXIT_OK;
        if (pos && o->cfg.root)
            return cli_usage_error(a.cmd, "unexpected argument '%s'", pos);
        if (pos)
            o->cfg.root = pos;
        else if (!strcmp(opt, "--help"))
            return serve_usage(stdout, -1);
        else if (!strcmp(opt, "--no-range"))
            o->cfg.no_range = 1;
        else if (!strcmp(opt, "--once"))
            o->cfg.once = 1;
        else if (is_value_opt(opt))
            rc = value_opt(&a, o, opt, val);
        else
            return cli_usage_error(a.cmd, "unknown option %s", opt);
        if (rc != CLI_EXIT_OK)
            return rc;
        *have_port |= opt && !strcmp(opt, "--port");
    }
    return CLI_EXIT_OK;
}

/* Resolve the credentials: given files, or a fresh CA and localhost certificate. */
static int credentials(serve_opts_t *o)
{
    int rc;
    if (!o->gen_pki) {
        if (!o->cert[0] || !o->key[0])
            return cli_usage_error("serve", "--cert and --key (or --gen-pki DIR) are required");
        return CLI_EXIT_OK;
    }
    rc = hota_pki_make_localhost(o->gen_pki);
    if (rc != HOTA_OK)
        return cli_fail("serve", "generating certificates", rc);
    if (snprintf(o->cert, sizeof o->cert, "%s/%s", o->gen_pki, HOTA_PKI_SERVER_CERT) >=
            (int)sizeof o->cert ||
        snprintf(o->key, sizeof o->key, "%s/%s", o->gen_pki, HOTA_PKI_SERVER_KEY) >=
            (int)sizeof o->key)
        return cli_usage_error("serve", "--gen-pki path too long");
    return CLI_EXIT_OK;
}

static int run_server(hota_server_t *s, const hota_serve_config_t *cfg)
{
    int rc = hota_server_setup(s, cfg);
    if (rc != HOTA_OK)
        return cli_fail("serve", "setup", rc);
    printf("listening on %u\n", (unsigned)hota_server_port(s));
    fflush(stdout);
    rc = hota_server_run(s);
    if (rc != HOTA_OK)
        return cli_fail("serve", "serving", rc);
    return CLI_EXIT_OK;
}

int cmd_serve(int argc, char **argv)
{
    serve_opts_t *o = hota_calloc(1, sizeof *o);
    hota_server_t *s = hota_calloc(1, sizeof *s);
    int have_port = 0, rc = CLI_EXIT_ERROR;
    if (!o || !s) {
        fprintf(stderr, "hota serve: out of memory\n");
        goto out;
    }
    hota_serve_config_defaults(&o->cfg);
    o->cfg.stop_on_signals = 1;
    rc = parse_opts(argc, argv, o, &have_port);
    if (rc != CLI_EXIT_OK)
        goto out;
    if (!o->cfg.root || !have_port) {
        rc = cli_usage_error("serve", "DIR and --port are required (see --help)");
        goto out;
    }
    rc = credentials(o);
    if (rc != CLI_EXIT_OK)
        goto out;
    o->cfg.cert_path = o->cert;
    o->cfg.key_path = o->key;
    hota_server_init(s);
    rc = run_server(s, &o->cfg);
    hota_server_free(s);
out:
    hota_free(s);
    hota_free(o);
    return rc < 0 ? CLI_EXIT_OK : rc;
}
