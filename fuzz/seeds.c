/* hota_fuzz_seeds OUTDIR [VECTORS_DIR]: writes the seed corpus of every fuzz target under
 * OUTDIR/<target>/, made from the cases the unit tests use and, when VECTORS_DIR (or
 * $HOTA_VECTORS_DIR) holds ESP-IDF's reference files, from those too (read, never copied
 * into the source tree). Exit status 0 when every seed was written. */
#include "hota/error.h"
#include "hota/image_create.h"
#include "hota/otadata.h"
#include "hota/partition.h"
#include "hota/sbv2.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define PATH_CAP 1024

static const char *const http_cases[] = {
    "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello",
    "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
    "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3;ext=1\r\nabc\r\n0\r\nX-T: 1\r\n\r\n",
    "HTTP/1.0 200 ok\r\nContent-type: application/octet-stream\r\n\r\nclose delimited body",
    "HTTP/1.1 204 No Content\r\n\r\n",
    "HTTP/1.1 304 Not Modified\r\nETag: \"abc\"\r\n\r\n",
    "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok",
    "HTTP/1.1 302 Found\r\nLocation: /next\r\nContent-Length: 0\r\n\r\n"
    "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nabc",
    "HTTP/1.1 301 Moved\r\nLocation: http://fuzz.invalid:8080/b\r\nContent-Length: 4\r\n\r\nmove"
    "HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nx",
    "HTTP/1.1 206 Partial Content\r\nContent-Range: bytes 100-104/200\r\nContent-Length: 5\r\n"
    "Accept-Ranges: bytes\r\nLast-Modified: Wed, 21 Oct 2015 07:28:00 GMT\r\n\r\n12345",
    "HTTP/1.1 200 OK\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n",
    "HTTP/1.1 200 OK\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd",
    "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nfffffffffffffffff\r\n",
    "HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 10\r\n\r\nabcde",
    "HTTP/1.1 404 Not Found\r\nContent-Length: 9\r\n\r\nnot found",
};

static int mkdir_p(const char *dir)
{
    char tmp[PATH_CAP];
    snprintf(tmp, sizeof tmp, "%s", dir);
    for (char *p = tmp + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(tmp, 0755) != 0 && errno != EEXIST)
            return -1;
        *p = '/';
    }
    return mkdir(tmp, 0755) != 0 && errno != EEXIST ? -1 : 0;
}

/* Write OUT/target/name = head (hlen bytes) + body (blen bytes). */
static int put(const char *out, const char *target, const char *name, const void *head,
               size_t hlen, const void *body, size_t blen)
{
    char path[PATH_CAP];
    FILE *f;
    int ok;
    snprintf(path, sizeof path, "%s/%s", out, target);
    if (mkdir_p(path) != 0)
        return -1;
    snprintf(path, sizeof path, "%s/%s/%s", out, target, name);
    f = fopen(path, "wb");
    if (!f)
        return -1;
    ok = fwrite(head, 1, hlen, f) == hlen && (!blen || fwrite(body, 1, blen, f) == blen);
    return fclose(f) == 0 && ok ? 0 : -1;
}

/* Whole file into a malloc'd buffer (NULL when absent). */
static uint8_t *slurp(const char *dir, const char *name, size_t *len)
{
    char path[PATH_CAP];
    FILE *f;
    uint8_t *buf = NULL;
    long n;
    snprintf(path, sizeof path, "%s/%s", dir, name);
    f = fopen(path, "rb");
    if (!f)
        return NULL;
    if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) > 0 && fseek(f, 0, SEEK_SET) == 0) {
        buf = malloc((size_t)n);
        if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) {
            free(buf);
            buf = NULL;
        }
        *len = (size_t)n;
    }
    fclose(f);
    return buf;
}

static int http_seeds(const char *out)
{
    static const uint8_t ctl[][4] = {{0, 0, 255, 0}, {7, 0x05, 16, 0}, {1, 0x11, 3, 0}};
    char name[32];
    int rc = 0;
    for (size_t i = 0; i < sizeof http_cases / sizeof http_cases[0]; i++)
        for (size_t c = 0; c < sizeof ctl / sizeof ctl[0]; c++) {
            snprintf(name, sizeof name, "case-%02zu-%zu", i, c);
            rc |= put(out, "fuzz_http_response", name, ctl[c], 4, http_cases[i],
                      strlen(http_cases[i]));
        }
    return rc;
}

