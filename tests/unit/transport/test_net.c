/* Socket port, TCP filter and plain connections against real peers on loopback. */
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

enum peer_kind { PEER_ECHO_FIN, PEER_RESET, PEER_SILENT };

struct peer {
    int lfd;
    enum peer_kind kind;
};

/* Child side: accept one connection and behave as told. */
static void peer_main(void *arg)
{
    struct peer *p = arg;
    uint8_t buf[4096];
    size_t n = 0;
    int fd = -1;
    if (hota_net_accept(p->lfd, 5000, &fd) != HOTA_OK)
        return;
    if (p->kind == PEER_ECHO_FIN) {
        if (hota_net_recv(fd, buf, sizeof buf, &n, 5000) == HOTA_OK)
            (void)hota_net_send(fd, buf, n, &n, 5000);
        (void)hota_net_shutdown_wr(fd);
    } else if (p->kind == PEER_RESET) {
        (void)hota_net_recv(fd, buf, sizeof buf, &n, 5000);
        hota_net_abort(&fd);
        return;
    }
    while (hota_net_recv(fd, buf, sizeof buf, &n, 5000) == HOTA_OK) {
    }
    hota_net_close(&fd);
}

/* Listen on ip, fork a peer of the given kind; the listening socket stays with the parent
 * only until the child has it. */
static pid_t start_peer(const char *ip, enum peer_kind kind, uint16_t *port)
{
    struct peer p = {-1, kind};
    pid_t pid;
    assert_int_equal(hota_net_listen(ip, 0, 4, &p.lfd, port), HOTA_OK);
    assert_true(*port > 0);
    pid = tt_fork_peer(peer_main, &p);
    assert_true(pid > 0);
    hota_net_close(&p.lfd);
    return pid;
}

static void open_plain(hota_conn_t *c, const char *host, uint16_t port)
{
    hota_conn_cfg_t cfg;
    memset(&cfg, 0, sizeof cfg);
    cfg.host = host;
    cfg.port = port;
    cfg.connect_timeout_ms = 2000;
    hota_conn_init(c);
    assert_int_equal(hota_conn_open(c, &cfg), HOTA_OK);
    assert_non_null(hota_conn_cf(c));
}

/* Echo round trip, then the peer's FIN is reported as PEER_FIN (sticky). */
static void echo_then_fin(const char *ip)
{
    hota_conn_t c;
    hota_cf_info_t info;
    uint8_t buf[64];
    size_t n = 0;
    uint16_t port = 0;
    pid_t pid = start_peer(ip, PEER_ECHO_FIN, &port);
    open_plain(&c, ip, port);
    assert_int_equal(hota_cf_send_all(hota_conn_cf(&c), (const uint8_t *)"ping", 4, 2000),
                     HOTA_OK);
    assert_int_equal(hota_cf_recv(hota_conn_cf(&c), buf, sizeof buf, &n, 2000), HOTA_OK);
    assert_int_equal(n, 4);
    assert_memory_equal(buf, "ping", 4);
    assert_int_equal(hota_cf_recv(hota_conn_cf(&c), buf, sizeof buf, &n, 2000),
                     HOTA_E_PEER_FIN);
    assert_int_equal(n, 0);
    assert_int_equal(hota_cf_recv(hota_conn_cf(&c), buf, sizeof buf, &n, 0), HOTA_E_PEER_FIN);
    hota_conn_info(&c, &info);
    assert_int_equal(info.end, HOTA_END_FIN);
    assert_int_equal(info.fin_received, 1);
    assert_int_equal(info.bytes_in, 4);
    assert_int_equal(info.bytes_out, 4);
    assert_int_equal(info.handshakes, 0);
    assert_string_equal(info.tls_version, "");
    assert_int_equal(hota_conn_close(&c), HOTA_OK);
    assert_null(hota_conn_cf(&c));
    hota_conn_free(&c);
    hota_conn_free(&c);
    tt_reap(pid, 3000);
}

static void test_ipv4_echo_fin(void **state)
{
    (void)state;
    echo_then_fin("127.0.0.1");
}

static void test_ipv6_echo_fin(void **state)
{
    (void)state;
    echo_then_fin("::1");
}

