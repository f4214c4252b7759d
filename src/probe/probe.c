/* hota probe: the run in order, names, lifetime. */
#include "probe_int.h"

#include "hota/error.h"

#include <string.h>

void hota_probe_cfg_init(hota_probe_cfg_t *cfg)
{
    if (cfg)
        memset(cfg, 0, sizeof *cfg);
}

void hota_probe_init(hota_probe_t *p)
{
    if (!p)
        return;
    memset(p, 0, sizeof *p);
    hota_conn_init(&p->conn);
    hota_http_init(&p->http);
    hota_http_init(&p->aux);
    hota_image_verifier_init(&p->verifier, NULL);
}

void hota_probe_free(hota_probe_t *p)
{
    if (!p)
        return;
    hota_http_free(&p->http);
    hota_http_free(&p->aux);
    hota_conn_free(&p->conn);
    hota_image_verifier_free(&p->verifier);
}

/* Fresh state for a run: everything of the previous run is released first. */
static void begin_run(hota_probe_t *p, const hota_probe_cfg_t *cfg)
{
    hota_image_policy_t policy;
    hota_probe_free(p);
    hota_probe_init(p);
    p->cfg = *cfg;
    p->cfg.tls.max_frag_len = 0;
    p->cfg.tls.tls12_only = 1; /* see the server as an ESP device (TLS 1.2) sees it */
    if (!p->cfg.timeout_ms)
        p->cfg.timeout_ms = HOTA_PROBE_DEFAULT_TIMEOUT_MS;
    if (!p->cfg.end_wait_ms)
        p->cfg.end_wait_ms = HOTA_PROBE_DEFAULT_END_WAIT_MS;
    memset(&policy, 0, sizeof policy);
    policy.chip_id = -1;
    policy.report_all = 1;
    hota_image_verifier_free(&p->verifier);
    hota_image_verifier_init(&p->verifier, &policy);
    p->rep.image_full = cfg->full ? 1 : 0;
}

int hota_probe_run(hota_probe_t *p, const hota_probe_cfg_t *cfg)
{
    int rc;
    if (!p || !cfg || !cfg->url)
        return HOTA_E_INVALID_ARG;
    begin_run(p, cfg);
    rc = hota_url_parse(&p->url, cfg->url);
    p->rep.tls = p->url.tls;
    if (rc == HOTA_OK)
        rc = hota_url_format(&p->url, p->url_text, sizeof p->url_text);
    if (rc == HOTA_OK)
        rc = probe_main(p);
    p->rep.rc = rc;
    if (p->rep.status >= 200 && p->rep.status <= 299) {
        probe_ranges(p);
        probe_mfl(p);
    }
    probe_verdicts(p);
    return rc;
}

const hota_probe_report_t *hota_probe_report(const hota_probe_t *p)
{
    return &p->rep;
}

const char *hota_probe_end_name(hota_probe_end_t e)
{
    static const char *const names[] = {"unknown", "close_notify_hold", "close_notify_fin",
                                        "fin",     "reset",             "keep_alive"};
    return (unsigned)e < sizeof names / sizeof names[0] ? names[e] : "unknown";
}

const char *hota_probe_verdict_name(hota_probe_verdict_t v)
{
    static const char *const names[] = {"ok", "hangs", "fails"};
    return (unsigned)v < sizeof names / sizeof names[0] ? names[v] : "fails";
}
