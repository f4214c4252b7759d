/* Body framing: chunked and Content-Length at every split size, close-delimited bodies with
 * each end kind, framing decisions, completion without another read. */
#include "http_fixture.h"

#include <stdio.h>

#define CHUNKED_BODY "hello, world! 0123456789abcdefghijklmnopqrstuvwxyz"
static const char chunked_resp[] =
    "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nETag: \"v1\"\r\n\r\n"
    "5\r\nhello\r\n"
    "8;ext=1\r\n, world!\r\n"
    "1\r\n \r\n"
    "A\r\n0123456789\r\n"
    "1a\r\nabcdefghijklmnopqrstuvwxyz\r\n"
    "0\r\nX-Trailer: t\r\n\r\n";

#define CL_BODY "The quick brown fox jumps over the lazy dog."
static const char cl_resp[] = "HTTP/1.1 200 OK\r\nContent-Length: 44\r\n"
                              "Last-Modified: Tue, 01 Oct 2024 10:00:00 GMT\r\n"
                              "Accept-Ranges: bytes\r\n\r\n" CL_BODY;

static const char close_resp[] = "HTTP/1.0 200 OK\r\nServer: s\r\n\r\n" CL_BODY;

static const size_t read_caps[] = {1, 2, 3, 7, 64, 4096};

/* Feed resp split every way: deliveries of 1..len bytes, each read buffer size. */
static void every_split(const char *resp, int end, const char *want, hota_http_framing_t fr)
{
    size_t len = strlen(resp);
    for (size_t split = 1; split <= len; split++) {
        for (size_t c = 0; c < sizeof read_caps / sizeof read_caps[0]; c++) {
            fx_t *f = fx_new(resp, len, end);
            f->m.max_chunk = split;
            f->read_cap = read_caps[c];
            if (fx_fetch(f) != HOTA_OK)
                fail_msg("split %zu cap %zu: %s", split, read_caps[c],
                         hota_errname(f->req_rc ? f->req_rc : f->read_rc));
            fx_assert_body(f, want);
            assert_int_equal(hota_http_response(&f->h)->framing, fr);
            assert_true(hota_http_body_complete(&f->h));
            assert_int_equal(f->m.in_pos, len);
            if (fr != HOTA_HTTP_FRAMING_CLOSE) /* framed: the end was never read */
                assert_int_equal(f->m.recv_end, 0);
            else
                assert_int_equal(f->m.recv_end, 1);
            assert_int_equal(f->m.recv_calls, f->m.recv_data + f->m.recv_end);
        }
    }
}

static void test_chunked_every_split(void **state)
{
    (void)state;
    every_split(chunked_resp, HOTA_E_CLOSE_NOTIFY, CHUNKED_BODY, HOTA_HTTP_FRAMING_CHUNKED);
    every_split(chunked_resp, HOTA_E_TIMEOUT, CHUNKED_BODY, HOTA_HTTP_FRAMING_CHUNKED);
}

static void test_length_every_split(void **state)
{
    (void)state;
    every_split(cl_resp, HOTA_E_PEER_FIN, CL_BODY, HOTA_HTTP_FRAMING_LENGTH);
}

static void test_close_delimited_every_split(void **state)
{
    (void)state;
    every_split(close_resp, HOTA_E_CLOSE_NOTIFY, CL_BODY, HOTA_HTTP_FRAMING_CLOSE);
}

static void test_headers_captured(void **state)
{
    fx_t *f = fx_new_str(cl_resp, HOTA_E_CLOSE_NOTIFY);
    const hota_http_resp_t *r;
    (void)state;
    assert_int_equal(fx_fetch(f), HOTA_OK);
    r = hota_http_response(&f->h);
    assert_int_equal(r->status, 200);
    assert_int_equal(r->http_major, 1);
    assert_int_equal(r->http_minor, 1);
    assert_int_equal(r->has_length, 1);
    assert_int_equal(r->content_length, 44);
    assert_int_equal(r->keep_alive, 1);
    assert_string_equal(r->last_modified, "Tue, 01 Oct 2024 10:00:00 GMT");
    assert_string_equal(r->accept_ranges, "bytes");
    assert_string_equal(r->etag, "");
    f = fx_new_str(chunked_resp, HOTA_E_CLOSE_NOTIFY);
    assert_int_equal(fx_fetch(f), HOTA_OK);
    assert_string_equal(hota_http_response(&f->h)->etag, "\"v1\"");
    assert_int_equal(hota_http_response(&f->h)->has_length, 0);
    assert_null(hota_http_www_authenticate(&f->h));
    /* 401: the Digest challenge is kept even when another follows */
    f = fx_new_str("HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Basic realm=\"a\"\r\n"
                   "WWW-Authenticate: Digest realm=\"r\", nonce=\"n\", qop=\"auth\"  \r\n"
                   "WWW-Authenticate: Bearer\r\nContent-Length: 0\r\n\r\n",
                   HOTA_E_CLOSE_NOTIFY);
    assert_int_equal(fx_fetch(f), HOTA_OK);
    assert_int_equal(hota_http_response(&f->h)->status, 401);
    assert_string_equal(hota_http_www_authenticate(&f->h),
                        "Digest realm=\"r\", nonce=\"n\", qop=\"auth\"");
    f = fx_new_str("HTTP/1.1 401 U\r\nWWW-Authenticate: Basic realm=\"a\"\r\n"
                   "Content-Length: 0\r\n\r\n",
                   HOTA_E_CLOSE_NOTIFY);
    assert_int_equal(fx_fetch(f), HOTA_OK);
    assert_string_equal(hota_http_www_authenticate(&f->h), "Basic realm=\"a\"");
}