static void test_localhost_name(void **state)
{
    hota_net_addr_t a[HOTA_NET_MAX_ADDRS];
    size_t n = 0;
    (void)state;
    assert_int_equal(hota_net_resolve("localhost", 80, a, HOTA_NET_MAX_ADDRS, &n), HOTA_OK);
    assert_true(n >= 1);
    assert_true(a[0].family == 4 || a[0].family == 6);
    assert_int_equal(a[0].port, 80);
    assert_int_equal(hota_net_resolve("::1", 443, a, 1, &n), HOTA_OK);
    assert_int_equal(n, 1);
    assert_int_equal(a[0].family, 6);
    assert_int_equal(a[0].ip[15], 1);
}

static void test_resolve_failure(void **state)
{
    hota_conn_t c;
    hota_conn_cfg_t cfg;
    (void)state;
    memset(&cfg, 0, sizeof cfg);
    cfg.host = "no-such-host.invalid";
    cfg.port = 80;
    cfg.connect_timeout_ms = 1000;
    hota_conn_init(&c);
    assert_int_equal(hota_conn_open(&c, &cfg), HOTA_E_RESOLVE);
    assert_null(hota_conn_cf(&c));
    hota_conn_free(&c);
}

/* A port nobody listens on: take a free one and close it again. */
static uint16_t dead_port(const char *ip)
{
    int fd = -1;
    uint16_t port = 0;
    assert_int_equal(hota_net_listen(ip, 0, 1, &fd, &port), HOTA_OK);
    hota_net_close(&fd);
    return port;
}

static void test_refused(void **state)
{
    hota_conn_t c;
    hota_conn_cfg_t cfg;
    (void)state;
    memset(&cfg, 0, sizeof cfg);
    cfg.host = "127.0.0.1";
    cfg.port = dead_port("127.0.0.1");
    hota_conn_init(&c);
    assert_int_equal(hota_conn_open(&c, &cfg), HOTA_E_CONNECT);
    cfg.host = "::1";
    cfg.port = dead_port("::1");
    assert_int_equal(hota_conn_open(&c, &cfg), HOTA_E_CONNECT);
    hota_conn_free(&c);
}

/* A listener with backlog 0 that never accepts: once its queue is full, SYNs are dropped
 * and a connect can only time out. */
static void test_connect_timeout(void **state)
{
    hota_net_addr_t a;
    int lfd = -1, fill[8], nfill = 0, rc = HOTA_OK;
    uint16_t port = 0;
    size_t n = 0;
    hota_conn_t c;
    hota_conn_cfg_t cfg;
    uint64_t t0;
    (void)state;
    assert_int_equal(hota_net_listen("127.0.0.1", 0, 0, &lfd, &port), HOTA_OK);
    assert_int_equal(hota_net_resolve("127.0.0.1", port, &a, 1, &n), HOTA_OK);
    while (nfill < 8 && rc == HOTA_OK) {
        rc = hota_net_connect(&a, 1, 300, &fill[nfill]);
        if (rc == HOTA_OK)
            nfill++;
    }
    assert_int_equal(rc, HOTA_E_TIMEOUT);
    memset(&cfg, 0, sizeof cfg);
    cfg.host = "127.0.0.1";
    cfg.port = port;
    cfg.connect_timeout_ms = 400;
    hota_conn_init(&c);
    t0 = hota_now_ms();
    assert_int_equal(hota_conn_open(&c, &cfg), HOTA_E_TIMEOUT);
    assert_true(hota_now_ms() - t0 >= 380);
    assert_true(hota_now_ms() - t0 < 1500);
    hota_conn_free(&c);
    while (nfill > 0)
        hota_net_close(&fill[--nfill]);
    hota_net_close(&lfd);
}

static void test_read_timeout(void **state)
{
    hota_conn_t c;
    hota_cf_info_t info;
    uint8_t buf[16];
    size_t n = 7;
    uint16_t port = 0;
    uint64_t t0;
    pid_t pid = start_peer("127.0.0.1", PEER_SILENT, &port);
    (void)state;
    open_plain(&c, "127.0.0.1", port);
    t0 = hota_now_ms();
    assert_int_equal(hota_cf_recv(hota_conn_cf(&c), buf, sizeof buf, &n, 250), HOTA_E_TIMEOUT);
    assert_int_equal(n, 0);
    assert_true(hota_now_ms() - t0 >= 240);
    assert_true(hota_now_ms() - t0 < 1500);
    hota_conn_info(&c, &info);
    assert_int_equal(info.end, HOTA_END_TIMEOUT);
    assert_int_equal(info.fin_received, 0);
    /* a zero timeout does not wait at all */
    t0 = hota_now_ms();
    assert_int_equal(hota_cf_recv(hota_conn_cf(&c), buf, sizeof buf, &n, 0), HOTA_E_TIMEOUT);
    assert_true(hota_now_ms() - t0 < 100);
    assert_int_equal(hota_conn_close(&c), HOTA_OK);
    hota_conn_free(&c);
    tt_reap(pid, 3000);
}

