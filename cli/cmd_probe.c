/* hota probe URL: connect to an update server as an update would and report what a device
 * meets there, with a verdict for ESP-IDF v5.3.1 and older. */
#include "cli.h"

#include "hota/sbv2.h"

#include "hota/error.h"
#include "hota/probe.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct probe_opts {
    hota_probe_cfg_t cfg;
    int json;
} probe_opts_t;

static int usage(void)
{
    fprintf(stderr, "usage: hota probe URL [--ca PEM] [--cert PEM --key PEM] [--insecure] "
                    "[--timeout-ms N] [--full] [--json]\n");
    return CLI_EXIT_USAGE;
}

static int take_value(cli_args_t *a, probe_opts_t *o, const char *opt, const char *val)
{
    const char *v = cli_args_value(a, opt, val);
    uint64_t t;
    if (!v)
        return CLI_EXIT_USAGE;
    if (!strcmp(opt, "--ca"))
        o->cfg.tls.ca_file = v;
    else if (!strcmp(opt, "--cert"))
        o->cfg.tls.cert_file = v;
    else if (!strcmp(opt, "--key"))
        o->cfg.tls.key_file = v;
    else if (cli_parse_size(v, &t) != HOTA_OK || t == 0 || t > UINT32_MAX)
        return cli_usage_error("probe", "bad --timeout-ms value '%s'", v);
    else
        o->cfg.timeout_ms = (uint32_t)t;
    return CLI_EXIT_OK;
}

static int parse_opts(int argc, char **argv, probe_opts_t *o)
{
    cli_args_t a;
    const char *opt, *val, *pos;
    int rc = CLI_EXIT_OK;
    memset(o, 0, sizeof *o);
    hota_probe_cfg_init(&o->cfg);
    cli_args_init(&a, argc, argv);
    while (rc == CLI_EXIT_OK && cli_args_next(&a, &opt, &val, &pos)) {
        if (pos && !o->cfg.url)
            o->cfg.url = pos;
        else if (pos)
            rc = cli_usage_error("probe", "unexpected argument '%s'", pos);
        else if (!strcmp(opt, "--ca") || !strcmp(opt, "--cert") || !strcmp(opt, "--key") ||
                 !strcmp(opt, "--timeout-ms"))
            rc = take_value(&a, o, opt, val);
        else if (!strcmp(opt, "--insecure"))
            o->cfg.tls.insecure = 1;
        else if (!strcmp(opt, "--full"))
            o->cfg.full = 1;
        else if (!strcmp(opt, "--json"))
            o->json = 1;
        else
            rc = cli_usage_error("probe", "unknown option '%s'", opt);
    }
    if (rc == CLI_EXIT_OK && !o->cfg.url)
        rc = usage();
    if (rc == CLI_EXIT_OK && (!o->cfg.tls.cert_file) != (!o->cfg.tls.key_file))
        rc = cli_usage_error("probe", "--cert and --key go together");
    return rc;
}

/* ----- JSON -------------------------------------------------------------------------------- */
static void json_opt_str(cli_json_t *j, const char *key, const char *s)
{
    cli_json_str(j, key, s && s[0] ? s : NULL);
}

static void json_certificate(cli_json_t *j, const hota_probe_report_t *r)
{
    if (!r->cert_count) {
        cli_json_null(j, "certificate");
        return;
    }
    cli_json_obj_open(j, "certificate");
    cli_json_str(j, "subject", r->chain[0].subject);
    cli_json_str(j, "issuer", r->chain[0].issuer);
    cli_json_str(j, "not_after", r->chain[0].not_after);
    cli_json_bool(j, "expired", r->chain[0].expired || r->chain[0].not_yet_valid);
    cli_json_bool(j, "san_match", r->san_match);
    cli_json_bool(j, "verified", r->cert_verified);
    cli_json_arr_open(j, "chain");
    for (int i = 0; i < r->cert_count; i++) {
        const hota_probe_cert_t *c = &r->chain[i];
        cli_json_obj_open(j, NULL);
        cli_json_str(j, "subject", c->subject);
        cli_json_str(j, "issuer", c->issuer);
        cli_json_str(j, "not_before", c->not_before);
        cli_json_str(j, "not_after", c->not_after);
        cli_json_bool(j, "expired", c->expired);
        cli_json_obj_close(j);
    }
    cli_json_arr_close(j);
    cli_json_obj_close(j);
}

