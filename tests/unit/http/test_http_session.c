/* Requests on one handle: the request head, keep-alive reuse, redirects, close. */
#include "http_fixture.h"

#include "hota/version.h"

#include <stdio.h>

#define R200(body) "HTTP/1.1 200 OK\r\nContent-Length: " #body "\r\n\r\n"

static size_t count_of(const char *hay, const char *needle)
{
    size_t n = 0;
    for (const char *p = strstr(hay, needle); p; p = strstr(p + 1, needle))
        n++;
    return n;
}

static void test_request_head(void **state)
{
    static const char *const extra[] = {"X-Device: esp32", "If-None-Match: \"v1\""};
    fx_t *f = fx_new_str("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", HOTA_E_CLOSE_NOTIFY);
    (void)state;
    f->cfg.url = "https://example.test:8443/fw/app.bin?ch=beta";
    f->cfg.headers = extra;
    f->cfg.header_count = 2;
    f->cfg.has_range = 1;
    f->cfg.range_start = 100;
    f->cfg.range_end = 199;
    assert_int_equal(fx_fetch(f), HOTA_OK);
    assert_string_equal(fx_sent(f), "GET /fw/app.bin?ch=beta HTTP/1.1\r\n"
                                    "Host: example.test:8443\r\n"
                                    "User-Agent: hota/" HOTA_VERSION_STRING "\r\n"
                                    "Accept: */*\r\n"
                                    "Range: bytes=100-199\r\n"
                                    "X-Device: esp32\r\n"
                                    "If-None-Match: \"v1\"\r\n"
                                    "Connection: keep-alive\r\n\r\n");
}

static void test_request_range_open_and_ua(void **state)
{
    fx_t *f = fx_new_str("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", HOTA_E_CLOSE_NOTIFY);
    (void)state;
    f->cfg.url = "http://[::1]/x";
    f->cfg.has_range = 1;
    f->cfg.range_start = 4096;
    f->cfg.user_agent = "probe/2";
    assert_int_equal(fx_fetch(f), HOTA_OK);
    assert_non_null(strstr(fx_sent(f), "Host: [::1]\r\n"));
    assert_non_null(strstr(fx_sent(f), "Range: bytes=4096-\r\n"));
    assert_non_null(strstr(fx_sent(f), "User-Agent: probe/2\r\n"));
}

static void test_basic_auth(void **state)
{
    fx_t *f = fx_new_str("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", HOTA_E_CLOSE_NOTIFY);
    (void)state;
    f->cfg.url = "https://user:pass@example.test/x"; /* base64("user:pass") */
    assert_int_equal(fx_fetch(f), HOTA_OK);
    assert_non_null(strstr(fx_sent(f), "Authorization: Basic dXNlcjpwYXNz\r\n"));
    f = fx_new_str("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", HOTA_E_CLOSE_NOTIFY);
    f->cfg.url = "https://user:pass@example.test/x";
    f->cfg.auth_user = "Aladdin"; /* the configured credentials win */
    f->cfg.auth_pass = "open sesame";
    assert_int_equal(fx_fetch(f), HOTA_OK);
    assert_non_null(strstr(fx_sent(f), "Authorization: Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==\r\n"));
    f = fx_new_str("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", HOTA_E_CLOSE_NOTIFY);
    assert_int_equal(fx_fetch(f), HOTA_OK);
    assert_null(strstr(fx_sent(f), "Authorization"));
}

/* Two responses on one connection: the second request reuses it. */
static void test_keep_alive_reuse(void **state)
{
    static const char resp[] = R200(5) "first"
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n6\r\nsecond\r\n0\r\n\r\n";
    static const size_t breaks[] = {sizeof R200(5) "first" - 1};
    fx_t *f = fx_new(resp, sizeof resp - 1, HOTA_E_CLOSE_NOTIFY);
    hota_http_info_t info;
    (void)state;
    hota_mem_cf_set_breaks(&f->m, breaks, 1);
    f->cfg.url = "https://example.test/a";
    assert_int_equal(fx_fetch(f), HOTA_OK);
    fx_assert_body(f, "first");
    f->cfg.url = "https://EXAMPLE.test:443/b";
    assert_int_equal(fx_fetch(f), HOTA_OK);
    fx_assert_body(f, "second");
    hota_http_get_info(&f->h, &info);
    assert_int_equal(info.connects, 1);
    assert_int_equal(info.requests, 2);
    assert_int_equal(info.reused, 1);
    assert_int_equal(f->m.shutdown_called, 0);
    assert_int_equal(f->m.recv_wait, 0);
    assert_int_equal(f->m.recv_end, 0);
    assert_int_equal(count_of(fx_sent(f), "GET /a HTTP/1.1"), 1);
    assert_int_equal(count_of(fx_sent(f), "GET /b HTTP/1.1"), 1);
}

