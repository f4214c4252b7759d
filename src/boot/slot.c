/* esp_ota_ops semantics on a simulated device: writing a slot, otadata updates, rollback. */
#include "hota/slot.h"

#include "hota/error.h"
#include "hota/check64.h"

#include <string.h>

#define IMAGE_MAGIC_BYTE 0xE9u
#define SECTOR HOTA_FLASH_SECTOR_SIZE

int hota_slot_next_update(const hota_device_t *d, int *slot)
{
    int next_is_result = 0, first = HOTA_SLOT_NONE;
    for (int s = 0; s < (int)HOTA_OTA_MAX_SLOTS; s++) {
        if (!hota_device_slot_part(d, s))
            continue;
        if (first == HOTA_SLOT_NONE)
            first = s;
        if (s == d->efuse.running) {
            next_is_result = 1;
        } else if (next_is_result) {
            *slot = s;
            return HOTA_OK;
        }
    }
    *slot = first;
    return first == HOTA_SLOT_NONE ? HOTA_E_NO_OTA_SLOTS : HOTA_OK;
}

/* Both otadata copies, refused when neither is blank nor CRC-correct. */
static int read_sane(hota_device_t *d, hota_otadata_entry_t e[2])
{
    int rc;
    if (d->n_ota == 0 || !d->otadata)
        return HOTA_E_NO_OTA_SLOTS;
    rc = hota_device_read_otadata(d, e);
    if (rc == HOTA_OK && !hota_otadata_sane(e))
        rc = HOTA_E_OTADATA;
    return rc;
}

static int state_of(const hota_device_t *d, const hota_otadata_entry_t e[2], int slot,
                    uint32_t *state)
{
    int a = hota_otadata_active(e);
    if (a >= 0 && hota_otadata_slot(&e[a], d->n_ota) == slot) {
        *state = e[a].state;
        return HOTA_OK;
    }
    for (int i = 0; i < 2; i++)
        if (hota_otadata_crc_ok(&e[i]) && hota_otadata_slot(&e[i], d->n_ota) == slot) {
            *state = e[i].state;
            return HOTA_OK;
        }
    return HOTA_E_NOT_FOUND;
}

int hota_slot_get_state(hota_device_t *d, int slot, uint32_t *state)
{
    hota_otadata_entry_t e[2];
    int rc = read_sane(d, e);
    if (rc != HOTA_OK)
        return rc;
    return slot < 0 ? HOTA_E_NOT_FOUND : state_of(d, e, slot, state);
}

static int check_begin(hota_device_t *d, int slot)
{
    hota_otadata_entry_t e[2];
    uint32_t st;
    int rc = read_sane(d, e);
    if (rc != HOTA_OK)
        return rc;
    if (slot < 0 || !hota_device_slot_part(d, slot))
        return HOTA_E_PART_NOT_FOUND;
    if (slot == d->efuse.running)
        return HOTA_E_RUNNING_SLOT;
    if ((d->efuse.flags & HOTA_EFUSE_ROLLBACK) && d->efuse.running >= 0 &&
        state_of(d, e, d->efuse.running, &st) == HOTA_OK &&
        st == HOTA_OTA_STATE_PENDING_VERIFY)
        return HOTA_E_PENDING_VERIFY;
    return HOTA_OK;
}

static void mark_erased(hota_slot_writer_t *w, uint32_t sector)
{
    w->erased[sector / 32u] |= 1u << (sector % 32u);
}

static int is_erased(const hota_slot_writer_t *w, uint32_t sector)
{
    return (w->erased[sector / 32u] >> (sector % 32u)) & 1u;
}

/* Erase every not-yet-erased sector of [off, off + len) of the slot. */
static int erase_range(hota_slot_writer_t *w, uint32_t off, uint32_t len)
{
    uint32_t first = off / SECTOR, last = (off + len + SECTOR - 1) / SECTOR;
    for (uint32_t s = first; s < last; s++) {
        int rc;
        if (is_erased(w, s))
            continue;
        rc = hota_flash_erase(&w->dev->flash, w->part->offset + s * SECTOR, SECTOR);
        if (rc != HOTA_OK)
            return rc;
        mark_erased(w, s);
    }
    return HOTA_OK;
}

int hota_slot_begin(hota_slot_writer_t *w, hota_device_t *d, int slot, uint32_t image_size)
{
    int rc;
    memset(w, 0, sizeof *w);
    if (slot == HOTA_SLOT_NONE && (rc = hota_slot_next_update(d, &slot)) != HOTA_OK)
        return rc;
    rc = check_begin(d, slot);
    if (rc != HOTA_OK)
        return rc;
    w->dev = d;
    w->slot = slot;
    w->part = hota_device_slot_part(d, slot);
    if (w->part->size > HOTA_SLOT_MAX_SIZE || w->part->size % SECTOR)
        return HOTA_E_IMAGE_TOO_LARGE;
    if (image_size == HOTA_SLOT_SIZE_UNKNOWN)
        image_size = w->part->size;
    if (image_size != HOTA_SLOT_SIZE_SEQUENTIAL) {
        if (image_size > w->part->size)
            return HOTA_E_IMAGE_TOO_LARGE;
        rc = erase_range(w, 0, image_size);
        if (rc != HOTA_OK)
            return rc;
    }
    w->begun = 1;
    return HOTA_OK;
}

int hota_slot_resume(hota_slot_writer_t *w, uint32_t n_written)
{
    if (!w->begun)
        return HOTA_E_OTA_NOT_BEGUN;
    if (w->written_end)
        return HOTA_E_BAD_STATE;
    if (n_written % SECTOR)
        return HOTA_E_INVALID_ARG;
    if (n_written > w->part->size)
        return HOTA_E_IMAGE_TOO_LARGE;
    for (uint32_t s = 0; s < n_written / SECTOR; s++)
        mark_erased(w, s);
    w->written_end = n_written;
    return HOTA_OK;
}

