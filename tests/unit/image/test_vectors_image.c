/* The image verifier against images made by esptool / espsecure (../shared/vectors): every fact
 * the vectors README states, signatures under their keys, and tampering caught by them. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <mbedtls/sha256.h>

#include "hota/error.h"
#include "hota/flash_file.h"
#include "hota/image.h"
#include "hota/sbv2.h"

static const char *vdir;

struct file {
    uint8_t *data;
    size_t len;
};

static struct file load(const char *name)
{
    char path[1024];
    struct file f = {NULL, 0};
    FILE *fp;
    long n;
    snprintf(path, sizeof path, "%s/%s", vdir, name);
    fp = fopen(path, "rb");
    assert_non_null(fp);
    assert_int_equal(fseek(fp, 0, SEEK_END), 0);
    n = ftell(fp);
    assert_true(n > 0);
    rewind(fp);
    f.data = malloc((size_t)n + 8192);
    assert_non_null(f.data);
    f.len = fread(f.data, 1, (size_t)n, fp);
    assert_int_equal(f.len, (size_t)n);
    fclose(fp);
    return f;
}

static void key_digest(const char *name, uint8_t out[32])
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", vdir, name);
    assert_int_equal(hota_sbv2_key_digest_file(path, out, NULL), HOTA_OK);
}

static void hex_prefix_suffix(const uint8_t *b, const char *prefix, const char *suffix)
{
    char hex[65];
    for (int i = 0; i < 32; i++)
        snprintf(hex + 2 * i, 3, "%02x", b[i]);
    assert_memory_equal(hex, prefix, strlen(prefix));
    assert_string_equal(hex + 64 - strlen(suffix), suffix);
}

static void check_template_facts(const hota_image_info_t *in)
{
    uint32_t sum = HOTA_IMAGE_HEADER_SIZE;
    assert_int_equal(in->segment_count, 5);
    assert_int_equal(in->entry_addr, 0x4008167c);
    assert_int_equal(in->chip_id, 0);
    assert_int_equal(in->checksum, 0x7c);
    assert_true(in->checksum_valid);
    assert_true(in->hash_appended);
    assert_true(in->hash_valid);
    hex_prefix_suffix(in->hash, "dd3f0a32", "c74f");
    for (int i = 0; i < 5; i++) {
        assert_int_equal(in->segments[i].offset, sum + 8);
        sum += 8 + in->segments[i].length;
    }
    assert_int_equal(in->image_len, (sum | 15u) + 1 + 32);
    assert_true(in->has_app_desc);
    assert_string_equal(in->app.project_name, "app-template");
    assert_string_equal(in->app.version, "1cd5752");
    assert_int_equal(in->app.secure_version, 0);
    assert_string_equal(in->app.idf_ver, "v4.0-dev-30-g31ca6e399");
    assert_string_equal(in->app.date, "Mar 18 2019");
    assert_string_equal(in->app.time, "10:47:33");
}

static void test_template(void **state)
{
    struct file f = load("esp32-app-template.bin");
    hota_image_policy_t p = {.chip_id = 0, .require_app_desc = 1};
    hota_image_info_t in;
    static hota_image_verifier_t v;
    (void)state;
    assert_int_equal(hota_image_verify_buffer(f.data, f.len, &p, &in), HOTA_OK);
    check_template_facts(&in);
    assert_int_equal(in.image_len, f.len);
    assert_int_equal(in.total_len, f.len);
    assert_int_equal(in.sig_count, 0);
    /* one byte at a time: the same facts */
    hota_image_verifier_init(&v, &p);
    for (size_t i = 0; i < f.len; i++)
        assert_int_equal(hota_image_verifier_feed(&v, f.data + i, 1), HOTA_OK);
    assert_true(hota_image_verifier_is_complete(&v));
    assert_int_equal(hota_image_verifier_finish(&v), HOTA_OK);
    assert_memory_equal(hota_image_verifier_info(&v), &in, sizeof in);
    hota_image_verifier_free(&v);
    /* policy refusals on a real image */
    p.chip_id = 9;
    assert_int_equal(hota_image_verify_buffer(f.data, f.len, &p, &in), HOTA_E_IMAGE_CHIP);
    p.chip_id = 0;
    p.min_secure_version = 1;
    assert_int_equal(hota_image_verify_buffer(f.data, f.len, &p, &in), HOTA_E_SECURE_VERSION);
    p.min_secure_version = 0;
    p.max_len = (uint32_t)f.len - 1;
    assert_int_equal(hota_image_verify_buffer(f.data, f.len, &p, &in), HOTA_E_IMAGE_TOO_LARGE);
    assert_int_equal(hota_image_verify_buffer(f.data, f.len - 1, NULL, &in),
                     HOTA_E_IMAGE_TRUNCATED);
    free(f.data);
}