static int image_seeds(const char *out)
{
    static uint8_t img[8192];
    static const uint8_t ctl[][4] = {{0x00, 12, 1, 0}, {0x23, 0, 7, 0}, {0x07, 5, 9, 9}};
    hota_image_create_params_t p;
    size_t len = 0;
    uint32_t min = 0;
    char name[32];
    int rc = 0;
    hota_image_create_defaults(&p);
    p.project = "fuzz";
    p.version = "1.0";
    p.size = 16;
    if (hota_image_create_size(&p, &min) != HOTA_OK) /* below the minimum: ask for it */
        p.size = 6144;
    else
        p.size = min;
    if (hota_image_create_buffer(&p, img, sizeof img, &len, NULL) != HOTA_OK) {
        fprintf(stderr, "hota_fuzz_seeds: cannot create a small image\n");
        return -1;
    }
    for (size_t c = 0; c < sizeof ctl / sizeof ctl[0]; c++) {
        snprintf(name, sizeof name, "created-%zu", c);
        rc |= put(out, "fuzz_image_verifier", name, ctl[c], 4, img, len);
    }
    return rc;
}

static int table_seeds(const char *out)
{
    static hota_part_table_t t;
    static uint8_t bin[HOTA_PART_TABLE_MAX];
    static const char four[] = "# Name, Type, SubType, Offset, Size, Flags\n"
                               "nvs, data, nvs, , 0x6000,\notadata, data, ota, , 0x2000,\n"
                               "phy_init, data, phy, , 0x1000,\nota_0, app, ota_0, , 1M,\n"
                               "ota_1, app, ota_1, , 1M, readonly\n"
                               "spiffs, data, spiffs, , -0x1000, encrypted\n";
    const uint8_t flash4 = 3;
    int rc = put(out, "fuzz_part_csv", "two-ota", &flash4, 1, hota_part_csv_two_ota,
                 strlen(hota_part_csv_two_ota));
    rc |= put(out, "fuzz_part_csv", "custom", &flash4, 1, four, sizeof four - 1);
    if (hota_part_from_csv(hota_part_csv_two_ota, strlen(hota_part_csv_two_ota), 0, &t) ||
        hota_part_to_bin(&t, bin))
        return -1;
    rc |= put(out, "fuzz_partition", "two-ota", bin, sizeof bin, NULL, 0);
    rc |= put(out, "fuzz_partition", "two-ota-short", bin, 7 * 32, NULL, 0);
    return rc;
}

static int boot_seeds(const char *out)
{
    static const uint32_t states[] = {HOTA_OTA_STATE_NEW, HOTA_OTA_STATE_PENDING_VERIFY,
                                      HOTA_OTA_STATE_VALID, HOTA_OTA_STATE_ABORTED};
    uint8_t buf[2 * HOTA_OTADATA_ENTRY_SIZE + 6 + 17];
    hota_otadata_entry_t e;
    char name[32];
    int rc = 0;
    for (unsigned s = 0; s < 4; s++) {
        memset(buf, 0xFF, sizeof buf);
        hota_otadata_make(&e, 1, HOTA_OTA_STATE_VALID);
        hota_otadata_encode(&e, buf);
        hota_otadata_make(&e, 2 + s, states[s]);
        hota_otadata_encode(&e, buf + HOTA_OTADATA_ENTRY_SIZE);
        buf[64] = 2;                         /* two OTA slots */
        buf[65] = (uint8_t)(1 | (s << 1));   /* factory, rollback / anti-rollback variants */
        memset(buf + 66, 0, 4);
        buf[66] = (uint8_t)s;
        memset(buf + 70, 0x03, 17);          /* every slot verifies, secure_version 1 */
        snprintf(name, sizeof name, "two-slots-%u", s);
        rc |= put(out, "fuzz_boot", name, buf, sizeof buf, NULL, 0);
    }
    memset(buf, 0xFF, sizeof buf);
    buf[64] = 0;
    rc |= put(out, "fuzz_boot", "blank", buf, sizeof buf, NULL, 0);
    return rc;
}