/* No reuse after Connection: close, HTTP/1.0, an unfinished body or another origin. */
static void test_no_reuse(void **state)
{
    static const char *const first[] = {
        "HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 1\r\n\r\nx",
        "HTTP/1.0 200 OK\r\nContent-Length: 1\r\n\r\nx",
        "HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nx",
    };
    static char resp[256];
    (void)state;
    for (size_t i = 0; i < 4; i++) {
        size_t brk[1];
        int n = snprintf(resp, sizeof resp, "%s" R200(1) "y", first[i < 3 ? i : 2]);
        fx_t *f = fx_new(resp, (size_t)n, HOTA_E_CLOSE_NOTIFY);
        hota_http_info_t info;
        brk[0] = strlen(first[i < 3 ? i : 2]);
        hota_mem_cf_set_breaks(&f->m, brk, 1);
        if (i == 2) { /* the first body is left unread */
            assert_int_equal(hota_http_request(&f->h, &f->cfg), HOTA_OK);
        } else {
            assert_int_equal(fx_fetch(f), HOTA_OK);
        }
        if (i == 3)
            f->cfg.url = "https://other.test/fw.bin";
        assert_int_equal(fx_fetch(f), HOTA_OK);
        hota_http_get_info(&f->h, &info);
        assert_int_equal(info.connects, 2);
        assert_int_equal(info.reused, 0);
    }
}

static void test_redirect_relative(void **state)
{
    static const char resp[] = "HTTP/1.1 302 Found\r\nLocation: ../new/fw.bin?x=1\r\n"
                               "Content-Length: 5\r\n\r\nmoved" R200(3) "new";
    static const size_t breaks[] = {sizeof resp - 1 - (sizeof R200(3) "new" - 1)};
    fx_t *f = fx_new(resp, sizeof resp - 1, HOTA_E_CLOSE_NOTIFY);
    hota_http_info_t info;
    (void)state;
    hota_mem_cf_set_breaks(&f->m, breaks, 1);
    f->cfg.url = "https://u:p@example.test/old/dir/fw.bin";
    assert_int_equal(fx_fetch(f), HOTA_OK);
    fx_assert_body(f, "new");
    assert_int_equal(hota_http_response(&f->h)->status, 200);
    hota_http_get_info(&f->h, &info);
    assert_int_equal(info.redirects, 1);
    assert_int_equal(info.connects, 1); /* the small body was drained; connection kept */
    assert_int_equal(info.reused, 1);
    assert_non_null(strstr(fx_sent(f), "GET /old/new/fw.bin?x=1 HTTP/1.1\r\n"));
    assert_string_equal(hota_http_url(&f->h)->path, "/old/new/fw.bin?x=1");
    assert_int_equal(count_of(fx_sent(f), "Authorization: Basic dTpw"), 2);
}

static void test_redirect_absolute(void **state)
{
    static const char resp[] = "HTTP/1.1 301 Moved\r\nLocation: https://cdn.test:8443/a.bin\r\n"
                               "Content-Length: 0\r\n\r\n" R200(2) "ok";
    static const size_t breaks[] = {sizeof resp - 1 - (sizeof R200(2) "ok" - 1)};
    fx_t *f = fx_new(resp, sizeof resp - 1, HOTA_E_CLOSE_NOTIFY);
    hota_http_info_t info;
    (void)state;
    hota_mem_cf_set_breaks(&f->m, breaks, 1);
    f->cfg.auth_user = "dev";
    f->cfg.auth_pass = "secret";
    assert_int_equal(fx_fetch(f), HOTA_OK);
    fx_assert_body(f, "ok");
    hota_http_get_info(&f->h, &info);
    assert_int_equal(info.redirects, 1);
    assert_int_equal(info.connects, 2); /* another origin: another connection */
    assert_non_null(strstr(fx_sent(f), "GET /a.bin HTTP/1.1\r\nHost: cdn.test:8443\r\n"));
    assert_string_equal(hota_http_url(&f->h)->host, "cdn.test");
    assert_string_equal(hota_http_url(&f->h)->path, "/a.bin");
    /* the configured credentials went to the requested origin only */
    assert_int_equal(count_of(fx_sent(f), "Authorization:"), 1);
}