static void test_cust_ver_info(void **state)
{
    struct file f = load("esp32-app-cust-ver-info.bin");
    hota_image_policy_t p = {.chip_id = 0};
    hota_image_verifier_t v;
    hota_image_info_t in;
    size_t i;
    int rc = HOTA_OK;
    (void)state;
    assert_int_equal(hota_image_verify_buffer(f.data, f.len, &p, &in), HOTA_OK);
    assert_false(in.has_app_desc);
    assert_int_equal(in.checksum, 0x8b);
    assert_true(in.checksum_valid);
    assert_true(in.hash_valid);
    hex_prefix_suffix(in.hash, "24c5a99a", "1807");
    assert_int_equal(in.image_len, f.len);
    /* an OTA refuses it at the app-desc magic word */
    p.require_app_desc = 1;
    hota_image_verifier_init(&v, &p);
    for (i = 0; i < f.len && rc == HOTA_OK; i++)
        rc = hota_image_verifier_feed(&v, f.data + i, 1);
    assert_int_equal(rc, HOTA_E_NO_APP_DESC);
    assert_int_equal(i, HOTA_APP_DESC_OFFSET + 4);
    assert_true(hota_image_verifier_app_desc_ready(&v));
    hota_image_verifier_free(&v);
    free(f.data);
}

struct signed_case {
    const char *file;
    int blocks;
    hota_sig_scheme_t scheme;
    const char *key_pub[2];
    const char *prefix, *suffix;
};

static void check_signed(const struct signed_case *c)
{
    struct file f = load(c->file);
    uint8_t keys[2][32], other[1][32];
    hota_image_policy_t p = {.chip_id = 0, .require_app_desc = 1};
    hota_image_info_t in;
    print_message("%s\n", c->file);
    for (int k = 0; k < c->blocks; k++)
        key_digest(c->key_pub[k], keys[k]);
    key_digest(c->scheme == HOTA_SIG_RSA3072 ? "dev-ecdsa256.pub.pem" : "dev-rsa3072.pub.pem",
               other[0]);
    /* no signature required: the facts */
    assert_int_equal(hota_image_verify_buffer(f.data, f.len, &p, &in), HOTA_OK);
    check_template_facts(&in);
    assert_int_equal(in.signed_len % 4096, 0);
    assert_int_equal(in.total_len, f.len);
    assert_int_equal(in.total_len, in.signed_len + 4096);
    assert_int_equal(in.sig_count, c->blocks);
    for (int k = 0; k < c->blocks; k++) {
        assert_int_equal(in.sigs[k].scheme, c->scheme);
        assert_true(in.sigs[k].valid);
        assert_false(in.sigs[k].trusted);
        assert_memory_equal(in.sigs[k].key_digest, keys[k], 32);
    }
    hex_prefix_suffix(in.sigs[0].key_digest, c->prefix, c->suffix);
    /* trusted under each of its keys, untrusted under another */
    p.n_trusted = 1;
    for (int k = 0; k < c->blocks; k++) {
        p.trusted_keys = (const uint8_t(*)[32])keys[k];
        assert_int_equal(hota_image_verify_buffer(f.data, f.len, &p, &in), HOTA_OK);
        assert_true(in.sigs[k].trusted);
    }
    p.trusted_keys = (const uint8_t(*)[32])other;
    assert_int_equal(hota_image_verify_buffer(f.data, f.len, &p, &in), HOTA_E_SIG_UNTRUSTED);
    /* the unsigned part alone, or a cut sector, is not enough */
    p.trusted_keys = (const uint8_t(*)[32])keys;
    assert_int_equal(hota_image_verify_buffer(f.data, in.image_len, &p, &in), HOTA_E_SIG_MISSING);
    assert_int_equal(hota_image_verify_buffer(f.data, f.len - 1, &p, &in),
                     HOTA_E_IMAGE_TRUNCATED);
    f.data[f.len] = 0xFF;
    assert_int_equal(hota_image_verify_buffer(f.data, f.len + 1, &p, &in),
                     HOTA_E_IMAGE_TRAILING);
    free(f.data);
}

static void test_signed(void **state)
{
    static const struct signed_case cases[] = {
        {"esp32-app-template.rsa3072-signed.bin", 1, HOTA_SIG_RSA3072,
         {"dev-rsa3072.pub.pem"}, "2fdac2ab", "7516"},
        {"esp32-app-template.ecdsa256-signed.bin", 1, HOTA_SIG_ECDSA256,
         {"dev-ecdsa256.pub.pem"}, "ccc39ad0", "665b"},
        {"esp32-app-template.rsa3072-2keys-signed.bin", 2, HOTA_SIG_RSA3072,
         {"dev-rsa3072.pub.pem", "dev-rsa3072-b.pub.pem"}, "2fdac2ab", "7516"},
    };
    (void)state;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        check_signed(&cases[i]);
}

