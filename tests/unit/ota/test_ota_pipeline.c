/* OTA engine: framings and ends, completion by the image, truncation, early refusals. */
#include "ota_fixture.h"
#include "hota/sbv2.h"

static void test_content_length(void **state)
{
    fx_t *f = fx_new();
    int ends[] = {HOTA_E_CLOSE_NOTIFY};
    (void)state;
    fx_resp_len(f, 0, "200 OK", "", 0, f->img_len);
    fx_transports(f, 1, ends);
    assert_int_equal(fx_run(f), HOTA_OK);
    fx_assert_installed(f, 0);
    assert_string_equal(f->st.framing, "content-length");
    assert_string_equal(f->st.end, "framing");
    assert_int_equal(f->st.bytes, f->img_len);
    assert_string_equal(f->st.version, "2.0");
    assert_string_equal(f->st.partition, "ota_0");
    assert_int_equal(f->st.requests, 1);
    assert_int_equal(f->m[0].recv_end, 0);
    assert_true(f->m[0].close_notify_sent);
    fx_free(f);
}

static void test_chunked(void **state)
{
    fx_t *f = fx_new();
    int ends[] = {HOTA_E_TIMEOUT};
    (void)state;
    fx_resp_chunked(f, 0, 3000);
    fx_transports(f, 1, ends);
    assert_int_equal(fx_run(f), HOTA_OK);
    fx_assert_installed(f, 0);
    assert_string_equal(f->st.framing, "chunked");
    assert_int_equal(f->m[0].recv_end, 0);
    fx_free(f);
}

/* Close-delimited body, image complete, then the server never closes: done without waiting. */
static void test_close_server_keeps_open(void **state)
{
    fx_t *f = fx_new();
    int ends[] = {HOTA_E_TIMEOUT};
    (void)state;
    fx_resp_close(f, 0, f->img_len);
    fx_transports(f, 1, ends);
    assert_int_equal(fx_run(f), HOTA_OK);
    fx_assert_installed(f, 0);
    assert_string_equal(f->st.framing, "close");
    assert_string_equal(f->st.end, "image");
    assert_int_equal(f->m[0].recv_end, 0); /* no read after the image was complete */
    assert_int_equal(f->st.retries, 0);
    fx_free(f);
}

/* Close-delimited body ended by a bare FIN: the image is complete, so the update succeeds. */
static void test_close_fin_image_complete(void **state)
{
    fx_t *f = fx_new();
    int ends[] = {HOTA_E_PEER_FIN};
    (void)state;
    f->m[0].max_chunk = 1000;
    fx_resp_close(f, 0, f->img_len);
    fx_transports(f, 1, ends);
    f->m[0].max_chunk = 1000;
    assert_int_equal(fx_run(f), HOTA_OK);
    fx_assert_installed(f, 0);
    assert_string_equal(f->st.end, "image");
    fx_free(f);
}

/* Close-delimited body cut by a FIN before the image is complete: refused, boot unchanged. */
static void test_close_fin_cut(void **state)
{
    fx_t *f = fx_new();
    int ends[] = {HOTA_E_PEER_FIN};
    (void)state;
    fx_resp_close(f, 0, f->img_len - 100);
    fx_transports(f, 1, ends);
    f->cfg.max_retries = -1;
    fx_save_otadata(f);
    assert_int_equal(fx_run(f), HOTA_E_TRUNCATED);
    fx_assert_otadata_unchanged(f);
    fx_free(f);
}

/* Content-Length body complete but the image in it is cut short. */
static void test_length_image_cut(void **state)
{
    fx_t *f = fx_new();
    int ends[] = {HOTA_E_TIMEOUT};
    (void)state;
    fx_resp_len(f, 0, "200 OK", "", 0, f->img_len / 2);
    fx_transports(f, 1, ends);
    fx_save_otadata(f);
    assert_int_equal(fx_run(f), HOTA_E_IMAGE_TRUNCATED);
    fx_assert_otadata_unchanged(f);
    fx_free(f);
}

/* Refusals come before any erase: flash operations stay at zero, otadata untouched. */
static void expect_refusal(fx_t *f, int want)
{
    int ends[] = {HOTA_E_CLOSE_NOTIFY};
    uint64_t ops = f->dev.flash.ops_count;
    fx_transports(f, 1, ends);
    fx_save_otadata(f);
    assert_int_equal(fx_run(f), want);
    fx_assert_otadata_unchanged(f);
    assert_true(f->dev.flash.ops_count - ops <= 1); /* at most the first sector */
    assert_true(f->m[0].in_pos <= HOTA_HTTP_HEADER_BUF); /* stopped with the first read */
}

