/* How TLS connections end, against a Python ssl peer on loopback (tls_peer.py) that reports
 * what it saw: close_notify both ways, FIN without close_notify, reset, timeouts, draining. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "hota/conn.h"
#include "hota/error.h"
#include "hota/port.h"
#include "tt.h"

static char pki[256];

static int setup_pki(void **state)
{
    (void)state;
    return tt_make_pki(pki, sizeof pki);
}

static int remove_pki(void **state)
{
    (void)state;
    tt_rmtree(pki);
    return 0;
}

/* Start tls_peer.py in `mode` and open a verified TLS connection to it. */
static void start(tt_proc_t *p, hota_conn_t *c, const char *mode, uint32_t close_wait_ms)
{
    static char ca[320];
    char src[512], script[600], cert[320], key[320], line[128];
    char *argv[] = {"python3", script, "--cert", cert, "--key", key, "--mode", (char *)mode,
                    NULL};
    hota_conn_cfg_t cfg;
    tt_srcdir(src, sizeof src);
    snprintf(script, sizeof script, "%s/tls_peer.py", src);
    snprintf(cert, sizeof cert, "%s/server.crt", pki);
    snprintf(key, sizeof key, "%s/server.key", pki);
    snprintf(ca, sizeof ca, "%s/ca.crt", pki);
    assert_int_equal(tt_spawn(p, NULL, argv), 0);
    assert_true(tt_wait_line(p, "PORT ", line, sizeof line, 5000));
    memset(&cfg, 0, sizeof cfg);
    cfg.host = "127.0.0.1";
    cfg.port = (uint16_t)atoi(line + 5);
    cfg.use_tls = 1;
    cfg.tls.ca_file = ca;
    cfg.connect_timeout_ms = 5000;
    cfg.close_wait_ms = close_wait_ms;
    hota_conn_init(c);
    assert_int_equal(hota_conn_open(c, &cfg), HOTA_OK);
    assert_true(tt_wait_line(p, "PEER handshake_ok", NULL, 0, 5000));
}

static void finish(tt_proc_t *p, hota_conn_t *c)
{
    hota_conn_free(c);
    assert_true(tt_wait_exit(p, 5000));
    tt_stop(p);
}

/* Read "hello" (possibly in pieces) and return the result that follows it. */
static int read_hello(hota_conn_t *c)
{
    uint8_t buf[64];
    size_t got = 0, n = 0;
    int rc = HOTA_OK;
    while (rc == HOTA_OK && got < sizeof buf) {
        rc = hota_cf_recv(hota_conn_cf(c), buf + got, sizeof buf - got, &n, 3000);
        got += n;
    }
    assert_int_equal(got, 5);
    assert_memory_equal(buf, "hello", 5);
    return rc;
}

static void test_close_notify_both_ways(void **state)
{
    tt_proc_t p;
    hota_conn_t c;
    hota_cf_info_t info;
    uint8_t b[8];
    size_t n;
    (void)state;
    start(&p, &c, "notify", 2000);
    assert_int_equal(read_hello(&c), HOTA_E_CLOSE_NOTIFY);
    assert_int_equal(hota_cf_recv(hota_conn_cf(&c), b, sizeof b, &n, 0), HOTA_E_CLOSE_NOTIFY);
    hota_conn_info(&c, &info);
    assert_int_equal(info.end, HOTA_END_CLOSE_NOTIFY);
    assert_int_equal(info.close_notify_received, 1);
    assert_int_equal(info.close_notify_sent, 0);
    assert_int_equal(hota_conn_close(&c), HOTA_OK);
    hota_conn_info(&c, &info);
    assert_int_equal(info.close_notify_sent, 1);
    assert_int_equal(info.bytes_in, 5);
    assert_true(tt_wait_line(&p, "PEER unwrap=ok", NULL, 0, 5000));
    finish(&p, &c);
}

static void test_fin_without_close_notify(void **state)
{
    tt_proc_t p;
    hota_conn_t c;
    hota_cf_info_t info;
    char line[128];
    (void)state;
    start(&p, &c, "fin", 2000);
    assert_int_equal(read_hello(&c), HOTA_E_PEER_FIN);
    hota_conn_info(&c, &info);
    assert_int_equal(info.end, HOTA_END_FIN);
    assert_int_equal(info.fin_received, 1);
    assert_int_equal(info.close_notify_received, 0);
    /* TLS is still up on our side: our close_notify goes out all the same */
    assert_int_equal(hota_conn_close(&c), HOTA_OK);
    hota_conn_info(&c, &info);
    assert_int_equal(info.close_notify_sent, 1);
    assert_true(tt_wait_line(&p, "PEER after_fin_bytes=", line, sizeof line, 5000));
    assert_true(atoi(strchr(line, '=') + 1) > 0);
    finish(&p, &c);
}

