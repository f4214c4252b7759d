/* OTA engine: partial download, reconnects with Range, start over, retries, the progress
 * record across runs, Digest authentication. */
#include "ota_fixture.h"

#include "ota/ota_int.h"
#include "hota/file.h"

#include <sys/stat.h>

/* Ranges of 16 KiB over one kept-alive connection. */
static void test_partial_keep_alive(void **state)
{
    fx_t *f = fx_new();
    size_t breaks[16], nb = 0, step = 16384;
    char want[64];
    (void)state;
    for (size_t a = 0; a < f->img_len; a += step) {
        size_t b = a + step < f->img_len ? a + step : f->img_len;
        char hdr[128];
        snprintf(hdr, sizeof hdr, "Content-Range: bytes %zu-%zu/%zu\r\nETag: \"v2\"\r\n", a,
                 b - 1, f->img_len);
        fx_resp_len(f, 0, "206 Partial Content", hdr, a, b);
        breaks[nb++] = f->resp_len[0];
    }
    fx_transports(f, 1, (int[]){HOTA_E_TIMEOUT});
    hota_mem_cf_set_breaks(&f->m[0], breaks, nb);
    f->cfg.partial_http_download = 1;
    f->cfg.max_http_request_size = (uint32_t)step;
    assert_int_equal(fx_run(f), HOTA_OK);
    fx_assert_installed(f, 0);
    assert_int_equal(f->st.requests, nb);
    assert_int_equal(f->st.connections, 1);
    assert_int_equal(f->nconn, 1);
    assert_true(fx_sent_has(f, 0, "Range: bytes=0-16383\r\n"));
    snprintf(want, sizeof want, "Range: bytes=%zu-%zu\r\n", (nb - 1) * step, f->img_len - 1);
    assert_true(fx_sent_has(f, 0, want));
    fx_free(f);
}

/* The connection drops mid-body; the next one continues with Range from the byte reached. */
static void test_reconnect_range(void **state)
{
    fx_t *f = fx_new();
    size_t cut = 50000;
    char hdr[128], want[64];
    (void)state;
    fx_resp_len(f, 0, "200 OK", "ETag: \"abc\"\r\n", 0, f->img_len);
    f->resp_len[0] -= f->img_len - cut; /* the server dies after `cut` body bytes */
    snprintf(hdr, sizeof hdr, "ETag: \"abc\"\r\nContent-Range: bytes %zu-%zu/%zu\r\n", cut,
             f->img_len - 1, f->img_len);
    fx_resp_len(f, 1, "206 Partial Content", hdr, cut, f->img_len);
    fx_transports(f, 2, (int[]){HOTA_E_CONN_RESET, HOTA_E_CLOSE_NOTIFY});
    assert_int_equal(fx_run(f), HOTA_OK);
    fx_assert_installed(f, 0);
    assert_int_equal(f->st.retries, 1);
    assert_int_equal(f->st.restarts, 0);
    snprintf(want, sizeof want, "Range: bytes=%zu-\r\n", cut);
    assert_true(fx_sent_has(f, 1, want));
    fx_free(f);
}

/* The resource changed between the connections (other ETag): start over from byte 0. */
static void test_changed_resource_starts_over(void **state)
{
    fx_t *f = fx_new();
    size_t cut = 30000;
    char hdr[128];
    (void)state;
    fx_resp_len(f, 0, "200 OK", "ETag: \"one\"\r\n", 0, f->img_len);
    f->resp_len[0] -= f->img_len - cut;
    snprintf(hdr, sizeof hdr, "ETag: \"two\"\r\nContent-Range: bytes %zu-%zu/%zu\r\n", cut,
             f->img_len - 1, f->img_len);
    fx_resp_len(f, 1, "206 Partial Content", hdr, cut, f->img_len);
    fx_resp_len(f, 2, "200 OK", "ETag: \"two\"\r\n", 0, f->img_len);
    fx_transports(f, 3, (int[]){HOTA_E_PEER_FIN, HOTA_E_TIMEOUT, HOTA_E_CLOSE_NOTIFY});
    assert_int_equal(fx_run(f), HOTA_OK);
    fx_assert_installed(f, 0);
    assert_int_equal(f->st.restarts, 1);
    assert_true(fx_sent_has(f, 2, "GET /fw.bin"));
    assert_false(fx_sent_has(f, 2, "Range:"));
    fx_free(f);
}

