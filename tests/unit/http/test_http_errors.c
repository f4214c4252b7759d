/* Every error path of the HTTP client: status line, header limit, CL/TE rules, chunk sizes,
 * truncation of each framing by each end kind, timeouts, stickiness, argument checks. */
#include "http_fixture.h"

#include <stdio.h>

struct head_case {
    const char *resp;
    int rc;
};

static const struct head_case head_cases[] = {
    {"HTTQ/1.1 200 OK\r\n\r\n", HOTA_E_HTTP_STATUS_LINE},
    {"HTTP/1.1 2x0 OK\r\n\r\n", HOTA_E_HTTP_STATUS_LINE},
    {"HTTP/1.1 20 OK\r\n\r\n", HOTA_E_HTTP_STATUS_LINE},
    {"HTTP/x.1 200 OK\r\n\r\n", HOTA_E_HTTP_STATUS_LINE},
    {"http/1.1 200 OK\r\n\r\n", HOTA_E_HTTP_STATUS_LINE},
    {"<html>hello</html>\r\n", HOTA_E_HTTP_STATUS_LINE},
    {"HTTP/1.1 200 OK\r\nBad Header\r\n\r\n", HOTA_E_HTTP_PARSE},
    {"HTTP/1.1 200 OK\r\nContent-Length: 12x\r\n\r\n", HOTA_E_HTTP_PARSE},
    {"HTTP/1.1 200 OK\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n",
     HOTA_E_CL_AND_TE},
    {"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n",
     HOTA_E_CL_AND_TE},
    {"HTTP/1.1 200 OK\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd", HOTA_E_CL_CONFLICT},
    {"HTTP/1.1 200 OK\r\nContent-Length: 3\r\nContent-Length: 3\r\n\r\nabc", HOTA_E_CL_CONFLICT},
    {"HTTP/1.1 200 OK\r\nX: a\x01b\r\n\r\n", HOTA_E_HTTP_PARSE},
    {"HTTP/1.1 101 Switching Protocols\r\nUpgrade: x\r\nConnection: upgrade\r\n\r\n",
     HOTA_E_HTTP_PARSE},
};

static void test_head_errors(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof head_cases / sizeof head_cases[0]; i++) {
        fx_t *f = fx_new_str(head_cases[i].resp, HOTA_E_CLOSE_NOTIFY);
        size_t n = 7;
        int rc = fx_fetch(f);
        if (rc != head_cases[i].rc || f->req_rc != rc)
            fail_msg("case %zu: %s, want %s", i, hota_errname(rc),
                     hota_errname(head_cases[i].rc));
        /* the failure is sticky for reads */
        assert_int_equal(hota_http_read(&f->h, f->rbuf, 16, &n), rc);
        assert_int_equal(n, 0);
        assert_false(hota_http_body_complete(&f->h));
    }
}

struct body_case {
    const char *resp;
    int rc;
    const char *body_before; /* bytes delivered before the failing read */
};

static const struct body_case body_cases[] = {
    {"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nfffffffffffffffff\r\n",
     HOTA_E_CHUNK_SIZE, ""},
    {"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\nzz\r\n", HOTA_E_CHUNK_SIZE,
     ""},
    {"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n-1\r\n", HOTA_E_CHUNK_SIZE, ""},
    {"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nokX\r\n", HOTA_E_CHUNK_SIZE,
     ""},
};

/* Bytes decoded by the read that fails are not delivered. Delivered one per read, the good
 * bytes before the fault come out first. */
static void test_body_errors_bytewise(void **state)
{
    fx_t *f = fx_new_str(body_cases[1].resp, HOTA_E_CLOSE_NOTIFY);
    (void)state;
    f->m.max_chunk = 1;
    assert_int_equal(fx_fetch(f), HOTA_E_CHUNK_SIZE);
    fx_assert_body(f, "ok");
}