int hota_slot_write_with_offset(hota_slot_writer_t *w, uint32_t offset, const void *buf,
                                size_t len)
{
    int rc;
    if (!w->begun)
        return HOTA_E_OTA_NOT_BEGUN;
    if (len == 0)
        return HOTA_OK;
    if (offset > w->part->size || len > w->part->size - offset)
        return HOTA_E_IMAGE_TOO_LARGE;
    if (offset == 0 && ((const uint8_t *)buf)[0] != IMAGE_MAGIC_BYTE)
        return HOTA_E_IMAGE_MAGIC;
    rc = erase_range(w, offset, (uint32_t)len);
    if (rc == HOTA_OK)
        rc = hota_flash_write(&w->dev->flash, w->part->offset + offset, buf, len);
    if (rc == HOTA_OK && offset + len > w->written_end)
        w->written_end = offset + (uint32_t)len;
    return rc;
}

int hota_slot_write(hota_slot_writer_t *w, const void *buf, size_t len)
{
    if (!w->begun)
        return HOTA_E_OTA_NOT_BEGUN;
    return hota_slot_write_with_offset(w, w->written_end, buf, len);
}

int hota_slot_end(hota_slot_writer_t *w, hota_image_info_t *info)
{
    int rc;
    if (!w->begun)
        return HOTA_E_OTA_NOT_BEGUN;
    w->begun = 0;
    rc = hota_device_verify_slot(w->dev, w->slot, 1, info);
    return rc;
}

void hota_slot_abort(hota_slot_writer_t *w)
{
    w->begun = 0;
}

/* esp_rewrite_ota_data: the smallest seq >= the active one with (seq - 1) % n == slot. */
static uint32_t next_seq(const hota_otadata_entry_t *active, unsigned n, int slot)
{
    uint32_t base = ((uint32_t)slot + 1u) % n, i = 0;
    if (!active)
        return (uint32_t)slot + 1u;
    while (active->seq > base + i * n)
        i++;
    return base + i * n;
}

static int set_boot_ota(hota_device_t *d, int slot)
{
    hota_otadata_entry_t e[2];
    int rc = read_sane(d, e), a, next;
    if (rc != HOTA_OK)
        return rc;
    a = hota_otadata_active(e);
    next = a < 0 ? 0 : 1 - a;
    e[next].seq = next_seq(a < 0 ? NULL : &e[a], d->n_ota, slot);
    e[next].state = (d->efuse.flags & HOTA_EFUSE_ROLLBACK) ? HOTA_OTA_STATE_NEW
                                                           : HOTA_OTA_STATE_UNDEFINED;
    e[next].crc = hota_otadata_crc(e[next].seq);
    return hota_otadata_write(&d->flash, d->otadata->offset, (unsigned)next, &e[next]);
}

int hota_slot_set_boot(hota_device_t *d, int slot)
{
    hota_image_info_t info;
    int rc;
    if (d->n_ota == 0 || !d->otadata)
        return HOTA_E_NO_OTA_SLOTS;
    if (!hota_device_slot_part(d, slot))
        return HOTA_E_PART_NOT_FOUND;
    rc = hota_device_verify_slot(d, slot, 1, &info);
    if (rc != HOTA_OK)
        return rc;
    if (slot == HOTA_SLOT_FACTORY)
        return hota_flash_erase(&d->flash, d->otadata->offset, d->otadata->size);
    return set_boot_ota(d, slot);
}

/* Read [0, len) of the slot back through buf and compare its check value with `check`. */
static int readback_matches(hota_device_t *d, const hota_partition_t *p, uint32_t len,
                            uint64_t check, uint8_t *buf, size_t cap)
{
    hota_check64_t c;
    int rc = HOTA_E_FLASH_READBACK;
    hota_check64_init(&c);
    for (uint32_t off = 0; off < len;) {
        size_t n = len - off < cap ? len - off : cap;
        int r = hota_flash_read(&d->flash, p->offset + off, buf, n);
        if (r != HOTA_OK) {
            rc = r;
            goto out;
        }
        hota_check64_update(&c, buf, n);
        off += (uint32_t)n;
    }
    if (hota_check64_value(&c) == check)
        rc = HOTA_OK;
out:
    return rc;
}

int hota_slot_set_boot_written(hota_device_t *d, int slot, uint32_t len, uint64_t check,
                               uint8_t *buf, size_t cap)
{
    const hota_partition_t *p;
    int rc = HOTA_E_INVALID_ARG;
    if (!d || !buf || cap == 0 || len == 0)
        goto out;
    rc = HOTA_E_NO_OTA_SLOTS;
    if (d->n_ota == 0 || !d->otadata)
        goto out;
    rc = HOTA_E_PART_NOT_FOUND;
    p = hota_device_slot_part(d, slot);
    if (!p || slot == HOTA_SLOT_FACTORY)
        goto out;
    rc = HOTA_E_INVALID_ARG;
    if (len > p->size)
        goto out;
    rc = readback_matches(d, p, len, check, buf, cap);
    if (rc == HOTA_OK)
        rc = set_boot_ota(d, slot);
out:
    return rc;
}

int hota_slot_boot_slot(hota_device_t *d, int *slot)
{
    hota_boot_result_t res;
    int rc = hota_device_boot(d, 0, &res);
    *slot = res.slot;
    return rc == HOTA_E_NO_BOOTABLE ? HOTA_OK : rc;
}