static void test_refuse_chip(void **state)
{
    fx_t *f = fx_new();
    (void)state;
    f->img[12] = 9; /* chip id */
    fx_resp_len(f, 0, "200 OK", "", 0, f->img_len);
    expect_refusal(f, HOTA_E_IMAGE_CHIP);
    fx_free(f);
}

static void test_refuse_no_app_desc(void **state)
{
    fx_t *f = fx_new();
    (void)state;
    f->img[HOTA_IMAGE_HEADER_SIZE + HOTA_IMAGE_SEG_HEADER_SIZE] ^= 0xFF; /* desc magic */
    fx_resp_len(f, 0, "200 OK", "", 0, f->img_len);
    expect_refusal(f, HOTA_E_NO_APP_DESC);
    fx_free(f);
}

static void test_refuse_too_large(void **state)
{
    fx_t *f = fx_new();
    (void)state;
    fx_addf(f, 0, "HTTP/1.1 200 OK\r\nContent-Length: %u\r\n\r\n", 2u * 1024u * 1024u);
    fx_add(f, 0, f->img, f->img_len);
    expect_refusal(f, HOTA_E_IMAGE_TOO_LARGE);
    fx_free(f);
}

static void test_refuse_secure_version(void **state)
{
    fx_t *f = fx_new();
    (void)state;
    f->dev.efuse.flags |= HOTA_EFUSE_ANTI_ROLLBACK;
    f->dev.efuse.secure_version = 3;
    fx_image(f, "2.0", 2, 100000);
    fx_resp_len(f, 0, "200 OK", "", 0, f->img_len);
    expect_refusal(f, HOTA_E_SECURE_VERSION);
    fx_free(f);
}

/* The running app (factory here) has version 2.0: refused, unless allowed. */
static void test_same_version(void **state)
{
    fx_t *f = fx_new();
    const hota_partition_t *fac = hota_device_slot_part(&f->dev, HOTA_SLOT_FACTORY);
    (void)state;
    assert_int_equal(hota_flash_write(&f->dev.flash, fac->offset, f->img, f->img_len), HOTA_OK);
    f->dev.efuse.running = HOTA_SLOT_FACTORY;
    fx_resp_len(f, 0, "200 OK", "", 0, f->img_len);
    expect_refusal(f, HOTA_E_SAME_VERSION);
    f->resp_len[0] = 0;
    f->nconn = 0;
    fx_resp_len(f, 0, "200 OK", "", 0, f->img_len);
    fx_transports(f, 1, (int[]){HOTA_E_CLOSE_NOTIFY});
    f->cfg.allow_same_version = 1;
    assert_int_equal(fx_run(f), HOTA_OK);
    fx_assert_installed(f, 0);
    fx_free(f);
}

/* A byte flipped deep in the image: the hash check fails, boot choice unchanged. */
static void test_corrupt_hash(void **state)
{
    fx_t *f = fx_new();
    int ends[] = {HOTA_E_CLOSE_NOTIFY};
    (void)state;
    f->img[f->img_len / 2] ^= 1;
    fx_resp_len(f, 0, "200 OK", "", 0, f->img_len);
    fx_transports(f, 1, ends);
    fx_save_otadata(f);
    assert_int_not_equal(fx_run(f), HOTA_OK);
    fx_assert_otadata_unchanged(f);
    fx_free(f);
}

/* Begin and perform: the whole image is on the slot, finish not yet called. */
static void run_to_finish(fx_t *f)
{
    int ends[] = {HOTA_E_CLOSE_NOTIFY}, rc;
    fx_resp_len(f, 0, "200 OK", "", 0, f->img_len);
    fx_transports(f, 1, ends);
    fx_save_otadata(f);
    assert_int_equal(hota_ota_begin(&f->cfg, &f->h), HOTA_OK);
    do
        rc = hota_ota_perform(&f->h);
    while (rc == HOTA_E_IN_PROGRESS);
    assert_int_equal(rc, HOTA_OK);
}

/* A bit of the slot lost after it was written (and verified on the stream): the read-back at
 * finish sees that the slot no longer holds the bytes written, and the boot choice stays. */
static void test_finish_readback_mismatch(void **state)
{
    fx_t *f = fx_new();
    const hota_partition_t *p = hota_device_slot_part(&f->dev, 0);
    uint32_t off = (uint32_t)f->img_len - 7u;
    uint8_t b;
    (void)state;
    run_to_finish(f);
    assert_int_equal(hota_flash_read(&f->dev.flash, p->offset + off, &b, 1), HOTA_OK);
    while (b == 0) { /* a byte with a bit to clear (a flash write can only clear bits) */
        off--;
        assert_int_equal(hota_flash_read(&f->dev.flash, p->offset + off, &b, 1), HOTA_OK);
    }
    b &= (uint8_t)(b - 1u);
    assert_int_equal(hota_flash_write(&f->dev.flash, p->offset + off, &b, 1), HOTA_OK);
    assert_int_equal(hota_ota_finish(&f->h), HOTA_E_FLASH_READBACK);
    fx_assert_otadata_unchanged(f);
    fx_free(f);
}