/* A 200 to a Range request: the full body is used from byte 0. */
static void test_200_to_range_starts_over(void **state)
{
    fx_t *f = fx_new();
    (void)state;
    fx_resp_len(f, 0, "200 OK", "", 0, f->img_len);
    f->resp_len[0] -= f->img_len - 40000;
    fx_resp_len(f, 1, "200 OK", "", 0, f->img_len);
    fx_transports(f, 2, (int[]){HOTA_E_CONN_RESET, HOTA_E_CLOSE_NOTIFY});
    assert_int_equal(fx_run(f), HOTA_OK);
    fx_assert_installed(f, 0);
    assert_int_equal(f->st.restarts, 1);
    assert_true(fx_sent_has(f, 1, "Range: bytes=40000-"));
    fx_free(f);
}

static void test_404_final(void **state)
{
    fx_t *f = fx_new();
    (void)state;
    fx_addf(f, 0, "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
    fx_transports(f, 1, (int[]){HOTA_E_CLOSE_NOTIFY});
    fx_save_otadata(f);
    assert_int_equal(fx_run(f), HOTA_E_HTTP_STATUS);
    assert_int_equal(f->st.requests, 1);
    assert_int_equal(f->st.status, 404);
    fx_assert_otadata_unchanged(f);
    fx_free(f);
}

static void test_503_retried(void **state)
{
    fx_t *f = fx_new();
    (void)state;
    fx_addf(f, 0, "HTTP/1.1 503 Busy\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
    fx_resp_len(f, 1, "200 OK", "", 0, f->img_len);
    fx_transports(f, 2, (int[]){HOTA_E_CLOSE_NOTIFY, HOTA_E_CLOSE_NOTIFY});
    assert_int_equal(fx_run(f), HOTA_OK);
    fx_assert_installed(f, 0);
    assert_int_equal(f->st.retries, 1);
    fx_free(f);
}

static void test_retry_budget(void **state)
{
    fx_t *f = fx_new();
    (void)state;
    for (unsigned i = 0; i < 4; i++)
        fx_addf(f, i, "HTTP/1.1 500 Oops\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
    fx_transports(f, 4, (int[]){HOTA_E_CLOSE_NOTIFY, HOTA_E_CLOSE_NOTIFY,
                                HOTA_E_CLOSE_NOTIFY, HOTA_E_CLOSE_NOTIFY});
    f->cfg.max_retries = 3;
    assert_int_equal(fx_run(f), HOTA_E_HTTP_STATUS);
    assert_int_equal(f->st.requests, 4);
    assert_int_equal(f->st.retries, 3);
    fx_free(f);
}

/* Regression: a server that ignores Range and always cuts the body at the same byte used to
 * earn the retry budget back with every restart, so the update never ended. */
static void test_cut_without_range_ends(void **state)
{
    fx_t *f = fx_new();
    (void)state;
    for (unsigned i = 0; i < 4; i++) {
        fx_resp_len(f, i, "200 OK", "", 0, f->img_len);
        f->resp_len[i] -= f->img_len - 40000;
    }
    fx_transports(f, 4, (int[]){HOTA_E_PEER_FIN, HOTA_E_PEER_FIN, HOTA_E_PEER_FIN,
                                HOTA_E_PEER_FIN});
    f->cfg.max_retries = 3;
    fx_save_otadata(f);
    assert_int_equal(fx_run(f), HOTA_E_TRUNCATED);
    assert_int_equal(f->st.requests, 4);
    fx_assert_otadata_unchanged(f);
    fx_free(f);
}

/* The progress record's path of the handle (as the engine makes it). */
static const char *progress_path_of(fx_t *f)
{
    static char path[HOTA_OTA_PATH_MAX];
    assert_int_equal(ota_progress_path(&f->h, path, sizeof path), HOTA_OK);
    return path;
}

/* Run until at least `bytes` are covered by the progress record, then stop as a crash would
 * (abort: nothing of the boot choice changes, the record stays). Returns the record's N. */
static uint64_t run_until_recorded(fx_t *f, uint64_t bytes)
{
    assert_int_equal(hota_ota_begin(&f->cfg, &f->h), HOTA_OK);
    while (f->h.recorded < bytes)
        assert_int_equal(hota_ota_perform(&f->h), HOTA_E_IN_PROGRESS);
    uint64_t n = f->h.recorded;
    assert_int_equal(hota_ota_abort(&f->h), HOTA_OK);
    return n;
}

static void test_resume_record_round_trip(void **state)
{
    fx_t *f = fx_new();
    char hdr[160], want[64];
    uint64_t n;
    (void)state;
    fx_resp_len(f, 0, "200 OK", "ETag: \"r1\"\r\nLast-Modified: Wed, 01 Jan 2025 00:00:00 GMT\r\n",
                0, f->img_len);
    fx_transports(f, 1, (int[]){HOTA_E_TIMEOUT});
    f->cfg.record_interval = 4096;
    fx_save_otadata(f);
    n = run_until_recorded(f, 5 * 4096);
    fx_assert_otadata_unchanged(f);
    assert_int_equal(n % 4096, 0);
    assert_true(n >= 5 * 4096 && n < f->img_len);
    assert_int_equal(access(progress_path_of(f), F_OK), 0);

    /* Second run (a new process after the crash): continues with Range from N. */
    memset(f->resp_len, 0, sizeof f->resp_len);
    f->nconn = 0;
    snprintf(hdr, sizeof hdr,
             "ETag: \"r1\"\r\nLast-Modified: Wed, 01 Jan 2025 00:00:00 GMT\r\n"
             "Content-Range: bytes %llu-%zu/%zu\r\n",
             (unsigned long long)n, f->img_len - 1, f->img_len);
    fx_resp_len(f, 0, "206 Partial Content", hdr, (size_t)n, f->img_len);
    fx_transports(f, 1, (int[]){HOTA_E_CLOSE_NOTIFY});
    assert_int_equal(fx_run(f), HOTA_OK);
    fx_assert_installed(f, 0);
    assert_int_equal(f->st.resumed_from, n);
    snprintf(want, sizeof want, "Range: bytes=%llu-\r\n", (unsigned long long)n);
    assert_true(fx_sent_has(f, 0, want));
    assert_int_not_equal(access(progress_path_of(f), F_OK), 0); /* removed on finish */
    fx_free(f);
}

/* Flash bytes that no longer match the record's hash: start from byte 0. */
static void test_resume_hash_mismatch(void **state)
{
    fx_t *f = fx_new();
    const hota_partition_t *p;
    uint8_t zero = 0;
    (void)state;
    fx_resp_len(f, 0, "200 OK", "", 0, f->img_len);
    fx_transports(f, 1, (int[]){HOTA_E_TIMEOUT});
    f->cfg.record_interval = 4096;
    run_until_recorded(f, 3 * 4096);
    p = hota_device_slot_part(&f->dev, 0);
    assert_int_equal(hota_flash_write(&f->dev.flash, p->offset + 5000, &zero, 1), HOTA_OK);
    memset(f->resp_len, 0, sizeof f->resp_len);
    f->nconn = 0;
    fx_resp_len(f, 0, "200 OK", "", 0, f->img_len);
    fx_transports(f, 1, (int[]){HOTA_E_CLOSE_NOTIFY});
    assert_int_equal(fx_run(f), HOTA_OK);
    fx_assert_installed(f, 0);
    assert_int_equal(f->st.resumed_from, 0);
    assert_false(fx_sent_has(f, 0, "Range:"));
    fx_free(f);
}

/* The record as it is on disk now: its N, and the file's inode. */
static uint64_t record_on_disk(fx_t *f, ino_t *ino)
{
    uint8_t raw[OTA_REC_SIZE];
    ota_record_t r;
    size_t len = 0;
    struct stat st;
    assert_int_equal(stat(progress_path_of(f), &st), 0);
    *ino = st.st_ino;
    assert_int_equal(hota_pfile_load(progress_path_of(f), raw, sizeof raw, &len), HOTA_OK);
    assert_int_equal(ota_record_decode(raw, len, &r), HOTA_OK);
    return r.n;
}

/* Later records of a run rewrite the file in place (no new file and rename per record), and
 * each one on disk is complete and current. */
static void test_record_rewritten_in_place(void **state)
{
    fx_t *f = fx_new();
    char tmp[4300];
    ino_t first, now;
    (void)state;
    fx_resp_len(f, 0, "200 OK", "", 0, f->img_len);
    fx_transports(f, 1, (int[]){HOTA_E_TIMEOUT});
    f->cfg.record_interval = 4096;
    assert_int_equal(hota_ota_begin(&f->cfg, &f->h), HOTA_OK);
    while (f->h.recorded == 0)
        assert_int_equal(hota_ota_perform(&f->h), HOTA_E_IN_PROGRESS);
    assert_int_equal(record_on_disk(f, &first), f->h.recorded);
    while (f->h.recorded < 8 * 4096) {
        assert_int_equal(hota_ota_perform(&f->h), HOTA_E_IN_PROGRESS);
        assert_int_equal(record_on_disk(f, &now), f->h.recorded);
        assert_true(now == first);
    }
    snprintf(tmp, sizeof tmp, "%s.tmp", progress_path_of(f));
    assert_int_not_equal(access(tmp, F_OK), 0);
    assert_int_equal(hota_ota_abort(&f->h), HOTA_OK);
    fx_free(f);
}

/* A progress path one byte over HOTA_OTA_PATH_MAX is refused at begin; one that fits is the
 * one the record is written to. */
static void test_progress_path_limits(void **state)
{
    static char longp[HOTA_OTA_PATH_MAX + 1];
    fx_t *f = fx_new();
    char want[256];
    (void)state;
    memset(longp, 'p', HOTA_OTA_PATH_MAX);
    longp[HOTA_OTA_PATH_MAX] = 0;
    f->cfg.progress_path = longp;
    assert_int_equal(hota_ota_begin(&f->cfg, &f->h), HOTA_E_INVALID_ARG);
    assert_true(snprintf(want, sizeof want, "%s/own.progress", f->td.dir) < (int)sizeof want);
    f->cfg.progress_path = want;
    f->h.cfg = f->cfg;
    assert_string_equal(progress_path_of(f), want);
    f->h.cfg.progress_path = NULL;
    assert_true(snprintf(want, sizeof want, "%s.progress", f->td.flash_path) < (int)sizeof want);
    assert_string_equal(progress_path_of(f), want);
    /* a run with its own path: the record is there, not next to the flash file */
    assert_true(snprintf(want, sizeof want, "%s/own.progress", f->td.dir) < (int)sizeof want);
    f->cfg.progress_path = want;
    f->cfg.record_interval = 4096;
    fx_resp_len(f, 0, "200 OK", "", 0, f->img_len);
    fx_transports(f, 1, (int[]){HOTA_E_TIMEOUT});
    assert_int_equal(hota_ota_begin(&f->cfg, &f->h), HOTA_OK);
    while (f->h.recorded == 0)
        assert_int_equal(hota_ota_perform(&f->h), HOTA_E_IN_PROGRESS);
    assert_int_equal(access(want, F_OK), 0);
    assert_true(snprintf(want, sizeof want, "%s.progress", f->td.flash_path) < (int)sizeof want);
    assert_int_not_equal(access(want, F_OK), 0);
    assert_int_equal(hota_ota_abort(&f->h), HOTA_OK);
    assert_true(snprintf(want, sizeof want, "%s/own.progress", f->td.dir) < (int)sizeof want);
    unlink(want);
    fx_free(f);
}

static void test_record_codec(void **state)
{
    ota_record_t r, back;
    uint8_t raw[OTA_REC_SIZE];
    (void)state;
    memset(&r, 0, sizeof r);
    r.slot = 1;
    r.total = 123456;
    r.n = 65536;
    memset(r.url_hash, 0xA5, sizeof r.url_hash);
    memset(r.sha, 0x5A, sizeof r.sha);
    strcpy(r.etag, "\"etag\"");
    strcpy(r.last_modified, "Wed, 01 Jan 2025 00:00:00 GMT");
    ota_record_encode(&r, raw);
    assert_int_equal(ota_record_decode(raw, sizeof raw, &back), HOTA_OK);
    assert_memory_equal(&r, &back, sizeof r);
    raw[30] ^= 1;
    assert_int_equal(ota_record_decode(raw, sizeof raw, &back), HOTA_E_OTA_RESUME);
    assert_int_equal(ota_record_decode(raw, sizeof raw - 1, &back), HOTA_E_OTA_RESUME);
}

/* RFC 2617 section 3.5 example. */
static void test_digest_rfc2617(void **state)
{
    char out[512];
    const char *ch = "Digest realm=\"testrealm@host.com\", qop=\"auth,auth-int\", "
                     "nonce=\"dcd98b7102dd2f0e8b11d0f600bfb0c093\", "
                     "opaque=\"5ccc069c403ebaf9f0171e9517f40e41\"";
    (void)state;
    assert_int_equal(ota_digest_header(ch, "Mufasa", "Circle Of Life", "GET", "/dir/index.html",
                                       "0a4f113b", out, sizeof out),
                     HOTA_OK);
    assert_non_null(strstr(out, "response=\"6629fae49393a05397450978507c4ef1\""));
    assert_non_null(strstr(out, "opaque=\"5ccc069c403ebaf9f0171e9517f40e41\""));
    assert_non_null(strstr(out, "qop=auth, nc=00000001, cnonce=\"0a4f113b\""));
    assert_int_equal(ota_digest_header("Digest realm=\"r\", nonce=\"n\", algorithm=SHA-256", "u",
                                       "p", "GET", "/", "c", out, sizeof out),
                     HOTA_E_UNSUPPORTED);
    assert_int_equal(ota_digest_header("Basic realm=\"r\"", "u", "p", "GET", "/", "c", out,
                                       sizeof out),
                     HOTA_E_HTTP_AUTH);
}

static void test_digest_401_retry(void **state)
{
    fx_t *f = fx_new();
    (void)state;
    fx_addf(f, 0, "HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Digest realm=\"fw\", "
                  "nonce=\"abc123\", qop=\"auth\"\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
    fx_resp_len(f, 1, "200 OK", "", 0, f->img_len);
    fx_transports(f, 2, (int[]){HOTA_E_CLOSE_NOTIFY, HOTA_E_CLOSE_NOTIFY});
    f->cfg.http.auth_user = "dev";
    f->cfg.http.auth_pass = "secret";
    assert_int_equal(fx_run(f), HOTA_OK);
    fx_assert_installed(f, 0);
    assert_true(fx_sent_has(f, 1, "Authorization: Digest username=\"dev\", realm=\"fw\""));
    assert_false(fx_sent_has(f, 1, "Authorization: Basic"));
    fx_free(f);
}

static void test_401_without_credentials(void **state)
{
    fx_t *f = fx_new();
    (void)state;
    fx_addf(f, 0, "HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Basic realm=\"fw\"\r\n"
                  "Content-Length: 0\r\n\r\n");
    fx_transports(f, 1, (int[]){HOTA_E_CLOSE_NOTIFY});
    assert_int_equal(fx_run(f), HOTA_E_HTTP_AUTH);
    assert_int_equal(f->st.requests, 1);
    fx_free(f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_partial_keep_alive),
        cmocka_unit_test(test_reconnect_range),
        cmocka_unit_test(test_changed_resource_starts_over),
        cmocka_unit_test(test_200_to_range_starts_over),
        cmocka_unit_test(test_404_final),
        cmocka_unit_test(test_503_retried),
        cmocka_unit_test(test_retry_budget),
        cmocka_unit_test(test_cut_without_range_ends),
        cmocka_unit_test(test_resume_record_round_trip),
        cmocka_unit_test(test_resume_hash_mismatch),
        cmocka_unit_test(test_progress_path_limits),
        cmocka_unit_test(test_record_codec),
        cmocka_unit_test(test_record_rewritten_in_place),
        cmocka_unit_test(test_digest_rfc2617),
        cmocka_unit_test(test_digest_401_retry),
        cmocka_unit_test(test_401_without_credentials),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
