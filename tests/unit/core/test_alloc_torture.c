/* Allocation-failure torture: a full HTTPS fetch from `openssl s_server -WWW` on loopback
 * (resolve, TLS 1.2+ handshake with certificate verification, body ended by close_notify,
 * our close_notify, teardown) is repeated with the N-th heap allocation failing, for N = 1, 2,
 * ... until a run completes without reaching its N-th allocation. Every allocation of the
 * process is counted and failed, mbedTLS's and libc's included (tests/support/alloc_interpose.h).
 * Every run must end in a clean error or in success with the whole body, and free every block
 * it allocated. Every N up to 2000 is tested, then about 1000 more spread evenly up to the
 * end; HOTA_TORTURE_STEP=k tests every k-th N past 2000 instead (1: all of them, the full
 * torture, about 27000 runs and a few minutes). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "../transport/tt.h"
#include "alloc_interpose.h"
#include "hota/error.h"
#include "hota/http.h"

HOTA_ALLOC_INTERPOSE();

#define BODY_LEN 40000u
#define MAX_ERRS 64

static char pki[256];
static tt_proc_t srv;
static uint16_t port;
static char url[128], ca[320];
static hota_http_t h;
static uint64_t baseline_calls;

typedef struct run_result {
    int rc;
    uint64_t bytes;
    hota_ip_stats_t st;
} run_result_t;

static int write_body(void)
{
    char path[320];
    FILE *f;
    int ok = 1;
    snprintf(path, sizeof path, "%s/body.bin", pki);
    f = fopen(path, "wb");
    if (!f)
        return -1;
    for (unsigned i = 0; i < BODY_LEN; i++)
        ok &= fputc((int)((i * 31u + 7u) & 0xFF), f) != EOF;
    return fclose(f) == 0 && ok ? 0 : -1;
}

static int setup(void **state)
{
    char cert[320], key[320], line[256];
    char *argv[] = {"openssl", "s_server", "-accept", "0", "-cert", cert, "-key", key, "-WWW",
                    NULL};
    const char *colon;
    (void)state;
    if (tt_make_pki(pki, sizeof pki) != 0 || write_body() != 0) {
        print_error("cannot create the test certificates or body in %s\n", pki);
        return -1;
    }
    snprintf(cert, sizeof cert, "%s/server.crt", pki);
    snprintf(key, sizeof key, "%s/server.key", pki);
    if (tt_spawn(&srv, pki, argv) != 0 || !tt_wait_line(&srv, "ACCEPT", line, sizeof line, 5000)) {
        print_error("openssl s_server did not start\n");
        return -1;
    }
    colon = strrchr(line, ':');
    port = colon ? (uint16_t)atoi(colon + 1) : 0;
    snprintf(url, sizeof url, "https://127.0.0.1:%u/body.bin", (unsigned)port);
    snprintf(ca, sizeof ca, "%s/ca.crt", pki);
    return port ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    tt_stop(&srv);
    tt_rmtree(pki);
    return 0;
}

/* One whole fetch; returns the first error (or HOTA_OK) and the body bytes received. */
static int fetch(uint64_t *bytes)
{
    static uint8_t buf[8192];
    hota_http_cfg_t cfg;
    int rc;
    hota_http_cfg_init(&cfg);
    cfg.url = url;
    cfg.tls.ca_file = ca;
    cfg.connect_timeout_ms = 5000;
    cfg.io_timeout_ms = 5000;
    cfg.close_wait_ms = 1000;
    *bytes = 0;
    hota_http_init(&h);
    rc = hota_http_request(&h, &cfg);
    while (rc == HOTA_OK) {
        size_t n = 0;
        rc = hota_http_read(&h, buf, sizeof buf, &n);
        if (rc != HOTA_OK || n == 0)
            break;
        *bytes += n;
    }
    if (rc == HOTA_OK && !hota_http_body_complete(&h))
        rc = HOTA_E_INTERNAL;
    if (rc == HOTA_OK && hota_http_response(&h)->status != 200)
        rc = HOTA_E_HTTP_STATUS;
    (void)hota_http_close(&h);
    hota_http_free(&h);
    return rc;
}

