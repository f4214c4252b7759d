/* TLS filter against `openssl s_server` on loopback: certificates, versions, mTLS, and the
 * s_server -WWW ending (body ended by close_notify, TCP held open until ours arrives). */
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

/* Start s_server for one connection with cert NAME.crt/NAME.key plus extra options (NULL
 * terminated); returns the port it listens on (0 on failure). */
static uint16_t s_server(tt_proc_t *p, const char *name, const char *const *extra)
{
    char cert[320], key[320], line[256];
    char *argv[32] = {"openssl", "s_server", "-accept", "0", "-naccept", "1", "-cert", cert,
                      "-key", key};
    int argc = 10;
    snprintf(cert, sizeof cert, "%s/%s.crt", pki, name);
    snprintf(key, sizeof key, "%s/%s.key", pki, name);
    for (; extra && *extra && argc < 31; extra++)
        argv[argc++] = (char *)*extra;
    argv[argc] = NULL;
    if (tt_spawn(p, pki, argv) != 0 || !tt_wait_line(p, "ACCEPT", line, sizeof line, 5000))
        return 0;
    const char *colon = strrchr(line, ':');
    return colon ? (uint16_t)atoi(colon + 1) : 0;
}

static void base_cfg(hota_conn_cfg_t *cfg, const char *host, uint16_t port)
{
    static char ca[320];
    memset(cfg, 0, sizeof *cfg);
    snprintf(ca, sizeof ca, "%s/ca.crt", pki);
    cfg->host = host;
    cfg->port = port;
    cfg->use_tls = 1;
    cfg->tls.ca_file = ca;
    cfg->connect_timeout_ms = 5000;
    cfg->close_wait_ms = 1000;
}

/* Handshake against s_server with cert `name`, returning hota_conn_open's result. */
static int try_handshake(const char *name, const char *host, hota_conn_cfg_t *cfg,
                         const char *const *extra)
{
    tt_proc_t p;
    hota_conn_t c;
    int rc;
    uint16_t port = s_server(&p, name, extra);
    assert_true(port > 0);
    if (!cfg->host)
        cfg->host = host;
    cfg->port = port;
    hota_conn_init(&c);
    rc = hota_conn_open(&c, cfg);
    if (rc == HOTA_OK) {
        hota_cf_info_t info;
        hota_conn_info(&c, &info);
        assert_int_equal(info.handshakes, 1);
        /* TLS 1.2 at least: mbedTLS 2.28 speaks 1.2, the OpenSSL backend may agree on 1.3 */
        assert_true(!strcmp(info.tls_version, "TLSv1.2") || !strcmp(info.tls_version, "TLSv1.3"));
        assert_true(strlen(info.cipher) > 4);
        (void)hota_conn_close(&c);
    }
    hota_conn_free(&c);
    tt_stop(&p);
    return rc;
}

static int handshake_with(const char *name, const char *host)
{
    hota_conn_cfg_t cfg;
    base_cfg(&cfg, host, 0);
    return try_handshake(name, host, &cfg, NULL);
}

static void test_trusted_localhost(void **state)
{
    (void)state;
    assert_int_equal(handshake_with("server", "localhost"), HOTA_OK);
}

static void test_ip_literals_checked_against_san(void **state)
{
    (void)state;
    assert_int_equal(handshake_with("server", "127.0.0.1"), HOTA_OK);
    assert_int_equal(handshake_with("server", "::1"), HOTA_OK);
    /* the other certificate names only other.example: no iPAddress entry matches */
    assert_int_equal(handshake_with("other", "127.0.0.1"), HOTA_E_CERT_HOSTNAME);
}

static void test_wrong_host(void **state)
{
    (void)state;
    assert_int_equal(handshake_with("other", "localhost"), HOTA_E_CERT_HOSTNAME);
}

static void test_server_name_override(void **state)
{
    hota_conn_cfg_t cfg;
    (void)state;
    base_cfg(&cfg, "127.0.0.1", 0);
    cfg.tls.server_name = "other.example";
    assert_int_equal(try_handshake("other", "127.0.0.1", &cfg, NULL), HOTA_OK);
}

static void test_expired(void **state)
{
    (void)state;
    assert_int_equal(handshake_with("expired", "localhost"), HOTA_E_CERT_EXPIRED);
}

static void test_unknown_ca_and_insecure(void **state)
{
    hota_conn_cfg_t cfg;
    (void)state;
    assert_int_equal(handshake_with("rogue", "localhost"), HOTA_E_CERT_VERIFY);
    /* the system store does not know the test CA either */
    base_cfg(&cfg, "localhost", 0);
    cfg.tls.ca_file = NULL;
    assert_int_equal(try_handshake("server", "localhost", &cfg, NULL), HOTA_E_CERT_VERIFY);
    base_cfg(&cfg, "localhost", 0);
    cfg.tls.insecure = 1;
    assert_int_equal(try_handshake("rogue", "localhost", &cfg, NULL), HOTA_OK);
}

