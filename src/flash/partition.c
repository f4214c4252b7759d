/* The ESP-IDF partition table: binary form, verification, look-ups, flash I/O. */
#include "hota/partition.h"

#include "hota/error.h"
#include "core/bytes.h"

#include <mbedtls/md5.h>
#include <string.h>

#define MD5_LEN 16u

static const uint8_t part_magic[2] = {0xAA, 0x50};
static const uint8_t md5_magic[2] = {0xEB, 0xEB};

/* ---- helpers ---------------------------------------------------------------------------- */

static int all_ff(const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (p[i] != 0xFF)
            return 0;
    return 1;
}

/* ---- verification ----------------------------------------------------------------------- */

static int verify_one(const hota_partition_t *p)
{
    uint32_t align = p->type == HOTA_PART_TYPE_APP ? HOTA_PART_ALIGN_APP : HOTA_PART_ALIGN_DATA;
    if (p->offset % align != 0)
        return HOTA_E_PART_ALIGN;
    if (p->type == HOTA_PART_TYPE_APP && p->size % HOTA_PART_ALIGN_DATA != 0)
        return HOTA_E_PART_ALIGN;
    if (p->type == HOTA_PART_TYPE_DATA && (p->flags & HOTA_PART_FLAG_READONLY) &&
        (p->subtype == HOTA_PART_SUBTYPE_DATA_OTA ||
         p->subtype == HOTA_PART_SUBTYPE_DATA_COREDUMP))
        return HOTA_E_PART_TABLE; /* always read-write */
    if (p->type == HOTA_PART_TYPE_DATA && p->subtype == HOTA_PART_SUBTYPE_DATA_NVS &&
        !(p->flags & HOTA_PART_FLAG_READONLY) && p->size < HOTA_PART_NVS_RW_MIN)
        return HOTA_E_PART_TABLE;
    return HOTA_OK;
}

static int verify_labels_otadata(const hota_part_table_t *t)
{
    unsigned otadata = 0;
    for (unsigned i = 0; i < t->count; i++) {
        const hota_partition_t *p = &t->part[i];
        for (unsigned j = i + 1; j < t->count; j++)
            if (strcmp(p->label, t->part[j].label) == 0)
                return HOTA_E_PART_TABLE;
        if (p->type == HOTA_PART_TYPE_DATA && p->subtype == HOTA_PART_SUBTYPE_DATA_OTA) {
            if (++otadata > 1 || p->size != HOTA_PART_OTADATA_SIZE)
                return HOTA_E_PART_TABLE;
        }
    }
    return HOTA_OK;
}

/* Stable sort of indices by offset (table order among equal offsets). */
static void sort_by_offset(const hota_part_table_t *t, unsigned *idx)
{
    for (unsigned i = 0; i < t->count; i++) {
        unsigned j = i;
        while (j > 0 && t->part[idx[j - 1]].offset > t->part[i].offset) {
            idx[j] = idx[j - 1];
            j--;
        }
        idx[j] = i;
    }
}

static int verify_layout(const hota_part_table_t *t, uint32_t flash_size)
{
    unsigned idx[HOTA_PART_MAX_ENTRIES];
    const hota_partition_t *last = NULL;
    sort_by_offset(t, idx);
    for (unsigned i = 0; i < t->count; i++) {
        const hota_partition_t *p = &t->part[idx[i]];
        uint64_t end = (uint64_t)p->offset + p->size;
        if (p->offset < HOTA_PART_FIRST_OFFSET)
            return HOTA_E_PART_OVERLAP;
        if (last && p->offset < (uint64_t)last->offset + last->size)
            return HOTA_E_PART_OVERLAP;
        if (flash_size != 0 && end > flash_size)
            return HOTA_E_FLASH_RANGE;
        last = p;
    }
    return HOTA_OK;
}