/* n redirects in a row, each 30x code, then a 200. */
static size_t redirect_chain(char *buf, size_t cap, int n, size_t *breaks)
{
    static const int codes[] = {301, 302, 303, 307, 308};
    size_t len = 0;
    for (int i = 0; i < n; i++) {
        int w = snprintf(buf + len, cap - len,
                         "HTTP/1.1 %d R\r\nLocation: /hop%d\r\nContent-Length: 0\r\n\r\n",
                         codes[i % 5], i + 1);
        len += (size_t)w;
        breaks[i] = len;
    }
    len += (size_t)snprintf(buf + len, cap - len, R200(3) "end");
    return len;
}

static void test_redirect_limit(void **state)
{
    static char resp[4096];
    static size_t breaks[16];
    (void)state;
    for (int n = 9; n <= 11; n++) { /* default limit 10 */
        size_t len = redirect_chain(resp, sizeof resp, n, breaks);
        fx_t *f = fx_new(resp, len, HOTA_E_CLOSE_NOTIFY);
        hota_mem_cf_set_breaks(&f->m, breaks, (size_t)n);
        assert_int_equal(fx_fetch(f), n <= 10 ? HOTA_OK : HOTA_E_REDIRECT_LIMIT);
        if (n <= 10)
            fx_assert_body(f, "end");
    }
    {
        size_t len = redirect_chain(resp, sizeof resp, 3, breaks);
        fx_t *f = fx_new(resp, len, HOTA_E_CLOSE_NOTIFY);
        hota_mem_cf_set_breaks(&f->m, breaks, 3);
        f->cfg.max_redirects = 2;
        assert_int_equal(fx_fetch(f), HOTA_E_REDIRECT_LIMIT);
        f = fx_new(resp, len, HOTA_E_CLOSE_NOTIFY);
        hota_mem_cf_set_breaks(&f->m, breaks, 3);
        f->cfg.max_redirects = -1; /* follow none: the 301 is the answer */
        assert_int_equal(hota_http_request(&f->h, &f->cfg), HOTA_OK);
        assert_int_equal(hota_http_response(&f->h)->status, 301);
        assert_string_equal(hota_http_response(&f->h)->location, "/hop1");
    }
}

static void test_redirect_insecure_and_invalid(void **state)
{
    static const char up[] = "HTTP/1.1 302 Found\r\nLocation: https://example.test/s\r\n"
                             "Content-Length: 0\r\n\r\n" R200(1) "s";
    static const size_t brk[] = {sizeof up - 1 - (sizeof R200(1) "s" - 1)};
    fx_t *f = fx_new_str("HTTP/1.1 302 Found\r\nLocation: http://example.test/fw.bin\r\n"
                         "Content-Length: 0\r\n\r\n",
                         HOTA_E_CLOSE_NOTIFY);
    (void)state;
    assert_int_equal(fx_fetch(f), HOTA_E_REDIRECT_INSECURE);
    assert_int_equal(f->m.send_calls, 1); /* the http URL was never requested */
    f = fx_new_str(up, HOTA_E_CLOSE_NOTIFY);
    hota_mem_cf_set_breaks(&f->m, brk, 1);
    f->cfg.url = "http://example.test/fw.bin"; /* upgrading to https is fine */
    assert_int_equal(fx_fetch(f), HOTA_OK);
    fx_assert_body(f, "s");
    f = fx_new_str("HTTP/1.1 302 Found\r\nContent-Length: 0\r\n\r\n", HOTA_E_CLOSE_NOTIFY);
    assert_int_equal(fx_fetch(f), HOTA_E_REDIRECT);
    f = fx_new_str("HTTP/1.1 307 T\r\nLocation: gopher://x/\r\nContent-Length: 0\r\n\r\n",
                   HOTA_E_CLOSE_NOTIFY);
    assert_int_equal(fx_fetch(f), HOTA_E_REDIRECT);
}

/* A redirect with a close-delimited body: not drained (that would wait for the end of the
 * connection); the next request goes to a new connection at once. */
