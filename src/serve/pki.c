/* Certificates for tests and demos with mbedTLS x509write: an EC P-256 CA and a server
 * certificate with a hand-built subjectAltName (mbedTLS 2.28 has no writer for it). */
#include "hota/pki.h"
#include "serve_int.h"

#include "hota/error.h"
#include "hota/file.h"

#include <stdio.h>
#include <string.h>

#include <mbedtls/asn1write.h>
#include <mbedtls/ctr_drbg.h>
#include <mbedtls/ecp.h>
#include <mbedtls/oid.h>
#include <mbedtls/pk.h>
#include <mbedtls/platform_util.h>
#include <mbedtls/x509_crt.h>

#define PKI_PEM_CAP 4096u
#define PKI_NAME_CAP 256u
#define PKI_PATH_CAP 1024u
#define NOT_BEFORE "20240101000000"
#define NOT_AFTER "20491231235959"

/* Everything one certificate needs; caller-owned, set up by pki_begin. */
typedef struct pki_job {
    mbedtls_ctr_drbg_context drbg;
    mbedtls_pk_context key;        /* the new key */
    mbedtls_pk_context issuer_key; /* the CA key (server certificates) */
    mbedtls_x509_crt issuer;       /* the CA certificate (server certificates) */
    mbedtls_x509write_cert crt;
    mbedtls_mpi serial;
    unsigned char pem[PKI_PEM_CAP];
    char issuer_name[PKI_NAME_CAP];
} pki_job_t;

static void pki_init(pki_job_t *j)
{
    mbedtls_ctr_drbg_init(&j->drbg);
    mbedtls_pk_init(&j->key);
    mbedtls_pk_init(&j->issuer_key);
    mbedtls_x509_crt_init(&j->issuer);
    mbedtls_x509write_crt_init(&j->crt);
    mbedtls_mpi_init(&j->serial);
}

static void pki_free(pki_job_t *j)
{
    mbedtls_mpi_free(&j->serial);
    mbedtls_x509write_crt_free(&j->crt);
    mbedtls_x509_crt_free(&j->issuer);
    mbedtls_pk_free(&j->issuer_key);
    mbedtls_pk_free(&j->key);
    mbedtls_ctr_drbg_free(&j->drbg);
    mbedtls_platform_zeroize(j->pem, sizeof j->pem);
}

/* Seed the RNG, make the new key and a random positive 128-bit serial. */
static int pki_begin(pki_job_t *j)
{
    static const unsigned char pers[] = "hota-pki";
    unsigned char sn[16];
    if (mbedtls_ctr_drbg_seed(&j->drbg, serve_entropy, NULL, pers, sizeof pers - 1) != 0)
        return HOTA_E_IO;
    if (mbedtls_pk_setup(&j->key, mbedtls_pk_info_from_type(MBEDTLS_PK_ECKEY)) != 0 ||
        mbedtls_ecp_gen_key(MBEDTLS_ECP_DP_SECP256R1, mbedtls_pk_ec(j->key),
                            mbedtls_ctr_drbg_random, &j->drbg) != 0)
        return HOTA_E_KEY;
    if (mbedtls_ctr_drbg_random(&j->drbg, sn, sizeof sn) != 0)
        return HOTA_E_IO;
    sn[0] = (unsigned char)((sn[0] & 0x7f) | 0x40);
    return mbedtls_mpi_read_binary(&j->serial, sn, sizeof sn) == 0 ? HOTA_OK : HOTA_E_KEY;
}

static int write_file(const char *path, const unsigned char *data, size_t len)
{
    return hota_pfile_replace(path, data, len, 1) == HOTA_OK ? HOTA_OK : HOTA_E_FILE_OPEN;
}

static int name_ok(const char *s, size_t max)
{
    size_t n = s ? strlen(s) : 0;
    if (!n || n > max)
        return 0;
    return strpbrk(s, ",=\\\"") == NULL;
}

/* Common fields: names, keys, serial, validity, key identifiers. */
static int crt_common(pki_job_t *j, const char *subject, mbedtls_pk_context *issuer_key)
{
    mbedtls_x509write_cert *c = &j->crt;
    mbedtls_x509write_crt_set_version(c, MBEDTLS_X509_CRT_VERSION_3);
    mbedtls_x509write_crt_set_md_alg(c, MBEDTLS_MD_SHA256);
    mbedtls_x509write_crt_set_subject_key(c, &j->key);
    mbedtls_x509write_crt_set_issuer_key(c, issuer_key);
    if (mbedtls_x509write_crt_set_subject_name(c, subject) != 0 ||
        mbedtls_x509write_crt_set_issuer_name(c, j->issuer_name) != 0 ||
        mbedtls_x509write_crt_set_serial(c, &j->serial) != 0 ||
        mbedtls_x509write_crt_set_validity(c, NOT_BEFORE, NOT_AFTER) != 0 ||
        mbedtls_x509write_crt_set_subject_key_identifier(c) != 0 ||
        mbedtls_x509write_crt_set_authority_key_identifier(c) != 0)
        return HOTA_E_SIGN;
    return HOTA_OK;
}

