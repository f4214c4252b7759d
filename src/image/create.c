/* Make unsigned ESP32 app images (layout described in include/hota/image_create.h). */
#include "hota/image_create.h"

#include "hota/error.h"
#include "core/bytes.h"

#include <stdio.h>
#include <string.h>

#include <mbedtls/sha256.h>

#define HDR_LEN 24u
#define SEG_HDR_LEN 8u
#define DESC_LEN 256u
#define NSEG 5u
#define HASH_LEN 32u
#define PIECE 4096u
#define MMU_PAGE 0x10000u
#define IMAGE_MAGIC 0xE9u
#define DESC_MAGIC 0xABCD5432u
#define SPI_MODE_DIO 2u
#define SPI_2MB_40MHZ 0x10u /* size 2 MB in the high nibble, 40 MHz (0) in the low one */
#define WP_PIN_DISABLED 0xEEu
#define CHECKSUM_SEED 0xEFu

/* Segment table: load address (IROM's is computed) and fixed length (0: computed). */
static const struct {
    uint32_t addr;
    uint32_t len;
} seg_tmpl[NSEG] = {
    {0x3F400020u, 0},      /* DROM: app desc + filler */
    {0x3FFB0000u, 1024u},  /* DRAM */
    {0x40080000u, 2048u},  /* IRAM */
    {0x400D0000u, 0},      /* IROM, + file offset modulo MMU_PAGE */
    {0x40080800u, 512u},   /* IRAM, after the first IRAM segment */
};
#define ENTRY_ADDR 0x40080400u

typedef struct layout {
    uint32_t size;
    uint32_t len[NSEG];
    uint32_t addr[NSEG];
} layout_t;

typedef struct writer {
    hota_image_sink_fn sink;
    void *ctx;
    mbedtls_sha256_context sha;
    uint8_t csum;
    uint32_t written;
    uint64_t rng;
    uint8_t buf[PIECE];
} writer_t;

void hota_image_create_defaults(hota_image_create_params_t *p)
{
    memset(p, 0, sizeof *p);
    p->chip = "esp32";
    p->size = HOTA_IMAGE_CREATE_DEFAULT_SIZE;
    p->idf_ver = "hota";
    p->time = "00:00:00";
    p->date = "Jan  1 2025";
}

static int str_fits(const char *s, size_t field, int required)
{
    if (!s)
        return !required;
    return strlen(s) < field && (!required || s[0]);
}

static int check_params(const hota_image_create_params_t *p)
{
    if (!p || !str_fits(p->project, 32, 1) || !str_fits(p->version, 32, 1) ||
        !str_fits(p->idf_ver, 32, 0) || !str_fits(p->time, 16, 0) || !str_fits(p->date, 16, 0))
        return HOTA_E_INVALID_ARG;
    if (p->chip && strcmp(p->chip, "esp32") != 0)
        return HOTA_E_UNSUPPORTED;
    return HOTA_OK;
}

static int make_layout(const hota_image_create_params_t *p, layout_t *l)
{
    uint32_t fixed = HDR_LEN + NSEG * SEG_HDR_LEN + DESC_LEN + 4u /* pad + checksum */ + HASH_LEN;
    uint32_t rest, drom_extra, off = HDR_LEN;
    int rc = check_params(p);
    if (rc != HOTA_OK)
        return rc;
    for (unsigned i = 0; i < NSEG; i++)
        fixed += seg_tmpl[i].len;
    if (p->size > HOTA_IMAGE_CREATE_MAX_SIZE)
        return HOTA_E_INVALID_ARG;
    l->size = (p->size + 8u) / 16u * 16u;
    if (l->size < fixed + 4u)
        return HOTA_E_INVALID_ARG;
    rest = l->size - fixed; /* a multiple of 4: split 1/4 DROM, 3/4 IROM */
    drom_extra = rest / 4u & ~3u;
    for (unsigned i = 0; i < NSEG; i++) {
        l->addr[i] = seg_tmpl[i].addr;
        l->len[i] = seg_tmpl[i].len;
    }
    l->len[0] = DESC_LEN + drom_extra;
    l->len[3] = rest - drom_extra;
    for (unsigned i = 0; i < 3; i++)
        off += SEG_HDR_LEN + l->len[i];
    l->addr[3] += (off + SEG_HDR_LEN) % MMU_PAGE;
    return HOTA_OK;
}

int hota_image_create_size(const hota_image_create_params_t *p, uint32_t *size)
{
    layout_t l;
    int rc = make_layout(p, &l);
    if (rc == HOTA_OK)
        *size = l.size;
    return rc;
}