/* Discard what the server printed so far (its pipe must never fill up and block it). */
static void drain_server(void)
{
    char scratch[4096];
    struct pollfd pf = {srv.out, POLLIN, 0};
    srv.len = 0;
    while (srv.out >= 0 && poll(&pf, 1, 0) > 0 && read(srv.out, scratch, sizeof scratch) > 0)
        ;
}

static run_result_t run_with_failure(uint64_t n)
{
    run_result_t r;
    drain_server();
    hota_ip_start(n);
    r.rc = fetch(&r.bytes);
    hota_ip_stop();
    r.st = hota_ip_stats();
    return r;
}

static void check_run(uint64_t n, const run_result_t *r)
{
    if (r->st.live != 0 || r->st.overflow)
        fail_msg("N=%llu: %llu blocks not freed (rc %s)", (unsigned long long)n,
                 (unsigned long long)r->st.live, hota_errname(r->rc));
    if (r->rc == HOTA_OK && r->bytes != BODY_LEN)
        fail_msg("N=%llu: success with %llu of %u body bytes", (unsigned long long)n,
                 (unsigned long long)r->bytes, BODY_LEN);
    if (r->rc != HOTA_OK && r->st.failed == 0)
        fail_msg("N=%llu: failed with %s although no allocation failed", (unsigned long long)n,
                 hota_errname(r->rc));
}

/* The interposer is in place and an undisturbed fetch works and frees everything. */
static void test_baseline(void **state)
{
    run_result_t r;
    uint64_t bytes;
    (void)state;
    assert_true(hota_ip_active());
    assert_int_equal(fetch(&bytes), HOTA_OK); /* warm-up: one-time library state */
    r = run_with_failure(0);
    check_run(0, &r);
    assert_int_equal(r.rc, HOTA_OK);
    assert_true(r.st.calls > 50); /* mbedTLS's allocations are seen too */
    baseline_calls = r.st.calls;
    print_message("baseline fetch: %llu allocation calls\n", (unsigned long long)r.st.calls);
}

/* Tally of the error names seen, for the summary line. */
typedef struct tally {
    int codes[MAX_ERRS];
    unsigned count[MAX_ERRS];
    unsigned used;
} tally_t;

static void tally_add(tally_t *t, int rc)
{
    for (unsigned i = 0; i < t->used; i++)
        if (t->codes[i] == rc) {
            t->count[i]++;
            return;
        }
    if (t->used < MAX_ERRS) {
        t->codes[t->used] = rc;
        t->count[t->used++] = 1;
    }
}

static void test_torture(void **state)
{
    const char *env = getenv("HOTA_TORTURE_STEP");
    uint64_t step = baseline_calls > 3000 ? (baseline_calls - 2000) / 1000 + 1 : 1;
    uint64_t n = 1, runs = 0;
    tally_t t;
    (void)state;
    if (env && atoi(env) > 0)
        step = (uint64_t)atoi(env);
    memset(&t, 0, sizeof t);
    for (;; n += n < 2000 ? 1 : step) {
        run_result_t r = run_with_failure(n);
        check_run(n, &r);
        runs++;
        if (r.st.failed == 0) { /* the run needed fewer than n allocations: all covered */
            assert_int_equal(r.rc, HOTA_OK);
            break;
        }
        tally_add(&t, r.rc);
    }
    print_message("torture: N reached %llu (%llu runs, step %llu past 2000); results:",
                  (unsigned long long)n, (unsigned long long)runs, (unsigned long long)step);
    for (unsigned i = 0; i < t.used; i++)
        print_message(" %s x%u", hota_errname(t.codes[i]), t.count[i]);
    print_message("\n");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_baseline),
        cmocka_unit_test(test_torture),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
