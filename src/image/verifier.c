/* Streaming verifier of ESP app images: a table-driven state machine over the byte stream.
 *
 * Every state consumes a known number of bytes (`need`); when they are in, the state's `done`
 * step checks them and moves on. States end exactly at the bytes that decide something (magic,
 * segment count, chip id, app-desc magic, secure_version), so a refusal happens at the earliest
 * byte and feeding one byte at a time gives the same result as one big piece.
 * See docs/internals/image.md for the table. */
#include "hota/image.h"

#include "hota/error.h"
#include "image/verifier_priv.h"
#include "core/bytes.h"

#include <string.h>

#define SIG_BLOCK HOTA_IMAGE_SIG_BLOCK_SIZE
#define SIG_SECTOR HOTA_IMAGE_SIG_SECTOR_SIZE

enum state {
    ST_MAGIC,      /* header byte 0 */
    ST_COUNT,      /* header byte 1: segment_count */
    ST_FLASH,      /* header bytes 2..11: spi mode/speed/size, entry, wp pin, drive */
    ST_CHIP,       /* header bytes 12..13: chip_id */
    ST_HDR_REST,   /* header bytes 14..23: chip revisions, reserved, hash_appended */
    ST_SEG_HDR,    /* 8 bytes: load_addr, data_len */
    ST_DESC_MAGIC, /* segment 0 data 0..3: esp_app_desc_t.magic_word */
    ST_DESC_SV,    /* segment 0 data 4..7: secure_version */
    ST_DESC_REST,  /* segment 0 data 8..255: the rest of esp_app_desc_t */
    ST_SEG_DATA,   /* the (rest of the) segment's data */
    ST_PAD,        /* zero padding up to the checksum byte */
    ST_CHECKSUM,   /* 1 byte at an offset of 15 modulo 16 */
    ST_HASH,       /* 32 bytes: SHA-256 of everything before */
    ST_IMAGE_END,  /* image_len reached; waits for a byte beyond it */
    ST_SIG_PAD,    /* padding up to signed_len */
    ST_SIG_BLOCK,  /* 1216 bytes: signature block 0, 1 or 2 of the 4096-byte sector */
    ST_SIG_REST,   /* the rest of the sector: padding, or the blocks after a missing one */
    ST_DONE,       /* everything in: any further byte is trailing */
    ST_FAILED      /* sticky error */
};

typedef void (*take_fn)(hota_image_verifier_t *v, const uint8_t *b, size_t n);
typedef int (*done_fn)(hota_image_verifier_t *v);

static int sig_required(const hota_image_verifier_t *v)
{
    return v->policy.n_trusted > 0;
}

static void go(hota_image_verifier_t *v, enum state s, uint32_t need)
{
    v->state = (int)s;
    v->need = need;
}

/* A checksum, hash or signature defect: fatal, or recorded under report_all. */
static int defect(hota_image_verifier_t *v, int rc)
{
    if (!v->policy.report_all)
        return rc;
    if (!v->defect)
        v->defect = rc;
    return HOTA_OK;
}

/* ---- take: what a state does with its bytes ---- */

static void take_small(hota_image_verifier_t *v, const uint8_t *b, size_t n)
{
    memcpy(v->small + v->pos, b, n);
    v->pos += (uint32_t)n;
}

static void take_none(hota_image_verifier_t *v, const uint8_t *b, size_t n)
{
    (void)v;
    (void)b;
    (void)n;
}

/* XOR of n bytes into x, eight at a time (a byte-wise loop costs several instructions per
 * byte; XOR is associative, so folding a 64-bit accumulator gives the same byte). */
static uint8_t xor_bytes(uint8_t x, const uint8_t *b, size_t n)
{
    uint64_t acc = 0;
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        uint64_t w;
        memcpy(&w, b + i, 8);
        acc ^= w;
    }
    acc ^= acc >> 32;
    acc ^= acc >> 16;
    acc ^= acc >> 8;
    x ^= (uint8_t)acc;
    for (; i < n; i++)
        x ^= b[i];
    return x;
}