int hota_part_verify(const hota_part_table_t *t, uint32_t flash_size)
{
    int rc;
    if (!t)
        return HOTA_E_INVALID_ARG;
    if (t->count == 0 || t->count > HOTA_PART_MAX_ENTRIES)
        return HOTA_E_PART_TABLE;
    for (unsigned i = 0; i < t->count; i++) {
        rc = verify_one(&t->part[i]);
        if (rc != HOTA_OK)
            return rc;
    }
    rc = verify_labels_otadata(t);
    if (rc != HOTA_OK)
        return rc;
    return verify_layout(t, flash_size);
}

/* ---- binary form ------------------------------------------------------------------------ */

static void entry_decode(const uint8_t *e, hota_partition_t *p)
{
    memset(p, 0, sizeof *p);
    p->type = e[2];
    p->subtype = e[3];
    p->offset = hota_get_le32(e + 4);
    p->size = hota_get_le32(e + 8);
    memcpy(p->label, e + 12, strnlen((const char *)e + 12, 16)); /* up to the first NUL */
    p->flags = hota_get_le32(e + 28);
}

static void entry_encode(const hota_partition_t *p, uint8_t *e)
{
    memcpy(e, part_magic, 2);
    e[2] = p->type;
    e[3] = p->subtype;
    hota_put_le32(e + 4, p->offset);
    hota_put_le32(e + 8, p->size);
    memset(e + 12, 0, 16);
    memcpy(e + 12, p->label, strnlen(p->label, 16));
    hota_put_le32(e + 28, p->flags);
}

static int md5_entry_check(const uint8_t *bin, size_t off)
{
    uint8_t sum[MD5_LEN];
    if (mbedtls_md5_ret(bin, off, sum) != 0)
        return HOTA_E_INTERNAL;
    return memcmp(bin + off + MD5_LEN, sum, MD5_LEN) == 0 ? HOTA_OK : HOTA_E_PART_MD5;
}

/* Walk the entries; *off ends at the end marker (or at len when the data ran out). */
static int parse_entries(const uint8_t *bin, size_t len, hota_part_table_t *t, size_t *off)
{
    for (*off = 0; *off < len; *off += HOTA_PART_ENTRY_SIZE) {
        const uint8_t *e = bin + *off;
        if (all_ff(e, HOTA_PART_ENTRY_SIZE))
            return HOTA_OK;
        if (memcmp(e, md5_magic, 2) == 0) {
            int rc = md5_entry_check(bin, *off);
            if (rc != HOTA_OK)
                return rc;
            t->has_md5 = 1;
            *off += HOTA_PART_ENTRY_SIZE;
            if (*off < len && !all_ff(bin + *off, HOTA_PART_ENTRY_SIZE))
                return HOTA_E_PART_TABLE; /* entries after the checksum */
            return HOTA_OK;
        }
        if (memcmp(e, part_magic, 2) != 0)
            return HOTA_E_PART_MAGIC;
        if (t->count >= HOTA_PART_MAX_ENTRIES)
            return HOTA_E_PART_TABLE;
        entry_decode(e, &t->part[t->count++]);
    }
    return HOTA_OK;
}

int hota_part_parse(const uint8_t *bin, size_t len, hota_part_table_t *t)
{
    int rc = HOTA_E_INVALID_ARG;
    size_t off = 0;
    if (!t)
        return HOTA_E_INVALID_ARG;
    memset(t, 0, sizeof *t);
    if (!bin && len)
        goto out;
    rc = HOTA_E_PART_TABLE;
    if (len % HOTA_PART_ENTRY_SIZE != 0)
        goto out;
    if (len > HOTA_PART_TABLE_MAX)
        len = HOTA_PART_TABLE_MAX;
    rc = parse_entries(bin, len, t, &off);
    if (rc == HOTA_OK && off >= HOTA_PART_TABLE_MAX)
        rc = HOTA_E_PART_TABLE; /* the whole region and no end marker */
    if (rc == HOTA_OK)
        rc = hota_part_verify(t, 0);
out:
    if (rc != HOTA_OK)
        memset(t, 0, sizeof *t);
    return rc;
}