static void test_ca_dir(void **state)
{
    char dir[320], cmd[1100];
    hota_conn_cfg_t cfg;
    (void)state;
    snprintf(dir, sizeof dir, "%s/cadir", pki);
    snprintf(cmd, sizeof cmd, "mkdir -p '%s' && cp '%s/ca.crt' '%s/'", dir, pki, dir);
    assert_int_equal(system(cmd), 0);
    base_cfg(&cfg, "localhost", 0);
    cfg.tls.ca_file = NULL;
    cfg.tls.ca_dir = dir;
    assert_int_equal(try_handshake("server", "localhost", &cfg, NULL), HOTA_OK);
}

static void test_mtls(void **state)
{
    static const char *const verify[] = {"-Verify", "1", "-CAfile", NULL, NULL};
    const char *opts[5];
    char ca[320], cert[320], key[320];
    hota_conn_cfg_t cfg;
    (void)state;
    snprintf(ca, sizeof ca, "%s/ca.crt", pki);
    snprintf(cert, sizeof cert, "%s/client.crt", pki);
    snprintf(key, sizeof key, "%s/client.key", pki);
    memcpy(opts, verify, sizeof opts);
    opts[3] = ca;
    base_cfg(&cfg, "localhost", 0);
    cfg.tls.cert_file = cert;
    cfg.tls.key_file = key;
    assert_int_equal(try_handshake("server", "localhost", &cfg, opts), HOTA_OK);
    base_cfg(&cfg, "localhost", 0);
    assert_int_equal(try_handshake("server", "localhost", &cfg, opts), HOTA_E_TLS_CLIENT_CERT);
}

static void test_tls11_server(void **state)
{
    static const char *const old[] = {"-tls1_1", "-cipher", "DEFAULT@SECLEVEL=0", NULL};
    hota_conn_cfg_t cfg;
    (void)state;
    base_cfg(&cfg, "localhost", 0);
    assert_int_equal(try_handshake("server", "localhost", &cfg, old), HOTA_E_TLS_VERSION);
}

static void test_config_errors(void **state)
{
    char bad[320], cert[320], key[320];
    hota_conn_t c;
    hota_conn_cfg_t cfg;
    (void)state;
    snprintf(bad, sizeof bad, "%s/missing.pem", pki);
    snprintf(cert, sizeof cert, "%s/client.crt", pki);
    snprintf(key, sizeof key, "%s/other.key", pki);
    hota_conn_init(&c);
    base_cfg(&cfg, "localhost", 1);
    cfg.tls.ca_file = bad;
    assert_int_equal(hota_conn_open(&c, &cfg), HOTA_E_CA_LOAD);
    base_cfg(&cfg, "localhost", 1);
    cfg.tls.cert_file = bad;
    cfg.tls.key_file = key;
    assert_int_equal(hota_conn_open(&c, &cfg), HOTA_E_CERT_LOAD);
    cfg.tls.cert_file = cert;
    cfg.tls.key_file = bad;
    assert_int_equal(hota_conn_open(&c, &cfg), HOTA_E_KEY_LOAD);
    cfg.tls.key_file = key; /* a key that does not belong to the certificate */
    assert_int_equal(hota_conn_open(&c, &cfg), HOTA_E_TLS_CONFIG);
    cfg.tls.key_file = NULL;
    assert_int_equal(hota_conn_open(&c, &cfg), HOTA_E_INVALID_ARG);
    base_cfg(&cfg, "localhost", 1);
    cfg.tls.max_frag_len = 1000;
    assert_int_equal(hota_conn_open(&c, &cfg), HOTA_E_INVALID_ARG);
    hota_conn_free(&c);
}

/* A peer that accepts TCP (kernel queue) but never speaks TLS: the handshake times out. */
static void test_handshake_timeout(void **state)
{
    int lfd = -1;
    uint16_t port = 0;
    hota_conn_t c;
    hota_conn_cfg_t cfg;
    uint64_t t0;
    (void)state;
    assert_int_equal(hota_net_listen("127.0.0.1", 0, 4, &lfd, &port), HOTA_OK);
    base_cfg(&cfg, "127.0.0.1", port);
    cfg.connect_timeout_ms = 300;
    hota_conn_init(&c);
    t0 = hota_now_ms();
    assert_int_equal(hota_conn_open(&c, &cfg), HOTA_E_TIMEOUT);
    assert_true(hota_now_ms() - t0 >= 290);
    assert_true(hota_now_ms() - t0 < 1500);
    hota_conn_free(&c);
    hota_net_close(&lfd);
}