static void test_body_errors(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof body_cases / sizeof body_cases[0]; i++) {
        fx_t *f = fx_new_str(body_cases[i].resp, HOTA_E_CLOSE_NOTIFY);
        int rc = fx_fetch(f);
        unsigned calls;
        size_t n = 1;
        assert_int_equal(f->req_rc, HOTA_OK);
        if (rc != body_cases[i].rc)
            fail_msg("case %zu: %s", i, hota_errname(rc));
        fx_assert_body(f, body_cases[i].body_before);
        calls = f->m.recv_calls;
        assert_int_equal(hota_http_read(&f->h, f->rbuf, 16, &n), rc);
        assert_int_equal(f->m.recv_calls, calls); /* sticky: no further transport read */
    }
}

static void test_header_too_long(void **state)
{
    static char resp[HOTA_HTTP_HEADER_MAX + 256];
    fx_t *f;
    int n;
    (void)state;
    /* over the configured cap */
    f = fx_new_str("HTTP/1.1 200 OK\r\nX-Long: 0123456789012345678901234567890123456789\r\n"
                   "Content-Length: 0\r\n\r\n",
                   HOTA_E_CLOSE_NOTIFY);
    f->cfg.max_header_bytes = 64;
    assert_int_equal(fx_fetch(f), HOTA_E_HEADER_TOO_LONG);
    /* the same response fits a larger cap */
    f = fx_new_str("HTTP/1.1 200 OK\r\nX-Long: 0123456789012345678901234567890123456789\r\n"
                   "Content-Length: 0\r\n\r\n",
                   HOTA_E_CLOSE_NOTIFY);
    f->cfg.max_header_bytes = 128;
    assert_int_equal(fx_fetch(f), HOTA_OK);
    /* over the default limit */
    n = snprintf(resp, sizeof resp, "HTTP/1.1 200 OK\r\nX-Pad: ");
    memset(resp + n, 'p', HOTA_HTTP_HEADER_MAX);
    strcpy(resp + n + HOTA_HTTP_HEADER_MAX, "\r\nContent-Length: 0\r\n\r\n");
    f = fx_new_str(resp, HOTA_E_CLOSE_NOTIFY);
    f->m.max_chunk = 1000;
    assert_int_equal(fx_fetch(f), HOTA_E_HEADER_TOO_LONG);
}

/* Each framing cut short by each end kind. */
static void test_truncation_matrix(void **state)
{
    static const char *const cut[] = {
        "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabcde",
        "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n",
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nabcde\r\n",
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nabcde\r\n0\r\n",
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\na\r\nabc",
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n",
    };
    static const struct {
        int end;
        int rc;
        hota_end_t kind;
    } ends[] = {
        {HOTA_E_CLOSE_NOTIFY, HOTA_E_TRUNCATED, HOTA_END_CLOSE_NOTIFY},
        {HOTA_E_PEER_FIN, HOTA_E_TRUNCATED, HOTA_END_FIN},
        {HOTA_E_CONN_RESET, HOTA_E_TRUNCATED, HOTA_END_RESET},
        {HOTA_E_TIMEOUT, HOTA_E_TIMEOUT, HOTA_END_TIMEOUT},
    };
    (void)state;
    for (size_t i = 0; i < sizeof cut / sizeof cut[0]; i++) {
        for (size_t e = 0; e < sizeof ends / sizeof ends[0]; e++) {
            fx_t *f = fx_new_str(cut[i], ends[e].end);
            hota_http_info_t info;
            int rc = fx_fetch(f);
            if (rc != ends[e].rc || f->req_rc != HOTA_OK)
                fail_msg("cut %zu end %zu: %s", i, e, hota_errname(rc));
            hota_http_get_info(&f->h, &info);
            assert_int_equal(info.end, ends[e].kind);
            assert_false(hota_http_body_complete(&f->h));
            assert_int_equal(info.t_complete_us, 0);
        }
    }
}

/* The connection ends inside the head, or before any byte. */
static void test_head_cut(void **state)
{
    static const int ends[] = {HOTA_E_CLOSE_NOTIFY, HOTA_E_PEER_FIN, HOTA_E_CONN_RESET};
    (void)state;
    for (size_t e = 0; e < 3; e++) {
        fx_t *f = fx_new_str("HTTP/1.1 200 OK\r\nContent-Le", ends[e]);
        assert_int_equal(fx_fetch(f), HOTA_E_TRUNCATED);
        f = fx_new_str("", ends[e]);
        assert_int_equal(fx_fetch(f), ends[e]);
    }
    fx_t *f = fx_new_str("HTTP/1.1 200 OK\r\n", HOTA_E_TIMEOUT);
    assert_int_equal(fx_fetch(f), HOTA_E_TIMEOUT);
}