static void json_mfl(cli_json_t *j, const hota_probe_report_t *r)
{
    if (!r->mfl_tried) {
        cli_json_null(j, "max_fragment_length");
        return;
    }
    cli_json_obj_open(j, "max_fragment_length");
    cli_json_uint(j, "requested", HOTA_PROBE_MFL);
    cli_json_str(j, "handshake", r->mfl_rc == HOTA_OK ? "ok" : hota_errname(r->mfl_rc));
    if (r->mfl_rc == HOTA_OK && r->mfl_accepted < 0)
        cli_json_null(j, "accepted");
    else
        cli_json_bool(j, "accepted", r->mfl_rc == HOTA_OK && r->mfl_accepted > 0);
    cli_json_uint(j, "largest_record", r->mfl_max_record);
    cli_json_obj_close(j);
}

static void json_range(cli_json_t *j, const char *key, const hota_probe_range_t *g)
{
    if (!g->tried) {
        cli_json_null(j, key);
        return;
    }
    cli_json_obj_open(j, key);
    cli_json_uint(j, "start", g->start);
    if (g->end == UINT64_MAX)
        cli_json_null(j, "end");
    else
        cli_json_uint(j, "end", g->end);
    cli_json_int(j, "status", g->status);
    json_opt_str(j, "content_range", g->content_range);
    cli_json_bool(j, "correct", g->correct);
    cli_json_str(j, "error", g->rc == HOTA_OK ? NULL : hota_errname(g->rc));
    cli_json_obj_close(j);
}

static void json_image(cli_json_t *j, const hota_probe_report_t *r)
{
    const hota_image_info_t *im = &r->image;
    if (!r->image_checked || !r->esp_image) {
        cli_json_null(j, "image");
        return;
    }
    cli_json_obj_open(j, "image");
    cli_json_bool(j, "full", r->image_full);
    cli_json_uint(j, "bytes_checked", r->image_bytes);
    cli_json_str(j, "result", r->image_rc == HOTA_OK ? "ok" : hota_errname(r->image_rc));
    cli_json_uint(j, "chip_id", im->chip_id);
    cli_json_uint(j, "segments", im->segment_count);
    if (r->image_full) {
        cli_json_bool(j, "complete", r->image_complete);
        cli_json_bool(j, "checksum_valid", im->checksum_valid);
        cli_json_bool(j, "hash_appended", im->hash_appended);
        cli_json_bool(j, "hash_valid", im->hash_valid);
        cli_json_uint(j, "image_len", im->image_len);
        cli_json_arr_open(j, "signatures");
        for (int i = 0; i < im->sig_count && i < HOTA_SBV2_MAX_BLOCKS; i++) {
            cli_json_obj_open(j, NULL);
            cli_json_str(j, "scheme", hota_sig_scheme_name(im->sigs[i].scheme));
            cli_json_hex(j, "key_digest", im->sigs[i].key_digest, 32);
            cli_json_bool(j, "valid", im->sigs[i].valid);
            cli_json_obj_close(j);
        }
        cli_json_arr_close(j);
    }
    cli_json_obj_close(j);
}

static void json_http(cli_json_t *j, const hota_probe_report_t *r)
{
    char ver[16];
    int got = r->status > 0;
    snprintf(ver, sizeof ver, "HTTP/%d.%d", r->http_major, r->http_minor);
    cli_json_str(j, "http_version", got ? ver : NULL);
    cli_json_int(j, "status", r->status);
    cli_json_uint(j, "redirects", r->redirects);
    json_opt_str(j, "final_url", r->final_url);
    cli_json_str(j, "framing", got ? hota_http_framing_name(r->framing) : NULL);
    if (r->has_length)
        cli_json_uint(j, "content_length", r->content_length);
    else
        cli_json_null(j, "content_length");
    cli_json_uint(j, "body_bytes", r->body_bytes);
    cli_json_str(j, "body_error", !got || r->body_rc == HOTA_OK ? NULL : hota_errname(r->body_rc));
    cli_json_str(j, "end", r->end == HOTA_PROBE_END_UNKNOWN ? NULL : hota_probe_end_name(r->end));
    cli_json_bool(j, "waits_for_close_notify", r->waits_for_close_notify);
    cli_json_bool(j, "keep_alive_reuse", r->keep_alive_reuse);
    json_opt_str(j, "etag", r->etag);
    json_opt_str(j, "last_modified", r->last_modified);
    json_opt_str(j, "accept_ranges", r->accept_ranges);
}