/* Sign the certificate and write it and the new key as PEM. */
static int pki_write(pki_job_t *j, const char *cert_path, const char *key_path)
{
    int rc;
    if (mbedtls_x509write_crt_pem(&j->crt, j->pem, sizeof j->pem, mbedtls_ctr_drbg_random,
                                  &j->drbg) != 0)
        return HOTA_E_SIGN;
    rc = write_file(cert_path, j->pem, strlen((const char *)j->pem));
    if (rc != HOTA_OK)
        return rc;
    if (mbedtls_pk_write_key_pem(&j->key, j->pem, sizeof j->pem) != 0)
        return HOTA_E_KEY;
    return write_file(key_path, j->pem, strlen((const char *)j->pem));
}

int hota_pki_make_ca(const char *cert_path, const char *key_path, const char *common_name)
{
    pki_job_t j;
    int rc = HOTA_E_INVALID_ARG;
    pki_init(&j);
    if (!cert_path || !key_path || !name_ok(common_name, 64))
        goto out;
    snprintf(j.issuer_name, sizeof j.issuer_name, "CN=%s,O=hota", common_name);
    rc = pki_begin(&j);
    if (rc == HOTA_OK)
        rc = crt_common(&j, j.issuer_name, &j.key);
    if (rc != HOTA_OK)
        goto out;
    rc = HOTA_E_SIGN;
    if (mbedtls_x509write_crt_set_basic_constraints(&j.crt, 1, -1) != 0 ||
        mbedtls_x509write_crt_set_key_usage(&j.crt, MBEDTLS_X509_KU_KEY_CERT_SIGN |
                                                        MBEDTLS_X509_KU_CRL_SIGN) != 0)
        goto out;
    rc = pki_write(&j, cert_path, key_path);
out:
    pki_free(&j);
    return rc;
}

/* "a.b.c.d" into 4 bytes; 0 on success. */
static int parse_ipv4(const char *s, unsigned char out[4])
{
    for (int i = 0; i < 4; i++) {
        unsigned v = 0, digits = 0;
        for (; *s >= '0' && *s <= '9' && digits < 4; s++, digits++)
            v = v * 10 + (unsigned)(*s - '0');
        if (!digits || digits > 3 || v > 255 || *s != (i < 3 ? '.' : '\0'))
            return -1;
        out[i] = (unsigned char)v;
        s += i < 3;
    }
    return 0;
}

/* One context-specific primitive GeneralName [tag] written backwards before *p. */
static int write_general_name(unsigned char **p, unsigned char *start, int tag,
                              const unsigned char *v, size_t n)
{
    int a = mbedtls_asn1_write_raw_buffer(p, start, v, n), b, c;
    if (a < 0)
        return a;
    b = mbedtls_asn1_write_len(p, start, n);
    if (b < 0)
        return b;
    c = mbedtls_asn1_write_tag(p, start, (unsigned char)(MBEDTLS_ASN1_CONTEXT_SPECIFIC | tag));
    return c < 0 ? c : a + b + c;
}

/* Wrap len bytes before *p into a SEQUENCE; returns the total length or < 0. */
static int write_sequence(unsigned char **p, unsigned char *start, int len)
{
    int b, c;
    if (len < 0)
        return len;
    b = mbedtls_asn1_write_len(p, start, (size_t)len);
    if (b < 0)
        return b;
    c = mbedtls_asn1_write_tag(p, start, MBEDTLS_ASN1_CONSTRUCTED | MBEDTLS_ASN1_SEQUENCE);
    return c < 0 ? c : len + b + c;
}

/* subjectAltName: SEQUENCE { [2] dNSName, [7] iPAddress }. */
static int add_san(mbedtls_x509write_cert *crt, const char *dns, const unsigned char *ip)
{
    unsigned char buf[320], *p = buf + sizeof buf;
    int len = 0, n;
    if (ip) {
        n = write_general_name(&p, buf, 7, ip, 4);
        if (n < 0)
            return HOTA_E_SIGN;
        len += n;
    }
    n = write_general_name(&p, buf, 2, (const unsigned char *)dns, strlen(dns));
    len = write_sequence(&p, buf, n < 0 ? n : len + n);
    if (len < 0 || mbedtls_x509write_crt_set_extension(
                       crt, MBEDTLS_OID_SUBJECT_ALT_NAME,
                       MBEDTLS_OID_SIZE(MBEDTLS_OID_SUBJECT_ALT_NAME), 0, p, (size_t)len) != 0)
        return HOTA_E_SIGN;
    return HOTA_OK;
}