static void test_argument_checks(void **state)
{
    static const char *const bad_hdr[] = {"NoColon"};
    static const char *const crlf_hdr[] = {"X-A: 1\r\nX-Injected: 2"};
    static const char *const empty_name[] = {": v"};
    fx_t *f = fx_new_str("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", HOTA_E_CLOSE_NOTIFY);
    size_t n = 3;
    (void)state;
    assert_int_equal(hota_http_read(&f->h, f->rbuf, 16, &n), HOTA_E_BAD_STATE);
    assert_int_equal(n, 0);
    assert_int_equal(hota_http_read(&f->h, f->rbuf, 16, NULL), HOTA_E_INVALID_ARG);
    assert_int_equal(hota_http_request(&f->h, NULL), HOTA_E_INVALID_ARG);
    assert_int_equal(hota_http_request(NULL, &f->cfg), HOTA_E_INVALID_ARG);
    f->cfg.url = "ftp://example.test/x";
    assert_int_equal(hota_http_request(&f->h, &f->cfg), HOTA_E_URL_SCHEME);
    f->cfg.url = "https://exa mple.test/x";
    assert_int_equal(hota_http_request(&f->h, &f->cfg), HOTA_E_URL);
    assert_int_equal(hota_http_read(&f->h, f->rbuf, 16, &n), HOTA_E_URL);
    f->cfg.url = "https://example.test/x";
    f->cfg.headers = bad_hdr;
    f->cfg.header_count = 1;
    assert_int_equal(hota_http_request(&f->h, &f->cfg), HOTA_E_INVALID_ARG);
    f->cfg.headers = crlf_hdr;
    assert_int_equal(hota_http_request(&f->h, &f->cfg), HOTA_E_INVALID_ARG);
    f->cfg.headers = empty_name;
    assert_int_equal(hota_http_request(&f->h, &f->cfg), HOTA_E_INVALID_ARG);
    f->cfg.header_count = 0;
    f->cfg.user_agent = "ua\r\nX: y";
    assert_int_equal(hota_http_request(&f->h, &f->cfg), HOTA_E_INVALID_ARG);
    assert_int_equal(f->m.send_calls, 0); /* nothing malformed was ever sent */
    f->cfg.user_agent = NULL;
    assert_int_equal(hota_http_request(&f->h, &f->cfg), HOTA_OK);
    assert_int_equal(hota_http_read(&f->h, f->rbuf, 0, &n), HOTA_E_INVALID_ARG);
    assert_int_equal(hota_http_read(&f->h, NULL, 16, &n), HOTA_E_INVALID_ARG);
}

static void test_request_too_big(void **state)
{
    static char big[HOTA_HTTP_REQUEST_MAX];
    const char *hdrs[1] = {big};
    fx_t *f = fx_new_str("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", HOTA_E_CLOSE_NOTIFY);
    (void)state;
    memset(big, 'v', sizeof big - 1);
    memcpy(big, "X-Big: ", 7);
    f->cfg.headers = hdrs;
    f->cfg.header_count = 1;
    assert_int_equal(hota_http_request(&f->h, &f->cfg), HOTA_E_BUFFER_TOO_SMALL);
    assert_int_equal(f->m.send_calls, 0);
}

/* A failed send (the scripted peer's capture is full) is reported as is. */
static void test_send_failure(void **state)
{
    fx_t *f = fx_new_str("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", HOTA_E_CLOSE_NOTIFY);
    (void)state;
    f->m.out_cap = 10;
    assert_int_equal(hota_http_request(&f->h, &f->cfg), HOTA_E_SEND);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_head_errors),
        cmocka_unit_test(test_body_errors),
        cmocka_unit_test(test_body_errors_bytewise),
        cmocka_unit_test(test_header_too_long),
        cmocka_unit_test(test_truncation_matrix),
        cmocka_unit_test(test_head_cut),
        cmocka_unit_test(test_argument_checks),
        cmocka_unit_test(test_request_too_big),
        cmocka_unit_test(test_send_failure),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