static void take_seg(hota_image_verifier_t *v, const uint8_t *b, size_t n)
{
    v->xsum = xor_bytes(v->xsum, b, n);
    if (v->seg == 0 && v->seg_done < HOTA_APP_DESC_SIZE) {
        size_t k = HOTA_APP_DESC_SIZE - v->seg_done;
        memcpy(v->u.desc_raw + v->seg_done, b, n < k ? n : k);
    }
    v->seg_done += (uint32_t)n;
}

/* The running hashes are over [0, signed_len): complete when the sector's first byte comes. */
static void stop_hashes(hota_image_verifier_t *v)
{
    uint8_t d512[64]; /* mbedtls_sha512_finish_ret's output size; SHA-384 fills 48 bytes */
    hota_sha256_finish(&v->sha, v->u.sig.d256);
    if (v->sha384_on) {
        mbedtls_sha512_finish_ret(&v->sha384, d512);
        memcpy(v->u.sig.d384, d512, sizeof v->u.sig.d384);
    }
}

static void take_block(hota_image_verifier_t *v, const uint8_t *b, size_t n)
{
    if (v->off == v->info.signed_len)
        stop_hashes(v);
    memcpy(v->u.sig.block + v->pos, b, n);
    v->pos += (uint32_t)n;
}

/* ---- done: the checks made when a state's bytes are all in ---- */

static int done_magic(hota_image_verifier_t *v)
{
    if (v->small[0] != HOTA_IMAGE_MAGIC)
        return HOTA_E_IMAGE_MAGIC;
    go(v, ST_COUNT, 1);
    return HOTA_OK;
}

static int done_count(hota_image_verifier_t *v)
{
    uint8_t n = v->small[1];
    if (n == 0 || n > HOTA_IMAGE_MAX_SEGMENTS)
        return HOTA_E_IMAGE_HEADER;
    v->info.segment_count = n;
    go(v, ST_FLASH, 10);
    return HOTA_OK;
}

static int done_flash(hota_image_verifier_t *v)
{
    v->info.spi_mode = v->small[2];
    v->info.spi_speed = v->small[3] & 0x0F;
    v->info.spi_size = v->small[3] >> 4;
    v->info.entry_addr = hota_get_le32(v->small + 4);
    go(v, ST_CHIP, 2);
    return HOTA_OK;
}

static int done_chip(hota_image_verifier_t *v)
{
    v->info.chip_id = hota_get_le16(v->small + 12);
    if (v->policy.chip_id >= 0 && (int)v->info.chip_id != v->policy.chip_id)
        return HOTA_E_IMAGE_CHIP;
    go(v, ST_HDR_REST, 10);
    return HOTA_OK;
}

static int done_header(hota_image_verifier_t *v)
{
    v->info.min_chip_rev_full = hota_get_le16(v->small + 15);
    v->info.max_chip_rev_full = hota_get_le16(v->small + 17);
    if (v->small[23] > 1)
        return HOTA_E_IMAGE_HEADER;
    v->info.hash_appended = v->small[23];
    v->pos = 0;
    go(v, ST_SEG_HDR, HOTA_IMAGE_SEG_HEADER_SIZE);
    return HOTA_OK;
}

/* After the last segment header: where the checksum, hash and signature sector lie. */
static int set_lengths(hota_image_verifier_t *v, uint32_t data_end)
{
    hota_image_info_t *in = &v->info;
    in->image_len = (data_end | 15u) + 1u + (in->hash_appended ? 32u : 0u);
    in->signed_len = (in->image_len + 4095u) & ~4095u;
    in->total_len = in->image_len;
    if (sig_required(v))
        in->total_len = in->signed_len + SIG_SECTOR;
    if (v->policy.max_len && in->total_len > v->policy.max_len)
        return HOTA_E_IMAGE_TOO_LARGE;
    return HOTA_OK;
}

/* Segment 0 is at least as long as esp_app_desc_t: it may hold one. Else it has none. */
static int desc_absent(hota_image_verifier_t *v)
{
    v->desc_decided = 1;
    v->info.has_app_desc = 0;
    return v->policy.require_app_desc ? HOTA_E_NO_APP_DESC : HOTA_OK;
}