static void test_reset(void **state)
{
    hota_conn_t c;
    hota_cf_info_t info;
    uint8_t buf[16];
    size_t n = 0;
    uint16_t port = 0;
    pid_t pid = start_peer("127.0.0.1", PEER_RESET, &port);
    (void)state;
    open_plain(&c, "127.0.0.1", port);
    assert_int_equal(hota_cf_send_all(hota_conn_cf(&c), (const uint8_t *)"hi", 2, 2000),
                     HOTA_OK);
    assert_int_equal(hota_cf_recv(hota_conn_cf(&c), buf, sizeof buf, &n, 2000),
                     HOTA_E_CONN_RESET);
    assert_int_equal(hota_cf_recv(hota_conn_cf(&c), buf, sizeof buf, &n, 0), HOTA_E_CONN_RESET);
    assert_int_equal(hota_cf_send_all(hota_conn_cf(&c), (const uint8_t *)"x", 1, 500),
                     HOTA_E_CONN_RESET);
    hota_conn_info(&c, &info);
    assert_int_equal(info.end, HOTA_END_RESET);
    assert_int_equal(hota_conn_close(&c), HOTA_E_CONN_RESET);
    hota_conn_free(&c);
    tt_reap(pid, 3000);
}

/* Send errors: writing into a connection whose peer has reset gives CONN_RESET, not SIGPIPE. */
static void test_port_send_after_reset(void **state)
{
    int lfd = -1, cfd = -1, sfd = -1, rc = HOTA_OK;
    uint16_t port = 0;
    hota_net_addr_t a;
    size_t n = 0;
    uint8_t big[4096] = {0};
    (void)state;
    assert_int_equal(hota_net_listen("127.0.0.1", 0, 1, &lfd, &port), HOTA_OK);
    assert_int_equal(hota_net_resolve("127.0.0.1", port, &a, 1, &n), HOTA_OK);
    assert_int_equal(hota_net_connect(&a, 1, 1000, &cfd), HOTA_OK);
    assert_int_equal(hota_net_accept(lfd, 1000, &sfd), HOTA_OK);
    hota_net_abort(&sfd);
    for (int i = 0; i < 50 && rc == HOTA_OK; i++)
        rc = hota_net_send(cfd, big, sizeof big, &n, 500);
    assert_int_equal(rc, HOTA_E_CONN_RESET);
    hota_net_close(&cfd);
    hota_net_close(&cfd);
    hota_net_close(&lfd);
}

static void test_port_args(void **state)
{
    uint8_t ip[16];
    size_t len = 0, n = 0;
    int fd = 5;
    hota_net_addr_t a;
    (void)state;
    assert_int_equal(hota_net_parse_ip("127.0.0.1", ip, &len), HOTA_OK);
    assert_int_equal(len, 4);
    assert_memory_equal(ip, "\x7f\x00\x00\x01", 4);
    assert_int_equal(hota_net_parse_ip("::1", ip, &len), HOTA_OK);
    assert_int_equal(len, 16);
    assert_int_equal(hota_net_parse_ip("localhost", ip, &len), HOTA_E_INVALID_ARG);
    assert_int_equal(hota_net_parse_ip("[::1]", ip, &len), HOTA_E_INVALID_ARG);
    assert_int_equal(hota_net_resolve("", 1, &a, 1, &n), HOTA_E_INVALID_ARG);
    assert_int_equal(hota_net_connect(&a, 0, 10, &fd), HOTA_E_INVALID_ARG);
    assert_int_equal(hota_net_recv(-1, ip, 1, &n, 0), HOTA_E_INVALID_ARG);
    assert_int_equal(hota_net_listen("localhost", 0, 1, &fd, NULL), HOTA_E_INVALID_ARG);
    assert_int_equal(fd, -1);
}