static void print_json(const hota_probe_report_t *r)
{
    cli_json_t j;
    cli_json_begin(&j, stdout);
    cli_json_result(&j, r->rc);
    json_opt_str(&j, "tls_version", r->tls_version);
    json_opt_str(&j, "cipher", r->cipher);
    json_certificate(&j, r);
    json_mfl(&j, r);
    json_http(&j, r);
    cli_json_bool(&j, "range", r->range);
    cli_json_bool(&j, "resume", r->resume);
    cli_json_obj_open(&j, "range_requests");
    json_range(&j, "first", &r->range_first);
    json_range(&j, "middle", &r->range_mid);
    json_range(&j, "unsatisfiable", &r->range_unsat);
    cli_json_obj_close(&j);
    cli_json_bool(&j, "esp_image", r->esp_image);
    cli_json_app_desc(&j, "app", r->esp_image && r->image.has_app_desc ? &r->image.app : NULL);
    json_image(&j, r);
    cli_json_str(&j, "idf_v5_3_1", hota_probe_verdict_name(r->idf_v5_3_1));
    cli_json_str(&j, "hota", hota_probe_verdict_name(r->hota));
    cli_json_arr_open(&j, "advice");
    for (int i = 0; i < r->advice_count; i++)
        cli_json_str(&j, NULL, r->advice[i]);
    cli_json_arr_close(&j);
    cli_json_end(&j);
}

/* ----- human-readable ------------------------------------------------------------------------ */
static const char *yes(int v)
{
    return v ? "yes" : "no";
}

static const char *or_dash(const char *s)
{
    return s && s[0] ? s : "-";
}

static void human_tls(const hota_probe_report_t *r)
{
    if (!r->tls) {
        printf("  TLS            none (http)\n");
        return;
    }
    printf("  TLS            %s, %s\n", or_dash(r->tls_version), or_dash(r->cipher));
    for (int i = 0; i < r->cert_count; i++)
        printf("  certificate %d  %s (issuer %s), valid %s .. %s%s\n", i, r->chain[i].subject,
               r->chain[i].issuer, r->chain[i].not_before, r->chain[i].not_after,
               r->chain[i].expired ? " EXPIRED" : "");
    if (r->cert_count)
        printf("  host name      %s the certificate%s\n", r->san_match ? "matches" : "NOT in",
               r->cert_verified ? ", chain verified" : " (not verified: --insecure)");
    if (r->mfl_tried)
        printf("  max_frag_len   %u: %s\n", HOTA_PROBE_MFL,
               r->mfl_rc != HOTA_OK ? hota_errname(r->mfl_rc)
                   : r->mfl_accepted > 0 ? "accepted"
                   : r->mfl_accepted == 0 ? "ignored (larger records)"
                                          : "handshake ok (body too small to tell)");
}

/* A range request's status, its error name, or "-" when it was not made. */
static const char *status_str(const hota_probe_range_t *g, char buf[16])
{
    if (!g->tried)
        return "-";
    if (g->rc != HOTA_OK)
        return hota_errname(g->rc);
    snprintf(buf, 16, "%d", g->status);
    return buf;
}