/* xorshift64*, 32 bits per step: fills n (a multiple of 4) bytes. */
static void rng_fill(uint64_t *st, uint8_t *b, size_t n)
{
    for (size_t i = 0; i + 4 <= n; i += 4) {
        uint64_t x = *st;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        *st = x;
        hota_put_le32(b + i, (uint32_t)((x * 0x2545F4914F6CDD1DULL) >> 32));
    }
}

static uint64_t rng_seed(const hota_image_create_params_t *p)
{
    mbedtls_sha256_context c;
    uint8_t h[32], sv[4];
    uint64_t s = 0;
    hota_put_le32(sv, p->secure_version);
    mbedtls_sha256_init(&c);
    mbedtls_sha256_starts_ret(&c, 0);
    mbedtls_sha256_update_ret(&c, (const uint8_t *)p->project, strlen(p->project) + 1);
    mbedtls_sha256_update_ret(&c, (const uint8_t *)p->version, strlen(p->version) + 1);
    mbedtls_sha256_update_ret(&c, sv, sizeof sv);
    mbedtls_sha256_finish_ret(&c, h);
    mbedtls_sha256_free(&c);
    for (int i = 0; i < 8; i++)
        s = s << 8 | h[i];
    return s ? s : 0x9E3779B97F4A7C15ULL;
}

static int emit(writer_t *w, const uint8_t *b, size_t n)
{
    mbedtls_sha256_update_ret(&w->sha, b, n);
    w->written += (uint32_t)n;
    return w->sink(w->ctx, b, n);
}

static int emit_data(writer_t *w, const uint8_t *b, size_t n)
{
    for (size_t i = 0; i < n; i++)
        w->csum ^= b[i];
    return emit(w, b, n);
}

/* n filler bytes (segment data) from the generator. */
static int emit_filler(writer_t *w, uint32_t n)
{
    while (n) {
        uint32_t k = n < PIECE ? n : PIECE;
        int rc;
        rng_fill(&w->rng, w->buf, k);
        rc = emit_data(w, w->buf, k);
        if (rc != HOTA_OK)
            return rc;
        n -= k;
    }
    return HOTA_OK;
}

/* SHA-256 of the filler stream (the image's stand-in for the ELF file hash). */
static void filler_hash(const hota_image_create_params_t *p, const layout_t *l, uint8_t out[32])
{
    mbedtls_sha256_context c;
    uint8_t buf[256];
    uint64_t st = rng_seed(p), n = 0;
    for (unsigned i = 0; i < NSEG; i++)
        n += l->len[i];
    n -= DESC_LEN;
    mbedtls_sha256_init(&c);
    mbedtls_sha256_starts_ret(&c, 0);
    while (n) {
        size_t k = n < sizeof buf ? (size_t)n : sizeof buf;
        rng_fill(&st, buf, k);
        mbedtls_sha256_update_ret(&c, buf, k);
        n -= k;
    }
    mbedtls_sha256_finish_ret(&c, out);
    mbedtls_sha256_free(&c);
}

static void copy_field(uint8_t *dst, const char *s)
{
    if (s)
        memcpy(dst, s, strlen(s));
}

static void build_desc(const hota_image_create_params_t *p, const uint8_t elf[32], uint8_t *d)
{
    memset(d, 0, DESC_LEN);
    hota_put_le32(d, DESC_MAGIC);
    hota_put_le32(d + 4, p->secure_version);
    copy_field(d + 16, p->version);
    copy_field(d + 48, p->project);
    copy_field(d + 80, p->time);
    copy_field(d + 96, p->date);
    copy_field(d + 112, p->idf_ver);
    memcpy(d + 144, elf, 32);
}

static void build_header(uint8_t *h)
{
    memset(h, 0, HDR_LEN);
    h[0] = IMAGE_MAGIC;
    h[1] = NSEG;
    h[2] = SPI_MODE_DIO;
    h[3] = SPI_2MB_40MHZ;
    hota_put_le32(h + 4, ENTRY_ADDR);
    h[8] = WP_PIN_DISABLED;
    h[17] = 0xFF; /* max_chip_rev_full 0xFFFF: no upper limit */
    h[18] = 0xFF;
    h[23] = 1; /* hash_appended */
}

static int emit_segments(writer_t *w, const hota_image_create_params_t *p, const layout_t *l,
                         const uint8_t elf[32])
{
    int rc = HOTA_OK;
    for (unsigned i = 0; i < NSEG && rc == HOTA_OK; i++) {
        uint8_t sh[SEG_HDR_LEN];
        uint32_t filler = l->len[i];
        hota_put_le32(sh, l->addr[i]);
        hota_put_le32(sh + 4, l->len[i]);
        rc = emit(w, sh, sizeof sh);
        if (rc == HOTA_OK && i == 0) {
            build_desc(p, elf, w->buf);
            rc = emit_data(w, w->buf, DESC_LEN);
            filler -= DESC_LEN;
        }
        if (rc == HOTA_OK)
            rc = emit_filler(w, filler);
    }
    return rc;
}