/* extendedKeyUsage: SEQUENCE { id-kp-serverAuth }. */
static int add_eku(mbedtls_x509write_cert *crt)
{
    unsigned char buf[32], *p = buf + sizeof buf;
    int len = mbedtls_asn1_write_oid(&p, buf, MBEDTLS_OID_SERVER_AUTH,
                                     MBEDTLS_OID_SIZE(MBEDTLS_OID_SERVER_AUTH));
    len = write_sequence(&p, buf, len);
    if (len < 0 || mbedtls_x509write_crt_set_extension(
                       crt, MBEDTLS_OID_EXTENDED_KEY_USAGE,
                       MBEDTLS_OID_SIZE(MBEDTLS_OID_EXTENDED_KEY_USAGE), 0, p, (size_t)len) != 0)
        return HOTA_E_SIGN;
    return HOTA_OK;
}

/* Load the CA and take its subject, as written by mbedTLS ("CN=x, O=y"), without the blanks
 * after the separators, as the new certificate's issuer. */
static int load_issuer(pki_job_t *j, const char *ca_cert_path, const char *ca_key_path)
{
    char dn[PKI_NAME_CAP];
    size_t o = 0;
    if (mbedtls_x509_crt_parse_file(&j->issuer, ca_cert_path) != 0)
        return HOTA_E_CERT_LOAD;
    if (mbedtls_pk_parse_keyfile(&j->issuer_key, ca_key_path, NULL) != 0)
        return HOTA_E_KEY_LOAD;
    if (mbedtls_pk_check_pair(&j->issuer.pk, &j->issuer_key) != 0)
        return HOTA_E_KEY_LOAD;
    if (mbedtls_x509_dn_gets(dn, sizeof dn, &j->issuer.subject) < 0)
        return HOTA_E_CERT_LOAD;
    for (size_t i = 0; dn[i] && o + 1 < sizeof j->issuer_name; i++)
        if (!(dn[i] == ' ' && i && dn[i - 1] == ','))
            j->issuer_name[o++] = dn[i];
    j->issuer_name[o] = '\0';
    return HOTA_OK;
}

static int server_extensions(pki_job_t *j, const char *dns, const unsigned char *ip)
{
    if (mbedtls_x509write_crt_set_basic_constraints(&j->crt, 0, -1) != 0 ||
        mbedtls_x509write_crt_set_key_usage(&j->crt, MBEDTLS_X509_KU_DIGITAL_SIGNATURE) != 0)
        return HOTA_E_SIGN;
    if (add_san(&j->crt, dns, ip) != HOTA_OK)
        return HOTA_E_SIGN;
    return add_eku(&j->crt);
}

int hota_pki_make_server(const char *ca_cert_path, const char *ca_key_path,
                         const char *cert_path, const char *key_path, const char *dns_name,
                         const char *ipv4)
{
    pki_job_t j;
    char subject[PKI_NAME_CAP];
    unsigned char ip[4];
    int rc = HOTA_E_INVALID_ARG;
    pki_init(&j);
    if (!ca_cert_path || !ca_key_path || !cert_path || !key_path || !name_ok(dns_name, 200) ||
        (ipv4 && parse_ipv4(ipv4, ip) != 0))
        goto out;
    snprintf(subject, sizeof subject, "CN=%s", dns_name);
    rc = load_issuer(&j, ca_cert_path, ca_key_path);
    if (rc == HOTA_OK)
        rc = pki_begin(&j);
    if (rc == HOTA_OK)
        rc = crt_common(&j, subject, &j.issuer_key);
    if (rc == HOTA_OK)
        rc = server_extensions(&j, dns_name, ipv4 ? ip : NULL);
    if (rc == HOTA_OK)
        rc = pki_write(&j, cert_path, key_path);
out:
    pki_free(&j);
    return rc;
}

static int join(char out[PKI_PATH_CAP], const char *dir, const char *name)
{
    int n = snprintf(out, PKI_PATH_CAP, "%s/%s", dir, name);
    return n > 0 && n < (int)PKI_PATH_CAP ? HOTA_OK : HOTA_E_BUFFER_TOO_SMALL;
}

int hota_pki_make_localhost(const char *dir)
{
    char cc[PKI_PATH_CAP], ck[PKI_PATH_CAP], sc[PKI_PATH_CAP], sk[PKI_PATH_CAP];
    int rc;
    if (!dir)
        return HOTA_E_INVALID_ARG;
    rc = join(cc, dir, HOTA_PKI_CA_CERT);
    if (rc == HOTA_OK)
        rc = join(ck, dir, HOTA_PKI_CA_KEY);
    if (rc == HOTA_OK)
        rc = join(sc, dir, HOTA_PKI_SERVER_CERT);
    if (rc == HOTA_OK)
        rc = join(sk, dir, HOTA_PKI_SERVER_KEY);
    if (rc == HOTA_OK)
        rc = hota_pki_make_ca(cc, ck, "hota test CA");
    if (rc == HOTA_OK)
        rc = hota_pki_make_server(cc, ck, sc, sk, "localhost", "127.0.0.1");
    return rc;
}