/* A close-delimited body with each way the server can end. */
static void test_close_delimited_ends(void **state)
{
    static const struct {
        int end;
        int rc;
        hota_end_t kind;
    } cases[] = {
        {HOTA_E_CLOSE_NOTIFY, HOTA_OK, HOTA_END_CLOSE_NOTIFY},
        {HOTA_E_PEER_FIN, HOTA_E_TRUNCATED, HOTA_END_FIN},
        {HOTA_E_CONN_RESET, HOTA_E_TRUNCATED, HOTA_END_RESET},
        {HOTA_E_TIMEOUT, HOTA_E_TIMEOUT, HOTA_END_TIMEOUT},
    };
    (void)state;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        fx_t *f = fx_new_str(close_resp, cases[i].end);
        hota_http_info_t info;
        assert_int_equal(fx_fetch(f), cases[i].rc);
        assert_int_equal(f->req_rc, HOTA_OK);
        hota_http_get_info(&f->h, &info);
        assert_int_equal(info.end, cases[i].kind);
        assert_int_equal(hota_http_body_complete(&f->h), cases[i].rc == HOTA_OK);
        fx_assert_body(f, CL_BODY); /* every byte was delivered; only the verdict differs */
        if (cases[i].rc == HOTA_OK) {
            assert_true(info.t_complete_us >= info.t_last_body_us);
            assert_true(info.t_last_body_us > 0);
        } else {
            assert_int_equal(info.t_complete_us, 0);
        }
    }
}

struct framing_case {
    const char *resp;
    hota_http_framing_t framing;
    int keep_alive;
    const char *body;
};

static const struct framing_case framing_cases[] = {
    {"HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nabc", HOTA_HTTP_FRAMING_LENGTH, 1, "abc"},
    {"HTTP/1.0 200 OK\r\nContent-Length: 3\r\n\r\nabc", HOTA_HTTP_FRAMING_LENGTH, 0, "abc"},
    {"HTTP/1.0 200 OK\r\nContent-Length: 3\r\nConnection: keep-alive\r\n\r\nabc",
     HOTA_HTTP_FRAMING_LENGTH, 1, "abc"},
    {"HTTP/1.1 200 OK\r\nContent-Length: 3\r\nConnection: close\r\n\r\nabc",
     HOTA_HTTP_FRAMING_LENGTH, 0, "abc"},
    {"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", HOTA_HTTP_FRAMING_LENGTH, 1, ""},
    {"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", HOTA_HTTP_FRAMING_CHUNKED,
     1, ""},
    {"HTTP/1.1 200 OK\r\nServer: x\r\n\r\nabc", HOTA_HTTP_FRAMING_CLOSE, 0, "abc"},
    {"HTTP/1.0 200 OK\r\n\r\nabc", HOTA_HTTP_FRAMING_CLOSE, 0, "abc"},
    {"HTTP/1.0 200 OK\r\nConnection: keep-alive\r\n\r\nabc", HOTA_HTTP_FRAMING_CLOSE, 0, "abc"},
    {"HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\nabc", HOTA_HTTP_FRAMING_CLOSE, 0, "abc"},
    {"HTTP/1.1 204 No Content\r\n\r\n", HOTA_HTTP_FRAMING_NONE, 1, ""},
    {"HTTP/1.1 304 Not Modified\r\nETag: \"x\"\r\n\r\n", HOTA_HTTP_FRAMING_NONE, 1, ""},
    {"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok",
     HOTA_HTTP_FRAMING_LENGTH, 1, "ok"},
    {"HTTP/1.1 103 Early Hints\r\nLink: </x>\r\n\r\nHTTP/1.1 200 OK\r\n"
     "Transfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n",
     HOTA_HTTP_FRAMING_CHUNKED, 1, "ok"},
};