static void test_redirect_close_delimited(void **state)
{
    fx_t *f = fx_new_str("HTTP/1.0 302 Found\r\nLocation: /b\r\n\r\n", HOTA_E_TIMEOUT);
    hota_http_info_t info;
    (void)state;
    assert_int_equal(hota_http_request(&f->h, &f->cfg), HOTA_E_TIMEOUT);
    hota_http_get_info(&f->h, &info);
    assert_int_equal(info.connects, 2);
    assert_int_equal(f->m.send_calls, 2);
    assert_int_equal(f->m.recv_calls, 2); /* one head read per request, no drain read */
    assert_non_null(strstr(fx_sent(f), "GET /b HTTP/1.1"));
}

static void test_close_sends_close_notify(void **state)
{
    fx_t *f = fx_new_str(R200(2) "ok", HOTA_E_CLOSE_NOTIFY);
    hota_cf_info_t ci;
    (void)state;
    assert_int_equal(fx_fetch(f), HOTA_OK);
    assert_int_equal(f->m.shutdown_called, 0);
    assert_int_equal(hota_http_close(&f->h), HOTA_OK);
    assert_int_equal(f->m.shutdown_called, 1);
    assert_int_equal(f->m.close_notify_sent, 1);
    assert_int_equal(f->m.closed, 1);
    hota_http_conn_info(&f->h, &ci);
    assert_int_equal(ci.close_notify_sent, 1);
    assert_int_equal(ci.bytes_in, strlen(R200(2) "ok"));
    /* the response facts stay readable; a second close does nothing */
    assert_int_equal(hota_http_response(&f->h)->status, 200);
    assert_int_equal(hota_http_close(&f->h), HOTA_OK);
    assert_int_equal(f->m.shutdown_called, 1);
    /* also after the peer's close_notify ended a close-delimited body */
    f = fx_new_str("HTTP/1.0 200 OK\r\n\r\nabc", HOTA_E_CLOSE_NOTIFY);
    assert_int_equal(fx_fetch(f), HOTA_OK);
    assert_int_equal(hota_http_close(&f->h), HOTA_OK);
    assert_int_equal(f->m.close_notify_sent, 1);
    hota_http_conn_info(&f->h, &ci);
    assert_int_equal(ci.close_notify_received, 1);
    assert_int_equal(ci.close_notify_sent, 1);
    /* and after a failure */
    f = fx_new_str("HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\nab", HOTA_E_PEER_FIN);
    assert_int_equal(fx_fetch(f), HOTA_E_TRUNCATED);
    assert_int_equal(hota_http_close(&f->h), HOTA_OK);
    assert_int_equal(f->m.close_notify_sent, 1);
}

static void test_free_twice(void **state)
{
    static hota_http_t h;
    fx_t *f = fx_new_str(R200(2) "ok", HOTA_E_CLOSE_NOTIFY);
    (void)state;
    hota_http_init(&h);
    hota_http_free(&h);
    hota_http_free(&h);
    assert_int_equal(fx_fetch(f), HOTA_OK);
    hota_http_free(&f->h);
    assert_int_equal(f->m.shutdown_called, 1);
    hota_http_free(&f->h);
    assert_int_equal(f->m.shutdown_called, 1);
    hota_http_init(&f->h);
}

static void test_framing_names(void **state)
{
    (void)state;
    assert_string_equal(hota_http_framing_name(HOTA_HTTP_FRAMING_LENGTH), "content-length");
    assert_string_equal(hota_http_framing_name(HOTA_HTTP_FRAMING_CHUNKED), "chunked");
    assert_string_equal(hota_http_framing_name(HOTA_HTTP_FRAMING_CLOSE), "close");
    assert_string_equal(hota_http_framing_name(HOTA_HTTP_FRAMING_NONE), "none");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_request_head),
        cmocka_unit_test(test_request_range_open_and_ua),
        cmocka_unit_test(test_basic_auth),
        cmocka_unit_test(test_keep_alive_reuse),
        cmocka_unit_test(test_no_reuse),
        cmocka_unit_test(test_redirect_relative),
        cmocka_unit_test(test_redirect_absolute),
        cmocka_unit_test(test_redirect_limit),
        cmocka_unit_test(test_redirect_insecure_and_invalid),
        cmocka_unit_test(test_redirect_close_delimited),
        cmocka_unit_test(test_close_sends_close_notify),
        cmocka_unit_test(test_free_twice),
        cmocka_unit_test(test_framing_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