/* Change a segment byte, then repair the checksum and the appended SHA-256 the way an
 * attacker would: only the signature still tells. */
static void test_tampered_resealed(void **state)
{
    struct file f = load("esp32-app-template.rsa3072-signed.bin");
    uint8_t key[1][32];
    hota_image_policy_t p = {.chip_id = 0, .require_app_desc = 1};
    hota_image_info_t in;
    size_t at;
    (void)state;
    key_digest("dev-rsa3072.pub.pem", key[0]);
    assert_int_equal(hota_image_verify_buffer(f.data, f.len, &p, &in), HOTA_OK);
    at = in.segments[3].offset + 0x100;
    f.data[at] ^= 0x5A;
    f.data[in.image_len - 33] ^= 0x5A; /* checksum */
    mbedtls_sha256_ret(f.data, in.image_len - 32, f.data + in.image_len - 32, 0);
    assert_int_equal(hota_image_verify_buffer(f.data, f.len, &p, &in), HOTA_OK);
    assert_true(in.checksum_valid);
    assert_true(in.hash_valid);
    assert_false(in.sigs[0].valid);
    assert_int_equal(in.sigs[0].result, HOTA_E_SIG_DIGEST);
    p.n_trusted = 1;
    p.trusted_keys = (const uint8_t(*)[32])key;
    assert_int_equal(hota_image_verify_buffer(f.data, f.len, &p, &in), HOTA_E_SIG_DIGEST);
    free(f.data);
}

/* Sign the plain template here and verify the result, also from flash. */
static void test_sign_and_verify_flash(void **state)
{
    struct file f = load("esp32-app-template.bin");
    char key_path[1024], path[] = "/tmp/hota-test-vectors-image-XXXXXX";
    const char *keys[1] = {key_path};
    uint8_t digest[1][32];
    size_t signed_len = (f.len + 4095) / 4096 * 4096;
    uint8_t *img = malloc(signed_len + 4096);
    hota_image_policy_t p = {.chip_id = 0, .require_app_desc = 1, .n_trusted = 1};
    hota_image_info_t in;
    hota_flash_file_t ff;
    hota_flash_t dev;
    int fd = mkstemp(path);
    (void)state;
    assert_non_null(img);
    assert_true(fd >= 0);
    close(fd);
    snprintf(key_path, sizeof key_path, "%s/dev-ecdsa256.pem", vdir);
    key_digest("dev-ecdsa256.pub.pem", digest[0]);
    p.trusted_keys = (const uint8_t(*)[32])digest;
    memcpy(img, f.data, f.len);
    memset(img + f.len, 0xFF, signed_len - f.len);
    assert_int_equal(hota_sbv2_sign_image(f.data, f.len, keys, 1, img + signed_len), HOTA_OK);
    assert_int_equal(hota_image_verify_buffer(img, signed_len + 4096, &p, &in), HOTA_OK);
    assert_true(in.sigs[0].trusted);
    hota_flash_file_init(&ff);
    assert_int_equal(hota_flash_file_open(&ff, path, 1, 2u << 20, 1, &dev), HOTA_OK);
    assert_int_equal(hota_flash_erase(&dev, 0x100000, 0x100000), HOTA_OK);
    assert_int_equal(hota_flash_write(&dev, 0x100000, img, signed_len + 4096), HOTA_OK);
    assert_int_equal(hota_image_verify_flash(&dev, 0x100000, 0x100000, &p, &in), HOTA_OK);
    assert_int_equal(in.total_len, signed_len + 4096);
    p.n_trusted = 0; /* not required: the sector is still read and reported */
    assert_int_equal(hota_image_verify_flash(&dev, 0x100000, 0x100000, &p, &in), HOTA_OK);
    assert_int_equal(in.sig_count, 1);
    assert_true(in.sigs[0].valid);
    hota_flash_file_free(&ff);
    unlink(path);
    free(img);
    free(f.data);
}

int main(void)
{
    struct stat st;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_template),
        cmocka_unit_test(test_cust_ver_info),
        cmocka_unit_test(test_signed),
        cmocka_unit_test(test_tampered_resealed),
        cmocka_unit_test(test_sign_and_verify_flash),
    };
    vdir = getenv("HOTA_VECTORS_DIR");
    if (!vdir || stat(vdir, &st) != 0 || !S_ISDIR(st.st_mode)) {
        printf("SKIPPED test_vectors_image: vectors not found at %s\n", vdir ? vdir : "(unset)");
        return 77;
    }
    return cmocka_run_group_tests(tests, NULL, NULL);
}