static void test_framing_decisions(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof framing_cases / sizeof framing_cases[0]; i++) {
        const struct framing_case *c = &framing_cases[i];
        fx_t *f = fx_new_str(c->resp, HOTA_E_CLOSE_NOTIFY);
        int rc = fx_fetch(f);
        if (rc != HOTA_OK)
            fail_msg("case %zu: %s", i, hota_errname(rc));
        assert_int_equal(hota_http_response(&f->h)->framing, c->framing);
        assert_int_equal(hota_http_response(&f->h)->keep_alive, c->keep_alive);
        fx_assert_body(f, c->body);
        /* only close-delimited bodies wait for the end of the connection */
        assert_int_equal(f->m.recv_end, c->framing == HOTA_HTTP_FRAMING_CLOSE);
    }
}

/* The read that parses the last byte returns completion; nothing is read after it. */
static void test_completion_without_extra_recv(void **state)
{
    fx_t *f = fx_new_str(cl_resp, HOTA_E_CLOSE_NOTIFY);
    size_t n = 0;
    unsigned calls;
    hota_http_info_t info;
    (void)state;
    f->m.max_chunk = strlen(cl_resp) - 10; /* head + most of the body, then the last 10 */
    assert_int_equal(hota_http_request(&f->h, &f->cfg), HOTA_OK);
    assert_int_equal(f->m.recv_calls, 1);
    assert_int_equal(hota_http_read(&f->h, f->rbuf, sizeof f->rbuf, &n), HOTA_OK);
    assert_int_equal(n, 34); /* the bytes that came with the head: no transport read */
    assert_int_equal(f->m.recv_calls, 1);
    assert_false(hota_http_body_complete(&f->h));
    assert_int_equal(hota_http_read(&f->h, f->rbuf, sizeof f->rbuf, &n), HOTA_OK);
    assert_int_equal(n, 10);
    assert_true(hota_http_body_complete(&f->h));
    assert_int_equal(f->m.recv_calls, 2);
    calls = f->m.recv_calls;
    assert_int_equal(hota_http_read(&f->h, f->rbuf, sizeof f->rbuf, &n), HOTA_OK);
    assert_int_equal(n, 0);
    assert_int_equal(f->m.recv_calls, calls);
    assert_int_equal(f->m.recv_end, 0);
    hota_http_get_info(&f->h, &info);
    assert_int_equal(info.end, HOTA_END_NONE);
    assert_int_equal(info.body_bytes, 44);
    assert_true(info.t_complete_us >= info.t_last_body_us && info.t_last_body_us > 0);
}

/* Chunked: the read that parses the final chunk and trailers completes, with no extra read,
 * even when the server then says nothing (end = timeout). */
static void test_chunked_completion_no_wait(void **state)
{
    fx_t *f = fx_new_str(chunked_resp, HOTA_E_TIMEOUT);
    (void)state;
    f->m.max_chunk = 16;
    assert_int_equal(fx_fetch(f), HOTA_OK);
    assert_int_equal(f->m.recv_end, 0);
    assert_int_equal(f->m.recv_calls, (strlen(chunked_resp) + 15) / 16);
}

/* A body-less response is complete right after the head. */
static void test_no_body_complete_at_head(void **state)
{
    fx_t *f = fx_new_str("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", HOTA_E_TIMEOUT);
    size_t n = 1;
    (void)state;
    assert_int_equal(hota_http_request(&f->h, &f->cfg), HOTA_OK);
    assert_true(hota_http_body_complete(&f->h));
    assert_int_equal(hota_http_read(&f->h, f->rbuf, 16, &n), HOTA_OK);
    assert_int_equal(n, 0);
    assert_int_equal(f->m.recv_calls, 1);
}

/* A large Content-Length body through a small buffer: the in-place path at volume. */
static void test_large_body(void **state)
{
    static char resp[40000];
    static char want[32768 + 1];
    fx_t *f;
    int hl;
    (void)state;
    for (size_t i = 0; i < 32768; i++)
        want[i] = (char)('a' + (i * 7) % 26);
    want[32768] = 0;
    hl = snprintf(resp, sizeof resp, "HTTP/1.1 200 OK\r\nContent-Length: 32768\r\n\r\n%s", want);
    assert_true(hl > 0);
    f = fx_new(resp, (size_t)hl, HOTA_E_CLOSE_NOTIFY);
    f->m.max_chunk = 1000;
    f->read_cap = 333;
    assert_int_equal(fx_fetch(f), HOTA_OK);
    fx_assert_body(f, want);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_chunked_every_split),
        cmocka_unit_test(test_length_every_split),
        cmocka_unit_test(test_close_delimited_every_split),
        cmocka_unit_test(test_headers_captured),
        cmocka_unit_test(test_close_delimited_ends),
        cmocka_unit_test(test_framing_decisions),
        cmocka_unit_test(test_completion_without_extra_recv),
        cmocka_unit_test(test_chunked_completion_no_wait),
        cmocka_unit_test(test_no_body_complete_at_head),
        cmocka_unit_test(test_large_body),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
