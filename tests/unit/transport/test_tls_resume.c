/* TLS session resumption of a reused hota_conn_t against `openssl s_server` on loopback: a
 * second connection to the same origin with the same settings resumes; another host name,
 * other trust settings or an insecure first connection never get the session; a TLS failure
 * drops it, a network failure keeps it. Also prints how long a full and a resumed handshake
 * take through the whole stack. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "hota/conn.h"
#include "hota/error.h"
#include "hota/net.h"
#include "hota/port.h"
#include "tt.h"

#define TIMING_ROUNDS 5

static char pki[256];
static char ca_file[320];
static char ca_dir[320];

static int setup_pki(void **state)
{
    char cmd[1100];
    (void)state;
    if (tt_make_pki(pki, sizeof pki) != 0)
        return -1;
    snprintf(ca_file, sizeof ca_file, "%s/ca.crt", pki);
    snprintf(ca_dir, sizeof ca_dir, "%s/cadir", pki);
    snprintf(cmd, sizeof cmd, "mkdir -p '%s' && cp '%s' '%s/'", ca_dir, ca_file, ca_dir);
    return system(cmd) == 0 ? 0 : -1;
}

static int remove_pki(void **state)
{
    (void)state;
    tt_rmtree(pki);
    return 0;
}

/* s_server (its default session cache and tickets) for `accepts` connections with the
 * localhost certificate; returns its port (0 on failure). */
static uint16_t s_server(tt_proc_t *p, unsigned accepts)
{
    char cert[320], key[320], n[16], line[256];
    char *argv[] = {"openssl", "s_server", "-accept", "0", "-naccept", n, "-cert", cert,
                    "-key", key, NULL};
    snprintf(cert, sizeof cert, "%s/server.crt", pki);
    snprintf(key, sizeof key, "%s/server.key", pki);
    snprintf(n, sizeof n, "%u", accepts);
    if (tt_spawn(p, pki, argv) != 0 || !tt_wait_line(p, "ACCEPT", line, sizeof line, 5000))
        return 0;
    const char *colon = strrchr(line, ':');
    return colon ? (uint16_t)atoi(colon + 1) : 0;
}

static void base_cfg(hota_conn_cfg_t *cfg, const char *host, uint16_t port)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->host = host;
    cfg->port = port;
    cfg->use_tls = 1;
    cfg->tls.ca_file = ca_file;
    cfg->connect_timeout_ms = 5000;
    cfg->close_wait_ms = 1000;
}

/* Open c with cfg, check the result, close gracefully (the session is kept at close); returns
 * whether the handshake resumed (-1 when the open failed) and the open's duration. */
static int open_close(hota_conn_t *c, const hota_conn_cfg_t *cfg, int want_rc, uint64_t *us)
{
    hota_cf_info_t info;
    uint64_t t0 = hota_now_us();
    int rc = hota_conn_open(c, cfg);
    if (us)
        *us = hota_now_us() - t0;
    assert_int_equal(rc, want_rc);
    if (rc != HOTA_OK)
        return -1;
    hota_conn_info(c, &info);
    (void)hota_conn_close(c);
    return info.resumed;
}

static void test_second_connection_resumes(void **state)
{
    tt_proc_t p;
    hota_conn_t c;
    hota_conn_cfg_t cfg;
    hota_cf_info_t info;
    uint16_t port;
    (void)state;
    port = s_server(&p, 3);
    assert_true(port > 0);
    base_cfg(&cfg, "localhost", port);
    hota_conn_init(&c);
    assert_int_equal(open_close(&c, &cfg, HOTA_OK, NULL), 0);
    assert_int_equal(open_close(&c, &cfg, HOTA_OK, NULL), 1);
    assert_int_equal(open_close(&c, &cfg, HOTA_OK, NULL), 1);
    hota_conn_info(&c, &info);
    assert_int_equal(info.handshakes, 3);
    assert_int_equal(info.handshakes_resumed, 2);
    assert_int_equal(info.resumed, 1);
    hota_conn_free(&c);
    tt_stop(&p);
}

/* Same server, same port, another name for it: the session is not offered. */
static void test_other_host_name_not_offered(void **state)
{
    tt_proc_t p;
    hota_conn_t c;
    hota_conn_cfg_t cfg;
    uint16_t port;
    (void)state;
    port = s_server(&p, 4);
    assert_true(port > 0);
    hota_conn_init(&c);
    base_cfg(&cfg, "localhost", port);
    assert_int_equal(open_close(&c, &cfg, HOTA_OK, NULL), 0);
    base_cfg(&cfg, "127.0.0.1", port);
    assert_int_equal(open_close(&c, &cfg, HOTA_OK, NULL), 0);
    /* the same host with another server_name is another origin as well */
    cfg.tls.server_name = "localhost";
    assert_int_equal(open_close(&c, &cfg, HOTA_OK, NULL), 0);
    /* and the server does resume when nothing changed */
    assert_int_equal(open_close(&c, &cfg, HOTA_OK, NULL), 1);
    hota_conn_free(&c);
    tt_stop(&p);
}

/* A session made without the certificate check never reaches a verifying connection; other
 * trust settings (a CA directory instead of the file, TLS 1.2 only) are other settings. */