/* Fetch NAME from s_server -WWW: the body ends with the server's close_notify; our close
 * sends ours, and s_server (which holds TCP open until then) finishes. */
static size_t www_get(const char *file, unsigned mfl, uint8_t *body, size_t cap)
{
    static const char *const www[] = {"-WWW", NULL};
    char req[128];
    tt_proc_t p;
    hota_conn_t c;
    hota_conn_cfg_t cfg;
    hota_cf_info_t info;
    size_t got = 0, n = 0;
    int rc = HOTA_OK;
    uint64_t t0;
    uint16_t port = s_server(&p, "server", www);
    assert_true(port > 0);
    base_cfg(&cfg, "localhost", port);
    cfg.tls.max_frag_len = mfl;
    hota_conn_init(&c);
    assert_int_equal(hota_conn_open(&c, &cfg), HOTA_OK);
    snprintf(req, sizeof req, "GET /%s HTTP/1.0\r\n\r\n", file);
    assert_int_equal(hota_cf_send_all(hota_conn_cf(&c), (const uint8_t *)req, strlen(req), 2000),
                     HOTA_OK);
    while (rc == HOTA_OK && got < cap) {
        rc = hota_cf_recv(hota_conn_cf(&c), body + got, cap - got, &n, 3000);
        got += n;
        if (mfl)
            assert_true(n <= mfl);
    }
    assert_int_equal(rc, HOTA_E_CLOSE_NOTIFY);
    hota_conn_info(&c, &info);
    assert_int_equal(info.end, HOTA_END_CLOSE_NOTIFY);
    assert_int_equal(info.close_notify_received, 1);
    assert_int_equal(info.close_notify_sent, 0);
    t0 = hota_now_ms();
    assert_int_equal(hota_conn_close(&c), HOTA_OK);
    assert_true(hota_now_ms() - t0 < 1100);
    hota_conn_info(&c, &info);
    assert_int_equal(info.close_notify_sent, 1);
    assert_int_equal(info.bytes_in, got);
    assert_int_equal(info.bytes_out, strlen(req));
    assert_true(tt_wait_exit(&p, 3000)); /* -naccept 1: s_server is done with us */
    hota_conn_free(&c);
    tt_stop(&p);
    return got;
}

static void write_file(const char *name, size_t len)
{
    char path[320];
    FILE *f;
    snprintf(path, sizeof path, "%s/%s", pki, name);
    f = fopen(path, "wb");
    assert_non_null(f);
    for (size_t i = 0; i < len; i++)
        fputc('a' + (int)(i % 26), f);
    fclose(f);
}

/* Body of the response: after the blank line; checks the byte pattern written above. */
static void check_body(const uint8_t *buf, size_t n, size_t want)
{
    const uint8_t *end = buf + n, *p = buf;
    while (p + 4 <= end && memcmp(p, "\r\n\r\n", 4) != 0)
        p++;
    assert_true(p + 4 <= end);
    p += 4;
    assert_int_equal((size_t)(end - p), want);
    for (size_t i = 0; i < want; i++)
        assert_int_equal(p[i], 'a' + (int)(i % 26));
}

static void test_www_close_notify_both_ways(void **state)
{
    static uint8_t buf[32768];
    size_t n;
    (void)state;
    write_file("small.bin", 1000);
    n = www_get("small.bin", 0, buf, sizeof buf);
    check_body(buf, n, 1000);
}

static void test_www_max_fragment_length(void **state)
{
    static uint8_t buf[32768];
    size_t n;
    (void)state;
    write_file("frag.bin", 5000);
    n = www_get("frag.bin", 512, buf, sizeof buf);
    check_body(buf, n, 5000);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_trusted_localhost),
        cmocka_unit_test(test_ip_literals_checked_against_san),
        cmocka_unit_test(test_wrong_host),
        cmocka_unit_test(test_server_name_override),
        cmocka_unit_test(test_expired),
        cmocka_unit_test(test_unknown_ca_and_insecure),
        cmocka_unit_test(test_ca_dir),
        cmocka_unit_test(test_mtls),
        cmocka_unit_test(test_tls11_server),
        cmocka_unit_test(test_config_errors),
        cmocka_unit_test(test_handshake_timeout),
        cmocka_unit_test(test_www_close_notify_both_ways),
        cmocka_unit_test(test_www_max_fragment_length),
    };
    return cmocka_run_group_tests(tests, setup_pki, remove_pki);
}
