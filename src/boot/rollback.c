/* Confirming or rejecting the running app (esp_ota_mark_app_*), rollback feasibility. */
#include "hota/slot.h"

#include "hota/error.h"

static int read_active(hota_device_t *d, hota_otadata_entry_t e[2], int *active)
{
    int rc;
    if (d->n_ota == 0 || !d->otadata)
        return HOTA_E_NO_OTA_SLOTS;
    rc = hota_device_read_otadata(d, e);
    if (rc != HOTA_OK)
        return rc;
    if (!hota_otadata_sane(e))
        return HOTA_E_OTADATA;
    *active = hota_otadata_active(e);
    return *active < 0 ? HOTA_E_BAD_STATE : HOTA_OK;
}

static int raise_to_running(hota_device_t *d, int slot)
{
    hota_image_info_t info;
    if (!(d->efuse.flags & HOTA_EFUSE_ANTI_ROLLBACK))
        return HOTA_OK;
    if (d->efuse.running >= 0)
        slot = d->efuse.running;
    if (hota_device_verify_slot(d, slot, 0, &info) != HOTA_OK)
        return HOTA_OK;
    if (!hota_efuse_raise(&d->efuse, info.app.secure_version))
        return HOTA_OK;
    return hota_device_save_efuse(d);
}

int hota_slot_mark_valid(hota_device_t *d)
{
    hota_otadata_entry_t e[2];
    int a, rc = read_active(d, e, &a);
    if (rc != HOTA_OK)
        return rc;
    if (e[a].state != HOTA_OTA_STATE_VALID) {
        e[a].state = HOTA_OTA_STATE_VALID;
        rc = hota_otadata_write(&d->flash, d->otadata->offset, (unsigned)a, &e[a]);
        if (rc != HOTA_OK)
            return rc;
    }
    return raise_to_running(d, hota_otadata_slot(&e[a], d->n_ota));
}

int hota_slot_mark_invalid(hota_device_t *d)
{
    hota_otadata_entry_t e[2];
    int a, rc = read_active(d, e, &a);
    if (rc != HOTA_OK)
        return rc;
    if (!hota_slot_rollback_possible(d))
        return HOTA_E_ROLLBACK_IMPOSSIBLE;
    e[a].state = HOTA_OTA_STATE_INVALID;
    return hota_otadata_write(&d->flash, d->otadata->offset, (unsigned)a, &e[a]);
}

static int slot_ok(hota_device_t *d, int slot)
{
    hota_image_info_t info;
    return hota_device_verify_slot(d, slot, 1, &info) == HOTA_OK;
}

int hota_slot_rollback_possible(hota_device_t *d)
{
    hota_otadata_entry_t e[2];
    int a, other, other_valid;
    if (read_active(d, e, &a) != HOTA_OK)
        return 0;
    other = 1 - a;
    other_valid = hota_otadata_valid(&e[other]);
    if (!other_valid && !(d->efuse.flags & HOTA_EFUSE_ANTI_ROLLBACK) &&
        hota_device_slot_part(d, HOTA_SLOT_FACTORY) && slot_ok(d, HOTA_SLOT_FACTORY))
        return 1;
    return other_valid && slot_ok(d, hota_otadata_slot(&e[other], d->n_ota));
}
