/* hota update URL|FILE --flash FLASH: download, verify and install an app image. */
#include "cli.h"

#include "hota/device.h"
#include "hota/error.h"
#include "hota/ota.h"
#include "hota/port.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#define MAX_HEADERS (HOTA_OTA_MAX_HEADERS - 1)
#define CRED_MAX 256

static const char usage_text[] =
    "usage: hota update URL|FILE --flash FLASH [--ca PEM] [--cert PEM --key PEM] [--insecure]\n"
    "       [--timeout-ms N] [--partial-size BYTES] [--allow-same-version] [--bulk-erase]\n"
    "       [--no-resume] [--header 'K: V']... [--user U:P] [--json] [--quiet]";

typedef struct upd {
    hota_ota_cfg_t cfg;
    const char *src, *flash;
    const char *headers[MAX_HEADERS];
    size_t nheaders;
    char user[CRED_MAX], pass[CRED_MAX];
    int json, quiet, bar;
    hota_device_t dev;
    hota_ota_t *h;
    uint64_t last_draw_ms, t0_ms;
} upd_t;

static int is_url(const char *s)
{
    return !strncasecmp(s, "http://", 7) || !strncasecmp(s, "https://", 8);
}

static int set_user(upd_t *u, const char *v)
{
    const char *colon = strchr(v, ':');
    size_t ulen = colon ? (size_t)(colon - v) : strlen(v);
    if (ulen >= CRED_MAX || (colon && strlen(colon + 1) >= CRED_MAX))
        return cli_usage_error("update", "--user is too long");
    memcpy(u->user, v, ulen);
    u->user[ulen] = 0;
    snprintf(u->pass, sizeof u->pass, "%s", colon ? colon + 1 : "");
    u->cfg.http.auth_user = u->user;
    u->cfg.http.auth_pass = u->pass;
    return CLI_EXIT_OK;
}

static int set_number(const char *opt, const char *v, uint32_t *out)
{
    uint64_t n;
    if (cli_parse_size(v, &n) != HOTA_OK || n == 0 || n > UINT32_MAX)
        return cli_usage_error("update", "%s needs a positive number", opt);
    *out = (uint32_t)n;
    return CLI_EXIT_OK;
}

/* Options with a value. */
static int value_opt(upd_t *u, const char *opt, const char *v)
{
    hota_http_cfg_t *hc = &u->cfg.http;
    if (!strcmp(opt, "--flash"))
        return u->flash = v, CLI_EXIT_OK;
    if (!strcmp(opt, "--ca"))
        return hc->tls.ca_file = v, CLI_EXIT_OK;
    if (!strcmp(opt, "--cert"))
        return hc->tls.cert_file = v, CLI_EXIT_OK;
    if (!strcmp(opt, "--key"))
        return hc->tls.key_file = v, CLI_EXIT_OK;
    if (!strcmp(opt, "--user"))
        return set_user(u, v);
    if (!strcmp(opt, "--header")) {
        if (u->nheaders >= MAX_HEADERS || !strchr(v, ':'))
            return cli_usage_error("update", "--header needs 'Name: value' (at most %d)",
                                   MAX_HEADERS);
        u->headers[u->nheaders++] = v;
        return CLI_EXIT_OK;
    }
    if (!strcmp(opt, "--timeout-ms")) {
        int rc = set_number(opt, v, &hc->io_timeout_ms);
        hc->connect_timeout_ms = hc->io_timeout_ms;
        return rc;
    }
    if (!strcmp(opt, "--partial-size")) {
        u->cfg.partial_http_download = 1;
        return set_number(opt, v, &u->cfg.max_http_request_size);
    }
    return cli_usage_error("update", "unknown option %s\n%s", opt, usage_text);
}

/* Flags (no value); -1 when opt is not a flag. */
static int flag_opt(upd_t *u, const char *opt)
{
    static const char *const names[] = {"--insecure", "--allow-same-version", "--bulk-erase",
                                        "--no-resume", "--json", "--quiet"};
    int *const dst[] = {&u->cfg.http.tls.insecure, &u->cfg.allow_same_version,
                        &u->cfg.bulk_flash_erase, &u->cfg.resume, &u->json, &u->quiet};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (!strcmp(opt, names[i])) {
            *dst[i] = strcmp(opt, "--no-resume") != 0;
            return CLI_EXIT_OK;
        }
    return -1;
}

static int parse(upd_t *u, int argc, char **argv)
{
    cli_args_t a;
    const char *opt, *val, *pos;
    cli_args_init(&a, argc, argv);
    while (cli_args_next(&a, &opt, &val, &pos)) {
        int rc;
        if (pos) {
            if (u->src)
                return cli_usage_error("update", "one URL or FILE only\n%s", usage_text);
            u->src = pos;
            continue;
        }
        if (!val && (rc = flag_opt(u, opt)) >= 0)
            continue;
        if (!(val = cli_args_value(&a, opt, val)))
            return CLI_EXIT_USAGE;
        if ((rc = value_opt(u, opt, val)) != CLI_EXIT_OK)
            return rc;
    }
    if (!u->src || !u->flash)
        return cli_usage_error("update", "%s", usage_text);
    if (!u->cfg.http.tls.cert_file != !u->cfg.http.tls.key_file)
        return cli_usage_error("update", "--cert and --key go together");
    return CLI_EXIT_OK;
}

