/* Fuzz target: otadata decoding and the bootloader's slot choice (hota_boot_decide).
 *
 * Input: two 32-byte otadata entries as stored in flash, then the shape and verdicts:
 *   byte: n_ota (0..17; 17 must be refused), byte: bits 0 has_factory, 1 rollback,
 *   2 anti_rollback; u32 eFuse secure_version (low 3 bits used); per slot (factory first,
 *   then ota 0..15): one byte, bit 0 verifies, bits 1-3 secure_version.
 * Properties: encode(decode(x)) == x; the chosen slot exists and is bootable (verifies, and
 * with anti-rollback its secure_version is not below the eFuse value); writes target copies
 * 0/1 and `after` equals the input entries with the writes applied; the eFuse only rises;
 * deciding again from `after` is stable (same slot, no further state change of the slot). */
#include "fuzz_util.h"

#include "hota/bootsim.h"
#include "hota/error.h"
#include "hota/otadata.h"

#include <string.h>

static void read_entries(fuzz_in_t *in, hota_boot_input_t *b)
{
    for (unsigned i = 0; i < 2; i++) {
        uint8_t raw[HOTA_OTADATA_ENTRY_SIZE], back[HOTA_OTADATA_ENTRY_SIZE];
        for (unsigned k = 0; k < sizeof raw; k++)
            raw[k] = fuzz_u8(in);
        hota_otadata_decode(raw, &b->entry[i]);
        hota_otadata_encode(&b->entry[i], back);
        FUZZ_ASSERT(!memcmp(raw, back, sizeof raw));
        FUZZ_ASSERT(!hota_otadata_valid(&b->entry[i]) || hota_otadata_crc_ok(&b->entry[i]));
    }
}

static void read_input(fuzz_in_t *in, hota_boot_input_t *b)
{
    uint8_t bits;
    memset(b, 0, sizeof *b);
    read_entries(in, b);
    b->n_ota = fuzz_u8(in) % 18;
    bits = fuzz_u8(in);
    b->has_factory = bits & 1;
    b->rollback = (bits >> 1) & 1;
    b->anti_rollback = (bits >> 2) & 1;
    b->efuse_secure_version = fuzz_u32(in) & 7;
    for (unsigned i = 0; i <= HOTA_OTA_MAX_SLOTS; i++) {
        uint8_t a = fuzz_u8(in);
        hota_boot_app_t *app = i == 0 ? &b->factory : &b->ota[i - 1];
        app->verifies = a & 1;
        app->secure_version = (a >> 1) & 7;
    }
}

static const hota_boot_app_t *app_of(const hota_boot_input_t *b, int slot)
{
    if (slot == HOTA_SLOT_FACTORY)
        return b->has_factory ? &b->factory : NULL;
    if (slot >= 0 && (unsigned)slot < b->n_ota)
        return &b->ota[slot];
    return NULL;
}

static void check_result(const hota_boot_input_t *b, const hota_boot_result_t *r, int rc)
{
    hota_otadata_entry_t after[2] = {b->entry[0], b->entry[1]};
    FUZZ_ASSERT(r->n_writes <= HOTA_BOOT_MAX_WRITES);
    for (unsigned i = 0; i < r->n_writes; i++) {
        FUZZ_ASSERT(r->writes[i].copy < 2);
        after[r->writes[i].copy] = r->writes[i].entry;
    }
    FUZZ_ASSERT(!memcmp(after, r->after, sizeof after));
    if (rc == HOTA_E_NO_BOOTABLE) {
        FUZZ_ASSERT(r->slot == HOTA_SLOT_NONE);
        return;
    }
    FUZZ_ASSERT(rc == HOTA_OK);
    const hota_boot_app_t *a = app_of(b, r->slot);
    FUZZ_ASSERT(a != NULL && a->verifies);
    FUZZ_ASSERT(!b->anti_rollback || a->secure_version >= b->efuse_secure_version);
    FUZZ_ASSERT(!r->raise_secure_version || (b->anti_rollback &&
                r->new_secure_version > b->efuse_secure_version &&
                r->new_secure_version <= a->secure_version));
    FUZZ_ASSERT(r->active >= -1 && r->active <= 1);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_in_t in = {data, size};
    hota_boot_input_t b, b2;
    hota_boot_result_t r, r2;
    int rc, rc2;
    read_input(&in, &b);
    rc = hota_boot_decide(&b, &r);
    if (b.n_ota > HOTA_OTA_MAX_SLOTS) {
        FUZZ_ASSERT(rc == HOTA_E_INVALID_ARG);
        return 0;
    }
    check_result(&b, &r, rc);
    (void)hota_otadata_active(b.entry);
    (void)hota_otadata_sane(b.entry);
    /* The next reset with nothing changed boots the same slot. */
    b2 = b;
    memcpy(b2.entry, r.after, sizeof b2.entry);
    if (r.raise_secure_version)
        b2.efuse_secure_version = r.new_secure_version;
    rc2 = hota_boot_decide(&b2, &r2);
    check_result(&b2, &r2, rc2);
    FUZZ_ASSERT(rc2 == rc || rc == HOTA_OK);
    return 0;
}
