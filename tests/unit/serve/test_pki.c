/* hota_pki_*: the generated CA and server certificates parse with mbedTLS, chain to the CA for
 * "localhost", carry the right extensions, and bad inputs are refused. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include <mbedtls/oid.h>
#include <mbedtls/pk.h>
#include <mbedtls/x509_crt.h>

#include "hota/error.h"
#include "hota/pki.h"

typedef struct pki_fixture {
    char dir[64];
    char path[4][128];
} pki_fixture_t;

static const char *const names[4] = {HOTA_PKI_CA_CERT, HOTA_PKI_CA_KEY, HOTA_PKI_SERVER_CERT,
                                     HOTA_PKI_SERVER_KEY};

static int setup(void **state)
{
    pki_fixture_t *f = calloc(1, sizeof *f);
    if (!f)
        return -1;
    strcpy(f->dir, "/tmp/hota-test-pki-XXXXXX");
    if (!mkdtemp(f->dir))
        return -1;
    for (int i = 0; i < 4; i++)
        snprintf(f->path[i], sizeof f->path[i], "%s/%s", f->dir, names[i]);
    if (hota_pki_make_localhost(f->dir) != HOTA_OK)
        return -1;
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    pki_fixture_t *f = *state;
    char extra[160];
    for (int i = 0; i < 4; i++)
        unlink(f->path[i]);
    snprintf(extra, sizeof extra, "%s/other.pem", f->dir);
    unlink(extra);
    snprintf(extra, sizeof extra, "%s/other.key", f->dir);
    unlink(extra);
    rmdir(f->dir);
    free(f);
    return 0;
}

static void load(mbedtls_x509_crt *c, const char *path)
{
    mbedtls_x509_crt_init(c);
    assert_int_equal(mbedtls_x509_crt_parse_file(c, path), 0);
}

static void test_chain_verifies_for_localhost(void **state)
{
    pki_fixture_t *f = *state;
    mbedtls_x509_crt ca, srv;
    uint32_t flags = 0;
    load(&ca, f->path[0]);
    load(&srv, f->path[2]);
    assert_int_equal(mbedtls_x509_crt_verify(&srv, &ca, NULL, "localhost", &flags, NULL, NULL),
                     0);
    assert_int_equal(flags, 0);
    /* a name the certificate does not hold is refused */
    assert_int_not_equal(mbedtls_x509_crt_verify(&srv, &ca, NULL, "example.com", &flags, NULL,
                                                 NULL), 0);
    assert_true(flags & MBEDTLS_X509_BADCERT_CN_MISMATCH);
    /* the CA verifies itself (self-signed trust anchor) and is a CA */
    assert_int_equal(mbedtls_x509_crt_verify(&ca, &ca, NULL, NULL, &flags, NULL, NULL), 0);
    assert_int_equal(ca.ca_istrue, 1);
    assert_int_equal(srv.ca_istrue, 0);
    mbedtls_x509_crt_free(&srv);
    mbedtls_x509_crt_free(&ca);
}

static void test_server_extensions(void **state)
{
    pki_fixture_t *f = *state;
    mbedtls_x509_crt srv;
    const mbedtls_x509_sequence *san;
    int dns = 0, ip = 0;
    load(&srv, f->path[2]);
    for (san = &srv.subject_alt_names; san; san = san->next) {
        const mbedtls_x509_buf *b = &san->buf;
        if (b->tag == (MBEDTLS_ASN1_CONTEXT_SPECIFIC | 2) && b->len == 9 &&
            !memcmp(b->p, "localhost", 9))
            dns++;
        if (b->tag == (MBEDTLS_ASN1_CONTEXT_SPECIFIC | 7) && b->len == 4 &&
            !memcmp(b->p, "\x7f\x00\x00\x01", 4))
            ip++;
    }
    assert_int_equal(dns, 1);
    assert_int_equal(ip, 1);
    assert_int_equal(mbedtls_x509_crt_check_key_usage(&srv, MBEDTLS_X509_KU_DIGITAL_SIGNATURE),
                     0);
    assert_int_equal(mbedtls_x509_crt_check_extended_key_usage(
                         &srv, MBEDTLS_OID_SERVER_AUTH, MBEDTLS_OID_SIZE(MBEDTLS_OID_SERVER_AUTH)),
                     0);
    assert_true(mbedtls_pk_get_type(&srv.pk) == MBEDTLS_PK_ECKEY);
    assert_int_equal(mbedtls_pk_get_bitlen(&srv.pk), 256);
    mbedtls_x509_crt_free(&srv);
}