/* Zero padding so the checksum byte ends a 16-byte block, the checksum, the SHA-256. */
static int emit_trailer(writer_t *w, uint8_t hash[32])
{
    uint8_t pad[16] = {0};
    size_t n = 15u - w->written % 16u;
    int rc = emit(w, pad, n);
    if (rc == HOTA_OK)
        rc = emit(w, &w->csum, 1);
    if (rc != HOTA_OK)
        return rc;
    mbedtls_sha256_finish_ret(&w->sha, hash);
    rc = w->sink(w->ctx, hash, HASH_LEN);
    w->written += HASH_LEN;
    return rc;
}

static void fill_result(hota_image_create_result_t *res, const writer_t *w,
                        const uint8_t hash[32], const uint8_t elf[32])
{
    if (!res)
        return;
    res->size = w->written;
    res->segment_count = NSEG;
    res->checksum = w->csum;
    res->entry_addr = ENTRY_ADDR;
    memcpy(res->sha256, hash, 32);
    memcpy(res->app_elf_sha256, elf, 32);
}

int hota_image_create_stream(const hota_image_create_params_t *p, hota_image_sink_fn sink,
                             void *ctx, hota_image_create_result_t *res)
{
    writer_t w;
    layout_t l;
    uint8_t elf[32], hash[32], hdr[HDR_LEN];
    int rc = make_layout(p, &l);
    if (rc != HOTA_OK || !sink)
        return rc != HOTA_OK ? rc : HOTA_E_INVALID_ARG;
    memset(&w, 0, sizeof w);
    w.sink = sink;
    w.ctx = ctx;
    w.csum = CHECKSUM_SEED;
    w.rng = rng_seed(p);
    filler_hash(p, &l, elf);
    mbedtls_sha256_init(&w.sha);
    mbedtls_sha256_starts_ret(&w.sha, 0);
    build_header(hdr);
    rc = emit(&w, hdr, sizeof hdr);
    if (rc == HOTA_OK)
        rc = emit_segments(&w, p, &l, elf);
    if (rc == HOTA_OK)
        rc = emit_trailer(&w, hash);
    mbedtls_sha256_free(&w.sha);
    if (rc == HOTA_OK && w.written != l.size)
        rc = HOTA_E_INTERNAL;
    if (rc == HOTA_OK)
        fill_result(res, &w, hash, elf);
    return rc;
}

typedef struct buf_sink {
    uint8_t *buf;
    size_t cap, len;
} buf_sink_t;

static int to_buffer(void *ctx, const uint8_t *b, size_t n)
{
    buf_sink_t *s = ctx;
    if (n > s->cap - s->len)
        return HOTA_E_BUFFER_TOO_SMALL;
    memcpy(s->buf + s->len, b, n);
    s->len += n;
    return HOTA_OK;
}

int hota_image_create_buffer(const hota_image_create_params_t *p, uint8_t *buf, size_t cap,
                             size_t *len, hota_image_create_result_t *res)
{
    buf_sink_t s = {buf, cap, 0};
    uint32_t size = 0;
    int rc = hota_image_create_size(p, &size);
    if (rc != HOTA_OK)
        return rc;
    if (!buf || cap < size)
        return HOTA_E_BUFFER_TOO_SMALL;
    rc = hota_image_create_stream(p, to_buffer, &s, res);
    if (rc == HOTA_OK && len)
        *len = s.len;
    return rc;
}

static int to_file(void *ctx, const uint8_t *b, size_t n)
{
    return fwrite(b, 1, n, (FILE *)ctx) == n ? HOTA_OK : HOTA_E_FILE_OPEN;
}

int hota_image_create_file(const hota_image_create_params_t *p, const char *path,
                           hota_image_create_result_t *res)
{
    uint32_t size;
    FILE *f;
    int rc = hota_image_create_size(p, &size);
    if (rc != HOTA_OK)
        return rc;
    if (!path || !(f = fopen(path, "wb")))
        return HOTA_E_FILE_OPEN;
    rc = hota_image_create_stream(p, to_file, f, res);
    if (fclose(f) != 0 && rc == HOTA_OK)
        rc = HOTA_E_FILE_OPEN;
    if (rc != HOTA_OK)
        remove(path);
    return rc;
}