static void test_insecure_and_settings_not_offered(void **state)
{
    tt_proc_t p;
    hota_conn_t c;
    hota_conn_cfg_t cfg;
    uint16_t port;
    (void)state;
    port = s_server(&p, 6);
    assert_true(port > 0);
    hota_conn_init(&c);
    base_cfg(&cfg, "localhost", port);
    cfg.tls.insecure = 1;
    assert_int_equal(open_close(&c, &cfg, HOTA_OK, NULL), 0);
    assert_int_equal(open_close(&c, &cfg, HOTA_OK, NULL), 1); /* insecure to insecure */
    cfg.tls.insecure = 0;
    assert_int_equal(open_close(&c, &cfg, HOTA_OK, NULL), 0);
    cfg.tls.ca_file = NULL;
    cfg.tls.ca_dir = ca_dir;
    assert_int_equal(open_close(&c, &cfg, HOTA_OK, NULL), 0);
    cfg.tls.tls12_only = 1;
    assert_int_equal(open_close(&c, &cfg, HOTA_OK, NULL), 0);
    assert_int_equal(open_close(&c, &cfg, HOTA_OK, NULL), 1);
    hota_conn_free(&c);
    tt_stop(&p);
}

/* A failed handshake with a TLS or certificate error drops the kept session; a network
 * failure (nothing listening) keeps it. */
static void test_tls_error_drops_network_error_keeps(void **state)
{
    tt_proc_t p;
    hota_conn_t c;
    hota_conn_cfg_t cfg;
    int lfd = -1;
    uint16_t port, dead = 0;
    (void)state;
    assert_int_equal(hota_net_listen("127.0.0.1", 0, 1, &lfd, &dead), HOTA_OK);
    hota_net_close(&lfd); /* a port nobody listens on */
    port = s_server(&p, 5);
    assert_true(port > 0);
    hota_conn_init(&c);
    base_cfg(&cfg, "localhost", port);
    assert_int_equal(open_close(&c, &cfg, HOTA_OK, NULL), 0);
    cfg.port = dead;
    assert_int_equal(open_close(&c, &cfg, HOTA_E_CONNECT, NULL), -1);
    cfg.port = port;
    assert_int_equal(open_close(&c, &cfg, HOTA_OK, NULL), 1); /* kept */
    cfg.tls.server_name = "other.example";
    assert_int_equal(open_close(&c, &cfg, HOTA_E_CERT_HOSTNAME, NULL), -1);
    cfg.tls.server_name = NULL;
    assert_int_equal(open_close(&c, &cfg, HOTA_OK, NULL), 0); /* dropped */
    assert_int_equal(open_close(&c, &cfg, HOTA_OK, NULL), 1);
    hota_conn_free(&c);
    tt_stop(&p);
}

/* hota_conn_free releases the session: a reopened connection starts over. */
static void test_free_releases_session(void **state)
{
    tt_proc_t p;
    hota_conn_t c;
    hota_conn_cfg_t cfg;
    uint16_t port;
    (void)state;
    port = s_server(&p, 2);
    assert_true(port > 0);
    hota_conn_init(&c);
    base_cfg(&cfg, "localhost", port);
    assert_int_equal(open_close(&c, &cfg, HOTA_OK, NULL), 0);
    hota_conn_free(&c);
    hota_conn_free(&c);
    assert_int_equal(open_close(&c, &cfg, HOTA_OK, NULL), 0);
    hota_conn_free(&c);
    tt_stop(&p);
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

/* hota_conn_open (TCP connect + handshake) with a fresh connection each time, then with one
 * connection reused: medians of TIMING_ROUNDS each. */
static void test_timing(void **state)
{
    uint64_t full[TIMING_ROUNDS], resumed[TIMING_ROUNDS], us = 0;
    tt_proc_t p;
    hota_conn_t c;
    hota_conn_cfg_t cfg;
    uint16_t port;
    (void)state;
    port = s_server(&p, 2 * TIMING_ROUNDS + 1);
    assert_true(port > 0);
    base_cfg(&cfg, "localhost", port);
    for (int i = 0; i < TIMING_ROUNDS; i++) {
        hota_conn_init(&c);
        assert_int_equal(open_close(&c, &cfg, HOTA_OK, &full[i]), 0);
        hota_conn_free(&c);
    }
    hota_conn_init(&c);
    assert_int_equal(open_close(&c, &cfg, HOTA_OK, &us), 0);
    for (int i = 0; i < TIMING_ROUNDS; i++)
        assert_int_equal(open_close(&c, &cfg, HOTA_OK, &resumed[i]), 1);
    hota_conn_free(&c);
    tt_stop(&p);
    qsort(full, TIMING_ROUNDS, sizeof full[0], cmp_u64);
    qsort(resumed, TIMING_ROUNDS, sizeof resumed[0], cmp_u64);
    printf("hota_conn_open to s_server on loopback (%s): full handshake %.2f ms, resumed "
           "%.2f ms (medians of %d)\n", HOTA_TLS_BACKEND_NAME, full[TIMING_ROUNDS / 2] / 1000.0,
           resumed[TIMING_ROUNDS / 2] / 1000.0, TIMING_ROUNDS);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_second_connection_resumes),
        cmocka_unit_test(test_other_host_name_not_offered),
        cmocka_unit_test(test_insecure_and_settings_not_offered),
        cmocka_unit_test(test_tls_error_drops_network_error_keeps),
        cmocka_unit_test(test_free_releases_session),
        cmocka_unit_test(test_timing),
    };
    return cmocka_run_group_tests(tests, setup_pki, remove_pki);
}