/* The generic calls on a never-connected stack and the end names. */
static void test_cf_generic(void **state)
{
    hota_tcp_t t;
    hota_cf_info_t info;
    uint8_t b[4];
    size_t n = 3;
    hota_conn_t c;
    hota_conn_cfg_t cfg;
    (void)state;
    hota_tcp_init(&t);
    assert_int_equal(hota_tcp_setup(&t, "", 80), HOTA_E_INVALID_ARG);
    assert_int_equal(hota_tcp_setup(&t, "127.0.0.1", 0), HOTA_E_INVALID_ARG);
    assert_int_equal(hota_cf_recv(&t.cf, b, sizeof b, &n, 0), HOTA_E_CLOSED);
    assert_int_equal(n, 0);
    assert_int_equal(hota_cf_recv(&t.cf, b, 0, &n, 0), HOTA_E_INVALID_ARG);
    assert_int_equal(hota_cf_send_all(&t.cf, b, 1, 0), HOTA_E_CLOSED);
    assert_int_equal(hota_cf_shutdown(&t.cf, 0), HOTA_E_CLOSED);
    assert_int_equal(hota_cf_connect(&t.cf, 100), HOTA_E_BAD_STATE);
    hota_cf_close(&t.cf);
    hota_cf_close(&t.cf);
    hota_cf_query(&t.cf, &info);
    assert_int_equal(info.end, HOTA_END_NONE);
    hota_tcp_free(&t);
    assert_string_equal(hota_end_name(HOTA_END_NONE), "none");
    assert_string_equal(hota_end_name(HOTA_END_CLOSE_NOTIFY), "close_notify");
    assert_string_equal(hota_end_name(HOTA_END_FIN), "fin");
    assert_string_equal(hota_end_name(HOTA_END_RESET), "reset");
    assert_string_equal(hota_end_name(HOTA_END_TIMEOUT), "timeout");
    hota_conn_init(&c);
    hota_conn_info(&c, &info);
    assert_int_equal(info.bytes_in, 0);
    assert_int_equal(hota_conn_close(&c), HOTA_OK);
    memset(&cfg, 0, sizeof cfg);
    cfg.host = "127.0.0.1";
    assert_int_equal(hota_conn_open(&c, &cfg), HOTA_E_INVALID_ARG);
    hota_conn_free(&c);
    hota_conn_free(&c);
}

/* Counters add up over two connections on one hota_conn_t. */
static void test_reopen_counters(void **state)
{
    hota_conn_t c;
    hota_conn_cfg_t cfg;
    hota_cf_info_t info;
    uint8_t buf[16];
    size_t n;
    (void)state;
    hota_conn_init(&c);
    memset(&cfg, 0, sizeof cfg);
    cfg.host = "127.0.0.1";
    for (int i = 0; i < 2; i++) {
        pid_t pid = start_peer("127.0.0.1", PEER_ECHO_FIN, &cfg.port);
        assert_int_equal(hota_conn_open(&c, &cfg), HOTA_OK);
        assert_int_equal(hota_conn_open(&c, &cfg), HOTA_E_BAD_STATE);
        assert_int_equal(hota_cf_send_all(hota_conn_cf(&c), (const uint8_t *)"abc", 3, 2000),
                         HOTA_OK);
        assert_int_equal(hota_cf_recv(hota_conn_cf(&c), buf, sizeof buf, &n, 2000), HOTA_OK);
        assert_int_equal(hota_conn_close(&c), HOTA_OK);
        tt_reap(pid, 3000);
    }
    hota_conn_info(&c, &info);
    assert_int_equal(info.bytes_out, 6);
    assert_int_equal(info.bytes_in, 6);
    hota_conn_free(&c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ipv4_echo_fin),   cmocka_unit_test(test_ipv6_echo_fin),
        cmocka_unit_test(test_localhost_name),  cmocka_unit_test(test_resolve_failure),
        cmocka_unit_test(test_refused),         cmocka_unit_test(test_connect_timeout),
        cmocka_unit_test(test_read_timeout),    cmocka_unit_test(test_reset),
        cmocka_unit_test(test_port_send_after_reset), cmocka_unit_test(test_port_args),
        cmocka_unit_test(test_cf_generic),      cmocka_unit_test(test_reopen_counters),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