/* The eFuses changed between begin and finish (anti-rollback raised above the image): the
 * streamed verdict no longer stands, the slot is verified in full and refused. */
static void test_finish_policy_changed(void **state)
{
    fx_t *f = fx_new();
    (void)state;
    run_to_finish(f);
    f->dev.efuse.flags |= HOTA_EFUSE_ANTI_ROLLBACK;
    f->dev.efuse.secure_version = 1;
    assert_int_equal(hota_ota_finish(&f->h), HOTA_E_SECURE_VERSION);
    fx_assert_otadata_unchanged(f);
    fx_free(f);
}

/* f->img becomes a Secure Boot V2 signed image (P-256 key made with the openssl CLI), padded
 * to a sector and followed by its signature sector, and the device trusts that key. */
static void make_signed_device(fx_t *f)
{
    char key[200], cmd[400];
    const char *keys[1] = {key};
    size_t padded = (f->img_len + 4095u) / 4096u * 4096u;
    snprintf(key, sizeof key, "%s/key.pem", f->td.dir);
    snprintf(cmd, sizeof cmd,
             "openssl ecparam -name prime256v1 -genkey -noout -out '%s' 2>/dev/null", key);
    assert_int_equal(system(cmd), 0);
    memset(f->img + f->img_len, 0xFF, padded - f->img_len);
    assert_true(padded + 4096u <= sizeof f->img);
    assert_int_equal(hota_sbv2_sign_image(f->img, f->img_len, keys, 1, f->img + padded), HOTA_OK);
    f->img_len = padded + 4096u;
    assert_int_equal(hota_sbv2_key_digest_file(key, f->dev.efuse.key_digest[0], NULL), HOTA_OK);
    f->dev.efuse.key_count = 1;
    f->dev.efuse.flags |= HOTA_EFUSE_SECURE_BOOT;
    unlink(key);
}

/* Secure Boot: the image verified on the stream under the key the device trusts is installed. */
static void test_finish_signed(void **state)
{
    fx_t *f = fx_new();
    (void)state;
    make_signed_device(f);
    run_to_finish(f);
    assert_int_equal(hota_ota_finish(&f->h), HOTA_OK);
    fx_assert_installed(f, 0);
    fx_free(f);
}

/* The trusted key digest was rewritten in place (same key count) between begin and finish:
 * the streamed verdict no longer stands, the slot is verified in full and refused. */
static void test_finish_key_rewritten(void **state)
{
    fx_t *f = fx_new();
    (void)state;
    make_signed_device(f);
    run_to_finish(f);
    f->dev.efuse.key_digest[0][0] ^= 1u;
    assert_int_equal(hota_ota_finish(&f->h), HOTA_E_SIG_UNTRUSTED);
    fx_assert_otadata_unchanged(f);
    fx_free(f);
}

static void test_bulk_erase(void **state)
{
    fx_t *f = fx_new();
    int ends[] = {HOTA_E_CLOSE_NOTIFY};
    (void)state;
    fx_resp_len(f, 0, "200 OK", "", 0, f->img_len);
    fx_transports(f, 1, ends);
    f->cfg.bulk_flash_erase = 1;
    assert_int_equal(fx_run(f), HOTA_OK);
    fx_assert_installed(f, 0);
    fx_free(f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_content_length),
        cmocka_unit_test(test_chunked),
        cmocka_unit_test(test_close_server_keeps_open),
        cmocka_unit_test(test_close_fin_image_complete),
        cmocka_unit_test(test_close_fin_cut),
        cmocka_unit_test(test_length_image_cut),
        cmocka_unit_test(test_refuse_chip),
        cmocka_unit_test(test_refuse_no_app_desc),
        cmocka_unit_test(test_refuse_too_large),
        cmocka_unit_test(test_refuse_secure_version),
        cmocka_unit_test(test_same_version),
        cmocka_unit_test(test_corrupt_hash),
        cmocka_unit_test(test_bulk_erase),
        cmocka_unit_test(test_finish_readback_mismatch),
        cmocka_unit_test(test_finish_policy_changed),
        cmocka_unit_test(test_finish_signed),
        cmocka_unit_test(test_finish_key_rewritten),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