static int done_seg_hdr(hota_image_verifier_t *v)
{
    uint32_t len = hota_get_le32(v->small + 4);
    int rc = HOTA_OK;
    if ((len & 3u) || (uint64_t)v->off + len >= HOTA_IMAGE_MAX_LEN)
        return HOTA_E_IMAGE_SEGMENT;
    if (v->policy.max_len && (uint64_t)v->off + len > v->policy.max_len)
        return HOTA_E_IMAGE_TOO_LARGE;
    v->info.segments[v->seg].load_addr = hota_get_le32(v->small);
    v->info.segments[v->seg].length = len;
    v->info.segments[v->seg].offset = v->off;
    v->seg_done = 0;
    if (v->seg + 1u == v->info.segment_count)
        rc = set_lengths(v, v->off + len);
    if (rc == HOTA_OK && v->seg == 0 && len >= HOTA_APP_DESC_SIZE) {
        go(v, ST_DESC_MAGIC, 4);
        return HOTA_OK;
    }
    go(v, ST_SEG_DATA, len);
    if (rc == HOTA_OK && v->seg == 0)
        rc = desc_absent(v);
    return rc;
}

static uint32_t seg_left(const hota_image_verifier_t *v)
{
    return v->info.segments[v->seg].length - v->seg_done;
}

static int done_desc_magic(hota_image_verifier_t *v)
{
    if (hota_get_le32(v->u.desc_raw) != HOTA_APP_DESC_MAGIC) {
        go(v, ST_SEG_DATA, seg_left(v));
        return desc_absent(v);
    }
    go(v, ST_DESC_SV, 4);
    return HOTA_OK;
}

static int done_desc_sv(hota_image_verifier_t *v)
{
    v->info.app.secure_version = hota_get_le32(v->u.desc_raw + 4);
    if (v->info.app.secure_version < v->policy.min_secure_version)
        return HOTA_E_SECURE_VERSION;
    go(v, ST_DESC_REST, HOTA_APP_DESC_SIZE - 8);
    return HOTA_OK;
}

static void copy_str(char *dst, const uint8_t *src, size_t n)
{
    memcpy(dst, src, n);
    dst[n] = '\0';
}

static int done_desc_rest(hota_image_verifier_t *v)
{
    hota_app_desc_t *a = &v->info.app;
    const uint8_t *d = v->u.desc_raw;
    copy_str(a->version, d + 16, 32);
    copy_str(a->project_name, d + 48, 32);
    copy_str(a->time, d + 80, 16);
    copy_str(a->date, d + 96, 16);
    copy_str(a->idf_ver, d + 112, 32);
    memcpy(a->app_elf_sha256, d + 144, 32);
    v->info.has_app_desc = 1;
    v->desc_decided = 1;
    go(v, ST_SEG_DATA, seg_left(v));
    return HOTA_OK;
}

static int done_seg_data(hota_image_verifier_t *v)
{
    if (++v->seg < v->info.segment_count) {
        v->pos = 0;
        go(v, ST_SEG_HDR, HOTA_IMAGE_SEG_HEADER_SIZE);
    } else {
        go(v, ST_PAD, 15u - (v->off & 15u));
    }
    return HOTA_OK;
}

static int done_pad(hota_image_verifier_t *v)
{
    v->pos = 0;
    go(v, ST_CHECKSUM, 1);
    return HOTA_OK;
}

static int done_checksum(hota_image_verifier_t *v)
{
    hota_image_info_t *in = &v->info;
    in->checksum = v->small[0];
    in->checksum_calc = v->xsum;
    in->checksum_valid = in->checksum == in->checksum_calc;
    if (in->hash_appended) {
        hota_sha256_peek(&v->sha, v->u.hash_calc);
        v->pos = 0;
        go(v, ST_HASH, 32);
    } else {
        go(v, ST_IMAGE_END, 0);
    }
    return in->checksum_valid ? HOTA_OK : defect(v, HOTA_E_IMAGE_CHECKSUM);
}