static void test_keys_match_certificates(void **state)
{
    pki_fixture_t *f = *state;
    for (int i = 0; i < 4; i += 2) {
        mbedtls_x509_crt c;
        mbedtls_pk_context k;
        load(&c, f->path[i]);
        mbedtls_pk_init(&k);
        assert_int_equal(mbedtls_pk_parse_keyfile(&k, f->path[i + 1], NULL), 0);
        assert_int_equal(mbedtls_pk_check_pair(&c.pk, &k), 0);
        mbedtls_pk_free(&k);
        mbedtls_x509_crt_free(&c);
    }
}

/* A certificate from another CA does not verify against this one. */
static void test_foreign_ca_refused(void **state)
{
    pki_fixture_t *f = *state;
    char oc[160], ok[160];
    mbedtls_x509_crt ca, other;
    uint32_t flags = 0;
    snprintf(oc, sizeof oc, "%s/other.pem", f->dir);
    snprintf(ok, sizeof ok, "%s/other.key", f->dir);
    assert_int_equal(hota_pki_make_ca(oc, ok, "other CA"), HOTA_OK);
    load(&ca, f->path[0]);
    load(&other, oc);
    assert_int_not_equal(mbedtls_x509_crt_verify(&other, &ca, NULL, NULL, &flags, NULL, NULL),
                         0);
    assert_true(flags & MBEDTLS_X509_BADCERT_NOT_TRUSTED);
    mbedtls_x509_crt_free(&other);
    mbedtls_x509_crt_free(&ca);
}

static void test_bad_inputs(void **state)
{
    pki_fixture_t *f = *state;
    char oc[160], ok[160];
    snprintf(oc, sizeof oc, "%s/other.pem", f->dir);
    snprintf(ok, sizeof ok, "%s/other.key", f->dir);
    assert_int_equal(hota_pki_make_ca(oc, ok, ""), HOTA_E_INVALID_ARG);
    assert_int_equal(hota_pki_make_ca(oc, ok, "a,b"), HOTA_E_INVALID_ARG);
    assert_int_equal(hota_pki_make_ca(NULL, ok, "x"), HOTA_E_INVALID_ARG);
    assert_int_equal(hota_pki_make_server(f->path[0], f->path[1], oc, ok, "h", "1.2.3"),
                     HOTA_E_INVALID_ARG);
    assert_int_equal(hota_pki_make_server(f->path[0], f->path[1], oc, ok, "h", "256.0.0.1"),
                     HOTA_E_INVALID_ARG);
    assert_int_equal(hota_pki_make_server("/nonexistent/ca.pem", f->path[1], oc, ok, "h", NULL),
                     HOTA_E_CERT_LOAD);
    /* the server key is not the CA key */
    assert_int_equal(hota_pki_make_server(f->path[0], f->path[3], oc, ok, "h", NULL),
                     HOTA_E_KEY_LOAD);
    assert_int_equal(hota_pki_make_ca("/nonexistent/dir/ca.pem", ok, "x"), HOTA_E_FILE_OPEN);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_chain_verifies_for_localhost),
        cmocka_unit_test(test_server_extensions),
        cmocka_unit_test(test_keys_match_certificates),
        cmocka_unit_test(test_foreign_ca_refused),
        cmocka_unit_test(test_bad_inputs),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
