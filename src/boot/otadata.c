/* otadata entries: encoding, CRC, selection, read and write. */
#include "hota/otadata.h"

#include "hota/error.h"
#include "core/bytes.h"

#include <string.h>

uint32_t hota_otadata_crc(uint32_t seq)
{
    uint8_t b[4];
    hota_put_le32(b, seq);
    return hota_crc32_le(UINT32_MAX, b, sizeof b);
}

void hota_otadata_make(hota_otadata_entry_t *e, uint32_t seq, uint32_t state)
{
    memset(e->label, 0xFF, sizeof e->label);
    e->seq = seq;
    e->state = state;
    e->crc = hota_otadata_crc(seq);
}

void hota_otadata_decode(const uint8_t in[HOTA_OTADATA_ENTRY_SIZE], hota_otadata_entry_t *e)
{
    e->seq = hota_get_le32(in);
    memcpy(e->label, in + 4, sizeof e->label);
    e->state = hota_get_le32(in + 24);
    e->crc = hota_get_le32(in + 28);
}

void hota_otadata_encode(const hota_otadata_entry_t *e, uint8_t out[HOTA_OTADATA_ENTRY_SIZE])
{
    hota_put_le32(out, e->seq);
    memcpy(out + 4, e->label, sizeof e->label);
    hota_put_le32(out + 24, e->state);
    hota_put_le32(out + 28, e->crc);
}

int hota_otadata_crc_ok(const hota_otadata_entry_t *e)
{
    return e->seq != UINT32_MAX && e->crc == hota_otadata_crc(e->seq);
}

int hota_otadata_valid(const hota_otadata_entry_t *e)
{
    return hota_otadata_crc_ok(e) && e->state != HOTA_OTA_STATE_INVALID &&
           e->state != HOTA_OTA_STATE_ABORTED;
}

int hota_otadata_blank(const hota_otadata_entry_t *e)
{
    uint8_t b[HOTA_OTADATA_ENTRY_SIZE];
    hota_otadata_encode(e, b);
    for (size_t i = 0; i < sizeof b; i++)
        if (b[i] != 0xFF)
            return 0;
    return 1;
}

int hota_otadata_select(const hota_otadata_entry_t e[2], const int valid[2])
{
    if (valid[0] && valid[1])
        return e[1].seq > e[0].seq ? 1 : 0;
    if (valid[0])
        return 0;
    return valid[1] ? 1 : -1;
}

int hota_otadata_active(const hota_otadata_entry_t e[2])
{
    int valid[2] = {hota_otadata_valid(&e[0]), hota_otadata_valid(&e[1])};
    return hota_otadata_select(e, valid);
}

int hota_otadata_sane(const hota_otadata_entry_t e[2])
{
    for (int i = 0; i < 2; i++)
        if (hota_otadata_blank(&e[i]) || hota_otadata_crc_ok(&e[i]))
            return 1;
    return 0;
}

int hota_otadata_slot(const hota_otadata_entry_t *e, unsigned n_slots)
{
    if (n_slots == 0)
        return -1;
    return (int)((e->seq - 1u) % n_slots);
}

const char *hota_otadata_state_name(uint32_t state)
{
    static const char *const names[] = {"NEW", "PENDING_VERIFY", "VALID", "INVALID", "ABORTED"};
    if (state == HOTA_OTA_STATE_UNDEFINED)
        return "UNDEFINED";
    return state < sizeof names / sizeof names[0] ? names[state] : "UNKNOWN";
}

int hota_otadata_read(hota_flash_t *f, uint32_t addr, hota_otadata_entry_t e[2])
{
    uint8_t b[HOTA_OTADATA_ENTRY_SIZE];
    for (unsigned i = 0; i < 2; i++) {
        int rc = hota_flash_read(f, addr + i * HOTA_OTADATA_SECTOR, b, sizeof b);
        if (rc != HOTA_OK)
            return rc;
        hota_otadata_decode(b, &e[i]);
    }
    return HOTA_OK;
}

int hota_otadata_write(hota_flash_t *f, uint32_t addr, unsigned idx,
                       const hota_otadata_entry_t *e)
{
    uint8_t b[HOTA_OTADATA_ENTRY_SIZE];
    uint32_t sector = addr + idx * HOTA_OTADATA_SECTOR;
    int rc;
    if (idx > 1)
        return HOTA_E_INVALID_ARG;
    hota_otadata_encode(e, b);
    rc = hota_flash_erase(f, sector, HOTA_OTADATA_SECTOR);
    if (rc != HOTA_OK)
        return rc;
    return hota_flash_write(f, sector, b, sizeof b);
}