/* Progress bar on stderr: bytes, percent, rate, ETA; at most ten redraws a second. */
static void draw(upd_t *u, uint64_t bytes, int final)
{
    int64_t total = u->h ? hota_ota_get_image_size(u->h) : -1;
    uint64_t now = hota_now_ms(), ms = now - u->t0_ms;
    double rate = ms ? (double)bytes * 1000.0 / (double)ms : 0.0;
    if (!final && now - u->last_draw_ms < 100)
        return;
    u->last_draw_ms = now;
    if (total > 0) {
        double left = rate > 0 ? (double)((uint64_t)total - bytes) / rate : 0;
        fprintf(stderr, "\r%10llu / %llu bytes %3d%%  %7.1f KiB/s  ETA %4.0fs ",
                (unsigned long long)bytes, (unsigned long long)total,
                (int)(bytes * 100 / (uint64_t)total), rate / 1024.0, left);
    } else {
        fprintf(stderr, "\r%10llu bytes  %7.1f KiB/s ", (unsigned long long)bytes,
                rate / 1024.0);
    }
    if (final)
        fputc('\n', stderr);
}

static void on_event(void *user, hota_ota_event_t ev, const void *data)
{
    upd_t *u = user;
    if (u->bar && ev == HOTA_OTA_EVENT_WRITE_FLASH)
        draw(u, *(const uint64_t *)data, 0);
}

static void report_json(const hota_ota_stats_t *st, int rc)
{
    cli_json_t j;
    cli_json_begin(&j, stdout);
    cli_json_result(&j, rc);
    cli_json_uint(&j, "bytes", st->bytes);
    cli_json_uint(&j, "total", st->total);
    cli_json_str(&j, "framing", st->framing);
    cli_json_str(&j, "end", st->end);
    cli_json_uint(&j, "tail_ms", st->tail_ms);
    cli_json_uint(&j, "tail_us", st->tail_us);
    cli_json_uint(&j, "elapsed_ms", st->elapsed_ms);
    cli_json_str(&j, "partition", st->partition[0] ? st->partition : NULL);
    cli_json_str(&j, "version", st->version[0] ? st->version : NULL);
    cli_json_uint(&j, "secure_version", st->secure_version);
    cli_json_uint(&j, "resumed_from", st->resumed_from);
    cli_json_uint(&j, "requests", st->requests);
    cli_json_uint(&j, "connections", st->connections);
    cli_json_uint(&j, "handshakes", st->handshakes);
    cli_json_uint(&j, "handshakes_resumed", st->handshakes_resumed);
    cli_json_uint(&j, "flash_ops", st->flash_ops);
    cli_json_uint(&j, "retries", st->retries);
    cli_json_uint(&j, "restarts", st->restarts);
    cli_json_int(&j, "status", st->status);
    cli_json_end(&j);
}

static int run(upd_t *u)
{
    int rc = hota_ota_begin(&u->cfg, u->h);
    if (rc != HOTA_OK)
        return rc;
    do
        rc = hota_ota_perform(u->h);
    while (rc == HOTA_E_IN_PROGRESS);
    if (u->bar)
        draw(u, hota_ota_get_image_len_read(u->h), 1);
    if (rc != HOTA_OK) {
        hota_ota_abort(u->h);
        return rc;
    }
    return hota_ota_finish(u->h);
}

static void setup(upd_t *u)
{
    u->cfg.device = &u->dev;
    u->cfg.http.headers = u->headers;
    u->cfg.http.header_count = u->nheaders;
    if (is_url(u->src))
        u->cfg.http.url = u->src;
    else
        u->cfg.file_path = u->src;
    u->cfg.event_cb = on_event;
    u->cfg.user = u;
    u->bar = !u->quiet && !u->json && isatty(STDERR_FILENO);
    u->t0_ms = hota_now_ms();
}

int cmd_update(int argc, char **argv)
{
    static upd_t u; /* holds the OTA handle's pointer and the option strings */
    hota_ota_stats_t st;
    int rc;
    memset(&u, 0, sizeof u);
    hota_ota_cfg_init(&u.cfg);
    if ((rc = parse(&u, argc, argv)) != CLI_EXIT_OK)
        return rc;
    setup(&u);
    hota_device_init(&u.dev);
    u.h = calloc(1, sizeof *u.h);
    rc = u.h ? hota_device_open(&u.dev, u.flash) : HOTA_E_NO_MEMORY;
    if (rc == HOTA_OK)
        rc = run(&u);
    memset(&st, 0, sizeof st);
    if (u.h)
        hota_ota_get_stats(u.h, &st);
    if (u.json)
        report_json(&st, rc);
    else if (rc == HOTA_OK && !u.quiet)
        printf("updated %s to version %s (%llu bytes, %s), boots next\n", st.partition,
               st.version, (unsigned long long)st.bytes, st.end ? st.end : "none");
    free(u.h);
    hota_device_free(&u.dev);
    if (rc != HOTA_OK)
        return u.json ? cli_exit_code(rc) : cli_fail("update", u.src, rc);
    return CLI_EXIT_OK;
}