static int done_hash(hota_image_verifier_t *v)
{
    memcpy(v->info.hash, v->small, 32);
    v->info.hash_valid = !memcmp(v->info.hash, v->u.hash_calc, 32);
    go(v, ST_IMAGE_END, 0);
    return v->info.hash_valid ? HOTA_OK : defect(v, HOTA_E_IMAGE_HASH);
}

/* A byte beyond image_len arrived: a signature sector follows the padding. */
static int begin_sig(hota_image_verifier_t *v)
{
    hota_image_info_t *in = &v->info;
    in->total_len = in->signed_len + SIG_SECTOR;
    if (v->policy.max_len && in->total_len > v->policy.max_len)
        return HOTA_E_IMAGE_TOO_LARGE;
    go(v, ST_SIG_PAD, in->signed_len - in->image_len);
    return HOTA_OK;
}

static int done_sig_pad(hota_image_verifier_t *v)
{
    v->pos = 0;
    go(v, ST_SIG_BLOCK, SIG_BLOCK);
    return HOTA_OK;
}

/* A whole block is in: parse, verify and record it in info.sigs[] (info.sig_count follows at
 * the sector's end). Once a block is missing, or after the last one, the rest of the sector is
 * only counted. */
static int done_sig_block(hota_image_verifier_t *v)
{
    uint32_t in_sector = v->off - v->info.signed_len; /* this block's end */
    const uint8_t *d384 = v->sha384_on ? v->u.sig.d384 : NULL;
    int found = hota_image_sig_block(v, v->sig_blocks, v->u.sig.block, v->u.sig.d256, d384) ==
                HOTA_OK;
    v->sig_blocks += found ? 1 : 0;
    v->pos = 0;
    if (found && in_sector / SIG_BLOCK < HOTA_SBV2_MAX_BLOCKS)
        go(v, ST_SIG_BLOCK, SIG_BLOCK);
    else
        go(v, ST_SIG_REST, SIG_SECTOR - in_sector);
    return HOTA_OK;
}

/* The sector's last byte: the verdict on the recorded blocks. */
static int done_sig_rest(hota_image_verifier_t *v)
{
    int first_err = HOTA_OK, rc;
    v->info.sig_count = v->sig_blocks;
    rc = hota_image_sig_verdict(v, &first_err);
    go(v, ST_DONE, 0);
    if (sig_required(v))
        return rc;
    /* Not required: a bad block is reported only under report_all. */
    return first_err && v->policy.report_all ? defect(v, first_err) : HOTA_OK;
}

struct step {
    take_fn take;
    done_fn done;
    uint8_t hashed; /* bytes of this state are part of [0, signed_len) */
};

static const struct step steps[] = {
    [ST_MAGIC] = {take_small, done_magic, 1},
    [ST_COUNT] = {take_small, done_count, 1},
    [ST_FLASH] = {take_small, done_flash, 1},
    [ST_CHIP] = {take_small, done_chip, 1},
    [ST_HDR_REST] = {take_small, done_header, 1},
    [ST_SEG_HDR] = {take_small, done_seg_hdr, 1},
    [ST_DESC_MAGIC] = {take_seg, done_desc_magic, 1},
    [ST_DESC_SV] = {take_seg, done_desc_sv, 1},
    [ST_DESC_REST] = {take_seg, done_desc_rest, 1},
    [ST_SEG_DATA] = {take_seg, done_seg_data, 1},
    [ST_PAD] = {take_none, done_pad, 1},
    [ST_CHECKSUM] = {take_small, done_checksum, 1},
    [ST_HASH] = {take_small, done_hash, 1},
    [ST_IMAGE_END] = {NULL, begin_sig, 0},
    [ST_SIG_PAD] = {take_none, done_sig_pad, 1},
    [ST_SIG_BLOCK] = {take_block, done_sig_block, 0},
    [ST_SIG_REST] = {take_none, done_sig_rest, 0},
    [ST_DONE] = {NULL, NULL, 0},
    [ST_FAILED] = {NULL, NULL, 0},
};