static void human_http(const hota_probe_report_t *r)
{
    char s1[16], s2[16], s3[16];
    printf("  HTTP           HTTP/%d.%d %d, %u redirect%s\n", r->http_major, r->http_minor,
           r->status, r->redirects, r->redirects == 1 ? "" : "s");
    printf("  framing        %s", hota_http_framing_name(r->framing));
    if (r->has_length)
        printf(" (%llu bytes)", (unsigned long long)r->content_length);
    printf(", %llu body bytes read%s%s\n", (unsigned long long)r->body_bytes,
           r->body_rc == HOTA_OK ? "" : ", ",
           r->body_rc == HOTA_OK ? "" : hota_errname(r->body_rc));
    if (r->rc != HOTA_OK)
        return;
    printf("  end            %s%s\n", hota_probe_end_name(r->end),
           r->waits_for_close_notify ? " (the server waits for the client's close_notify)" : "");
    printf("  keep-alive     %s\n", r->keep_alive_tried ? yes(r->keep_alive_reuse)
                                                        : "no (the server ended the connection)");
    printf("  ranges         %s (Accept-Ranges: %s; bytes=0-15 -> %s, middle -> %s, "
           "past the end -> %s)\n", yes(r->range), or_dash(r->accept_ranges),
           status_str(&r->range_first, s1), status_str(&r->range_mid, s2),
           status_str(&r->range_unsat, s3));
    printf("  ETag           %s\n  Last-Modified  %s\n", or_dash(r->etag),
           or_dash(r->last_modified));
}

static void human_image(const hota_probe_report_t *r)
{
    const hota_app_desc_t *a = &r->image.app;
    if (!r->esp_image) {
        printf("  image          not an ESP app image%s%s\n", r->image_checked ? ": " : "",
               r->image_checked ? hota_errname(r->image_rc) : "");
        return;
    }
    printf("  image          ESP app image, chip %u, %u segments", r->image.chip_id,
           r->image.segment_count);
    if (r->image_full)
        printf(", checksum %s, hash %s, %d signature block%s, %s", yes(r->image.checksum_valid),
               r->image.hash_appended ? yes(r->image.hash_valid) : "none", r->image.sig_count,
               r->image.sig_count == 1 ? "" : "s",
               r->image_rc == HOTA_OK ? "valid" : hota_errname(r->image_rc));
    printf("\n");
    if (r->image.has_app_desc)
        printf("  app            %s %s (secure_version %u, IDF %s, %s %s)\n", a->project_name,
               a->version, a->secure_version, a->idf_ver, a->date, a->time);
}

static void print_human(const hota_probe_cfg_t *cfg, const hota_probe_report_t *r)
{
    printf("hota probe %s\n", cfg->url);
    if (r->rc != HOTA_OK)
        printf("  error          %s (%s)\n", hota_strerror(r->rc), hota_errname(r->rc));
    human_tls(r);
    if (r->status > 0)
        human_http(r);
    if (r->rc == HOTA_OK)
        human_image(r);
    printf("  verdict        ESP-IDF <= v5.3.1: %s; hota: %s; resume: %s\n",
           hota_probe_verdict_name(r->idf_v5_3_1), hota_probe_verdict_name(r->hota),
           r->resume ? "works" : "no");
    printf("  advice%s\n", r->advice_count ? "" : "         none");
    for (int i = 0; i < r->advice_count; i++)
        printf("    - %s\n", r->advice[i]);
}

static int usage_failed(int argc, char **argv, int code)
{
    for (int i = 1; i < argc; i++)
        if (!strcmp(argv[i], "--json")) {
            cli_json_t j;
            cli_json_begin(&j, stdout);
            cli_json_result(&j, HOTA_E_USAGE);
            cli_json_end(&j);
            break;
        }
    return code;
}

int cmd_probe(int argc, char **argv)
{
    probe_opts_t o;
    hota_probe_t *p;
    int code = parse_opts(argc, argv, &o);
    if (code != CLI_EXIT_OK)
        return usage_failed(argc, argv, code);
    p = calloc(1, sizeof *p);
    if (!p)
        return cli_fail("probe", "memory", HOTA_E_NO_MEMORY);
    hota_probe_init(p);
    hota_probe_run(p, &o.cfg);
    if (o.json)
        print_json(hota_probe_report(p));
    else
        print_human(&o.cfg, hota_probe_report(p));
    code = cli_exit_code(hota_probe_report(p)->rc);
    hota_probe_free(p);
    free(p);
    return code;
}