int hota_part_to_bin(const hota_part_table_t *t, uint8_t out[HOTA_PART_TABLE_MAX])
{
    size_t off = 0;
    if (!t || !out)
        return HOTA_E_INVALID_ARG;
    if (((size_t)t->count + 1) * HOTA_PART_ENTRY_SIZE >= HOTA_PART_TABLE_MAX)
        return HOTA_E_PART_TABLE;
    memset(out, 0xFF, HOTA_PART_TABLE_MAX);
    for (unsigned i = 0; i < t->count; i++, off += HOTA_PART_ENTRY_SIZE)
        entry_encode(&t->part[i], out + off);
    memcpy(out + off, md5_magic, 2);
    if (mbedtls_md5_ret(out, off, out + off + MD5_LEN) != 0)
        return HOTA_E_INTERNAL;
    return HOTA_OK;
}

/* ---- look-ups --------------------------------------------------------------------------- */

const hota_partition_t *hota_part_find_label(const hota_part_table_t *t, const char *label)
{
    if (!t || !label)
        return NULL;
    for (unsigned i = 0; i < t->count && i < HOTA_PART_MAX_ENTRIES; i++)
        if (strcmp(t->part[i].label, label) == 0)
            return &t->part[i];
    return NULL;
}

const hota_partition_t *hota_part_find(const hota_part_table_t *t, uint8_t type, uint8_t subtype)
{
    if (!t)
        return NULL;
    for (unsigned i = 0; i < t->count && i < HOTA_PART_MAX_ENTRIES; i++)
        if (t->part[i].type == type && t->part[i].subtype == subtype)
            return &t->part[i];
    return NULL;
}

static int is_ota_slot(const hota_partition_t *p)
{
    return p->type == HOTA_PART_TYPE_APP && p->subtype >= HOTA_PART_SUBTYPE_OTA_0 &&
           p->subtype < HOTA_PART_SUBTYPE_OTA_0 + HOTA_PART_SUBTYPE_OTA_MAX;
}

unsigned hota_part_ota_count(const hota_part_table_t *t)
{
    unsigned n = 0;
    for (unsigned i = 0; t && i < t->count && i < HOTA_PART_MAX_ENTRIES; i++)
        n += is_ota_slot(&t->part[i]) ? 1u : 0u;
    return n;
}

const hota_partition_t *hota_part_ota_slot(const hota_part_table_t *t, unsigned n)
{
    if (n >= HOTA_PART_SUBTYPE_OTA_MAX)
        return NULL;
    return hota_part_find(t, HOTA_PART_TYPE_APP, (uint8_t)(HOTA_PART_SUBTYPE_OTA_0 + n));
}

/* ---- flash I/O -------------------------------------------------------------------------- */

int hota_part_read(hota_flash_t *f, hota_part_table_t *t)
{
    uint8_t bin[HOTA_PART_TABLE_MAX];
    if (!f || !t)
        return HOTA_E_INVALID_ARG;
    memset(t, 0, sizeof *t);
    int rc = hota_flash_read(f, HOTA_PART_TABLE_OFFSET, bin, sizeof bin);
    if (rc == HOTA_OK)
        rc = hota_part_parse(bin, sizeof bin, t);
    if (rc == HOTA_OK)
        rc = hota_part_verify(t, hota_flash_size(f));
    if (rc != HOTA_OK)
        memset(t, 0, sizeof *t);
    return rc;
}

int hota_part_write(hota_flash_t *f, const hota_part_table_t *t)
{
    uint8_t bin[HOTA_PART_TABLE_MAX];
    if (!f || !t)
        return HOTA_E_INVALID_ARG;
    int rc = hota_part_verify(t, hota_flash_size(f));
    if (rc == HOTA_OK)
        rc = hota_part_to_bin(t, bin);
    if (rc == HOTA_OK)
        rc = hota_flash_erase(f, HOTA_PART_TABLE_OFFSET, HOTA_FLASH_SECTOR_SIZE);
    if (rc == HOTA_OK)
        rc = hota_flash_write(f, HOTA_PART_TABLE_OFFSET, bin, sizeof bin);
    return rc;
}