/* Run `done` steps while the current state needs no more bytes (zero-length segments, no
 * padding, a full block). ST_IMAGE_END waits for a byte; ST_DONE and ST_FAILED are final. */
static int settle(hota_image_verifier_t *v)
{
    while (v->need == 0 && v->state != ST_IMAGE_END && v->state < ST_DONE) {
        int rc = steps[v->state].done(v);
        if (rc)
            return rc;
    }
    return HOTA_OK;
}

static void consume(hota_image_verifier_t *v, const uint8_t *b, size_t n)
{
    const struct step *s = &steps[v->state];
    if (s->hashed) {
        hota_sha256_update(&v->sha, b, n);
        if (v->sha384_on)
            mbedtls_sha512_update_ret(&v->sha384, b, n);
    }
    s->take(v, b, n);
    v->off += (uint32_t)n;
    v->need -= (uint32_t)n;
    v->info.parsed_len = v->off;
}

static int fail(hota_image_verifier_t *v, int rc)
{
    v->err = rc;
    v->state = ST_FAILED;
    return rc;
}

void hota_image_verifier_init(hota_image_verifier_t *v, const hota_image_policy_t *p)
{
    memset(v, 0, sizeof *v);
    v->policy.chip_id = -1;
    if (p)
        v->policy = *p;
    hota_sha256_init(&v->sha);
    mbedtls_sha512_init(&v->sha384);
    v->sha384_on = v->policy.want_sha384 || v->policy.chip_id < 0 || v->policy.report_all;
    if (v->sha384_on)
        mbedtls_sha512_starts_ret(&v->sha384, 1);
    v->xsum = 0xEF; /* ESP_ROM_CHECKSUM_INITIAL */
    go(v, ST_MAGIC, 1);
}

void hota_image_verifier_free(hota_image_verifier_t *v)
{
    if (!v)
        return;
    hota_sha256_free(&v->sha);
    mbedtls_sha512_free(&v->sha384);
}

int hota_image_verifier_feed(hota_image_verifier_t *v, const uint8_t *buf, size_t len)
{
    if (v->err)
        return v->err;
    if (!buf && len)
        return HOTA_E_INVALID_ARG;
    while (len) {
        int rc;
        if (v->state == ST_DONE) {
            rc = HOTA_E_IMAGE_TRAILING;
        } else if (v->state == ST_IMAGE_END) {
            rc = begin_sig(v);
        } else {
            size_t n = len < v->need ? len : v->need;
            consume(v, buf, n);
            buf += n;
            len -= n;
            rc = HOTA_OK;
        }
        if (rc == HOTA_OK)
            rc = settle(v);
        if (rc)
            return fail(v, rc);
    }
    return HOTA_OK;
}

int hota_image_verifier_app_desc_ready(const hota_image_verifier_t *v)
{
    return v->desc_decided;
}

int hota_image_verifier_is_complete(const hota_image_verifier_t *v)
{
    return v->state == ST_DONE || (v->state == ST_IMAGE_END && !sig_required(v));
}

uint32_t hota_image_verifier_wanted(const hota_image_verifier_t *v)
{
    if (v->state >= ST_IMAGE_END)
        return 0;
    return v->info.image_len ? v->info.image_len - v->off : v->need;
}

int hota_image_verifier_finish(hota_image_verifier_t *v)
{
    if (v->err)
        return v->err;
    if (v->defect)
        return v->defect;
    if (v->state == ST_DONE)
        return HOTA_OK;
    if (v->state == ST_IMAGE_END)
        return sig_required(v) ? HOTA_E_SIG_MISSING : HOTA_OK;
    return HOTA_E_IMAGE_TRUNCATED;
}

int hota_image_verifier_digest(const hota_image_verifier_t *v, uint8_t out[32])
{
    if (v->err)
        return v->err;
    if (v->state > ST_SIG_PAD && v->off > v->info.signed_len)
        return HOTA_E_BAD_STATE; /* the running hash stopped at signed_len */
    hota_sha256_peek(&v->sha, out);
    return HOTA_OK;
}

const hota_image_info_t *hota_image_verifier_info(const hota_image_verifier_t *v)
{
    return &v->info;
}
