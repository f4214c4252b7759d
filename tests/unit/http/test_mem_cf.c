/* The in-memory filter: delivery limits, repeated end results, release by breaks, capture,
 * shutdown and the facts it reports through the generic filter calls. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "hota/error.h"
#include "hota/transport_mem.h"

static const uint8_t input[] = "0123456789";

static void test_delivery_and_end(void **state)
{
    hota_mem_cf_t m;
    uint8_t buf[8];
    size_t n = 99;
    (void)state;
    hota_mem_cf_init(&m, input, 10, HOTA_E_PEER_FIN, NULL, 0);
    m.max_chunk = 4;
    assert_int_equal(hota_cf_recv(&m.cf, buf, sizeof buf, &n, 0), HOTA_OK);
    assert_int_equal(n, 4);
    assert_memory_equal(buf, "0123", 4);
    assert_int_equal(hota_cf_recv(&m.cf, buf, 3, &n, 0), HOTA_OK); /* the smaller cap wins */
    assert_int_equal(n, 3);
    assert_memory_equal(buf, "456", 3);
    assert_int_equal(hota_cf_recv(&m.cf, buf, sizeof buf, &n, 0), HOTA_OK);
    assert_int_equal(n, 3);
    for (int i = 0; i < 3; i++) { /* the end is reported on every later read */
        assert_int_equal(hota_cf_recv(&m.cf, buf, sizeof buf, &n, 0), HOTA_E_PEER_FIN);
        assert_int_equal(n, 0);
    }
    assert_int_equal(m.recv_calls, 6);
    assert_int_equal(m.recv_data, 3);
    assert_int_equal(m.recv_end, 3);
}

static void test_breaks_release_per_send(void **state)
{
    static const size_t breaks[] = {3, 7};
    hota_mem_cf_t m;
    uint8_t out[16], buf[16];
    size_t n;
    (void)state;
    hota_mem_cf_init(&m, input, 10, HOTA_E_CLOSE_NOTIFY, out, sizeof out);
    hota_mem_cf_set_breaks(&m, breaks, 2);
    assert_int_equal(hota_cf_recv(&m.cf, buf, sizeof buf, &n, 0), HOTA_E_TIMEOUT);
    assert_int_equal(hota_cf_send_all(&m.cf, (const uint8_t *)"req1", 4, 0), HOTA_OK);
    assert_int_equal(hota_cf_recv(&m.cf, buf, sizeof buf, &n, 0), HOTA_OK);
    assert_int_equal(n, 3);
    assert_int_equal(hota_cf_recv(&m.cf, buf, sizeof buf, &n, 0), HOTA_E_TIMEOUT);
    assert_int_equal(hota_cf_send_all(&m.cf, (const uint8_t *)"req2", 4, 0), HOTA_OK);
    assert_int_equal(hota_cf_recv(&m.cf, buf, sizeof buf, &n, 0), HOTA_OK);
    assert_int_equal(n, 4);
    assert_memory_equal(buf, "3456", 4);
    assert_int_equal(hota_cf_send_all(&m.cf, (const uint8_t *)"req3", 4, 0), HOTA_OK);
    assert_int_equal(hota_cf_recv(&m.cf, buf, sizeof buf, &n, 0), HOTA_OK);
    assert_int_equal(n, 3);
    assert_int_equal(hota_cf_recv(&m.cf, buf, sizeof buf, &n, 0), HOTA_E_CLOSE_NOTIFY);
    assert_int_equal(m.recv_wait, 2);
    assert_int_equal(m.out_len, 12);
    assert_memory_equal(out, "req1req2req3", 12);
}

static void test_capture_limit(void **state)
{
    hota_mem_cf_t m;
    uint8_t out[5];
    (void)state;
    hota_mem_cf_init(&m, NULL, 0, HOTA_E_CONN_RESET, out, sizeof out);
    assert_int_equal(hota_cf_send_all(&m.cf, (const uint8_t *)"abc", 3, 0), HOTA_OK);
    assert_int_equal(hota_cf_send_all(&m.cf, (const uint8_t *)"def", 3, 0), HOTA_E_SEND);
    assert_int_equal(m.out_len, 3);
    hota_mem_cf_init(&m, NULL, 0, HOTA_E_CONN_RESET, NULL, 0);
    assert_int_equal(hota_cf_send_all(&m.cf, (const uint8_t *)"a", 1, 0), HOTA_E_SEND);
}

static void test_query_and_shutdown(void **state)
{
    static const struct {
        int end;
        hota_end_t kind;
    } cases[] = {
        {HOTA_E_CLOSE_NOTIFY, HOTA_END_CLOSE_NOTIFY},
        {HOTA_E_PEER_FIN, HOTA_END_FIN},
        {HOTA_E_CONN_RESET, HOTA_END_RESET},
        {HOTA_E_TIMEOUT, HOTA_END_TIMEOUT},
    };
    (void)state;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        hota_mem_cf_t m;
        hota_cf_info_t info;
        uint8_t buf[16];
        size_t n;
        hota_mem_cf_init(&m, input, 10, cases[i].end, NULL, 0);
        assert_int_equal(hota_cf_connect(&m.cf, 0), HOTA_OK);
        assert_int_equal(hota_cf_recv(&m.cf, buf, sizeof buf, &n, 0), HOTA_OK);
        hota_cf_query(&m.cf, &info);
        assert_int_equal(info.end, HOTA_END_NONE); /* not seen yet */
        assert_int_equal(info.bytes_in, 10);
        assert_int_equal(hota_cf_recv(&m.cf, buf, sizeof buf, &n, 0), cases[i].end);
        hota_cf_query(&m.cf, &info);
        assert_int_equal(info.end, cases[i].kind);
        assert_int_equal(info.close_notify_received, cases[i].end == HOTA_E_CLOSE_NOTIFY);
        assert_int_equal(info.close_notify_sent, 0);
        assert_int_equal(hota_cf_shutdown(&m.cf, 10), HOTA_OK);
        hota_cf_close(&m.cf);
        hota_cf_query(&m.cf, &info);
        assert_int_equal(info.close_notify_sent, 1);
        assert_int_equal(m.shutdown_called, 1);
        assert_int_equal(m.closed, 1);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_delivery_and_end),
        cmocka_unit_test(test_breaks_release_per_send),
        cmocka_unit_test(test_capture_limit),
        cmocka_unit_test(test_query_and_shutdown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