static void test_reset(void **state)
{
    tt_proc_t p;
    hota_conn_t c;
    hota_cf_info_t info;
    uint8_t buf[64];
    size_t n = 0;
    int rc = HOTA_OK, reads = 0;
    (void)state;
    start(&p, &c, "rst", 2000);
    assert_true(tt_wait_line(&p, "PEER reset", NULL, 0, 5000));
    /* data that arrived before the reset may still be delivered; the end is a reset */
    while (rc == HOTA_OK && reads++ < 8)
        rc = hota_cf_recv(hota_conn_cf(&c), buf, sizeof buf, &n, 3000);
    assert_int_equal(rc, HOTA_E_CONN_RESET);
    hota_conn_info(&c, &info);
    assert_int_equal(info.end, HOTA_END_RESET);
    assert_int_equal(info.close_notify_received, 0);
    assert_int_equal(hota_conn_close(&c), HOTA_E_CONN_RESET);
    hota_conn_info(&c, &info);
    assert_int_equal(info.close_notify_sent, 0);
    finish(&p, &c);
}

/* We close first: the peer must see our close_notify; its answer ends our wait early. */
static void test_we_close_first(void **state)
{
    tt_proc_t p;
    hota_conn_t c;
    hota_cf_info_t info;
    uint64_t t0;
    (void)state;
    start(&p, &c, "listen", 3000);
    assert_int_equal(hota_cf_send_all(hota_conn_cf(&c), (const uint8_t *)"ping", 4, 2000),
                     HOTA_OK);
    t0 = hota_now_ms();
    assert_int_equal(hota_conn_close(&c), HOTA_OK);
    assert_true(hota_now_ms() - t0 < 2500);
    hota_conn_info(&c, &info);
    assert_int_equal(info.close_notify_sent, 1);
    assert_int_equal(info.close_notify_received, 1);
    assert_int_equal(info.end, HOTA_END_CLOSE_NOTIFY);
    assert_int_equal(info.bytes_out, 4);
    assert_true(tt_wait_line(&p, "PEER client_notify=1", NULL, 0, 5000));
    finish(&p, &c);
}

/* Unread data at close: draining it keeps our close_notify from being destroyed by a reset. */
static void test_close_with_unread_data(void **state)
{
    tt_proc_t p;
    hota_conn_t c;
    uint8_t buf[100];
    size_t n = 0;
    uint64_t t0;
    (void)state;
    start(&p, &c, "flood", 4000);
    assert_int_equal(hota_cf_recv(hota_conn_cf(&c), buf, sizeof buf, &n, 3000), HOTA_OK);
    assert_true(n > 0);
    t0 = hota_now_ms();
    assert_int_equal(hota_conn_close(&c), HOTA_OK);
    assert_true(hota_now_ms() - t0 < 3900);
    assert_true(tt_wait_line(&p, "PEER client_notify=1", NULL, 0, 5000));
    finish(&p, &c);
}

/* A peer that never answers: close returns after close_wait_ms, not later. */
static void test_close_bounded(void **state)
{
    tt_proc_t p;
    hota_conn_t c;
    hota_cf_info_t info;
    uint64_t t0, dt;
    (void)state;
    start(&p, &c, "hold", 300);
    t0 = hota_now_ms();
    assert_int_equal(hota_conn_close(&c), HOTA_OK);
    dt = hota_now_ms() - t0;
    assert_true(dt >= 250);
    assert_true(dt < 800);
    hota_conn_info(&c, &info);
    assert_int_equal(info.close_notify_sent, 1);
    assert_int_equal(info.close_notify_received, 0);
    assert_true(tt_wait_line(&p, "PEER gone", NULL, 0, 5000));
    finish(&p, &c);
}

static void test_read_timeout(void **state)
{
    tt_proc_t p;
    hota_conn_t c;
    hota_cf_info_t info;
    uint8_t buf[16];
    size_t n = 9;
    uint64_t t0;
    (void)state;
    start(&p, &c, "hold", 200);
    t0 = hota_now_ms();
    assert_int_equal(hota_cf_recv(hota_conn_cf(&c), buf, sizeof buf, &n, 250), HOTA_E_TIMEOUT);
    assert_int_equal(n, 0);
    assert_true(hota_now_ms() - t0 >= 240);
    assert_true(hota_now_ms() - t0 < 1500);
    hota_conn_info(&c, &info);
    assert_int_equal(info.end, HOTA_END_TIMEOUT);
    /* a timeout is not an end: the connection is still usable and closes gracefully */
    assert_int_equal(hota_cf_send_all(hota_conn_cf(&c), (const uint8_t *)"x", 1, 1000), HOTA_OK);
    assert_int_equal(hota_conn_close(&c), HOTA_OK);
    hota_conn_info(&c, &info);
    assert_int_equal(info.close_notify_sent, 1);
    finish(&p, &c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_close_notify_both_ways),
        cmocka_unit_test(test_fin_without_close_notify),
        cmocka_unit_test(test_reset),
        cmocka_unit_test(test_we_close_first),
        cmocka_unit_test(test_close_with_unread_data),
        cmocka_unit_test(test_close_bounded),
        cmocka_unit_test(test_read_timeout),
    };
    return cmocka_run_group_tests(tests, setup_pki, remove_pki);
}