/* ESP-IDF's own files, when present: images, tables, signature sectors. */
static int vector_seeds(const char *out, const char *vec)
{
    static const char *const images[] = {"esp32-app-template.bin", "esp32-app-cust-ver-info.bin",
                                         "esp32-app-template.rsa3072-signed.bin",
                                         "esp32-app-template.ecdsa256-signed.bin",
                                         "esp32-app-template.rsa3072-2keys-signed.bin"};
    static const char *const tables[] = {"esp32-partitions-two-ota", "esp32-partitions-four-ota-8MB"};
    static const uint8_t img_ctl[4] = {0x08, 12, 3, 1}, sig_ctl = 0x08, flash8 = 4;
    char name[128];
    size_t len = 0;
    uint8_t *b;
    int rc = 0;
    for (size_t i = 0; i < sizeof images / sizeof images[0]; i++) {
        if (!(b = slurp(vec, images[i], &len)))
            continue;
        rc |= put(out, "fuzz_image_verifier", images[i], img_ctl, 4, b, len);
        if (len > HOTA_SBV2_SECTOR_SIZE && len % HOTA_SBV2_SECTOR_SIZE == 0 && b[len - 4096] == 0xE7)
            rc |= put(out, "fuzz_sbv2", images[i], &sig_ctl, 1, b + len - 4096, 4096);
        free(b);
    }
    for (size_t i = 0; i < sizeof tables / sizeof tables[0]; i++) {
        snprintf(name, sizeof name, "%s.bin", tables[i]);
        if ((b = slurp(vec, name, &len))) {
            rc |= put(out, "fuzz_partition", name, b, len, NULL, 0);
            free(b);
        }
        snprintf(name, sizeof name, "%s.csv", tables[i]);
        if ((b = slurp(vec, name, &len))) {
            rc |= put(out, "fuzz_part_csv", name, &flash8, 1, b, len);
            free(b);
        }
    }
    if ((b = slurp(vec, "esp32-partitions-singleapp.bin", &len))) {
        rc |= put(out, "fuzz_partition", "singleapp.bin", b, len, NULL, 0);
        free(b);
    }
    return rc;
}

/* A synthetic signature sector: an ECDSA P-256 shaped block with a valid CRC. */
static int sbv2_seeds(const char *out)
{
    static uint8_t sector[HOTA_SBV2_SECTOR_SIZE];
    uint32_t crc;
    uint8_t ctl = 0x09;
    memset(sector, 0xFF, sizeof sector);
    memset(sector, 0, HOTA_SBV2_BLOCK_SIZE);
    sector[0] = HOTA_SBV2_MAGIC;
    sector[1] = HOTA_SBV2_VERSION_ECDSA;
    sector[36] = 2; /* curve P-256 */
    for (int i = 0; i < 64; i++)
        sector[37 + i] = (uint8_t)(i * 7 + 1);
    crc = hota_crc32_le(0, sector, HOTA_SBV2_CRC_LEN);
    for (int k = 0; k < 4; k++)
        sector[HOTA_SBV2_CRC_LEN + k] = (uint8_t)(crc >> (8 * k));
    if (put(out, "fuzz_sbv2", "ecdsa256-shape", &ctl, 1, sector, sizeof sector))
        return -1;
    sector[1] = HOTA_SBV2_VERSION_RSA;
    ctl = 0x01;
    return put(out, "fuzz_sbv2", "rsa-shape-crc-fixed", &ctl, 1, sector, sizeof sector);
}

int main(int argc, char **argv)
{
    const char *vec = argc > 2 ? argv[2] : getenv("HOTA_VECTORS_DIR");
    int rc;
    if (argc < 2) {
        fprintf(stderr, "usage: hota_fuzz_seeds OUTDIR [VECTORS_DIR]\n");
        return 2;
    }
    rc = http_seeds(argv[1]) | image_seeds(argv[1]) | table_seeds(argv[1]) |
         boot_seeds(argv[1]) | sbv2_seeds(argv[1]);
    if (vec && *vec)
        rc |= vector_seeds(argv[1], vec);
    if (rc)
        fprintf(stderr, "hota_fuzz_seeds: could not write every seed under %s\n", argv[1]);
    return rc ? 1 : 0;
}
