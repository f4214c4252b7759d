/* The simulated device: flash file, partition table, eFuse sidecar, boot simulation. */
#include "hota/device.h"

#include "hota/error.h"

#include <stdio.h>
#include <string.h>

void hota_device_init(hota_device_t *d)
{
    memset(d, 0, sizeof *d);
    hota_flash_file_init(&d->ff);
    hota_efuse_init(&d->efuse);
}

void hota_device_free(hota_device_t *d)
{
    hota_flash_file_free(&d->ff);
    d->is_open = 0;
}

static int set_paths(hota_device_t *d, const char *path)
{
    if (!path || strlen(path) >= HOTA_DEVICE_PATH_MAX)
        return HOTA_E_INVALID_ARG;
    snprintf(d->efuse_path, sizeof d->efuse_path, "%s%s", path, HOTA_EFUSE_SUFFIX);
    return HOTA_OK;
}

static void index_table(hota_device_t *d)
{
    d->otadata = hota_part_find(&d->table, HOTA_PART_TYPE_DATA, HOTA_PART_SUBTYPE_DATA_OTA);
    d->n_ota = hota_part_ota_count(&d->table);
    if (d->n_ota > HOTA_OTA_MAX_SLOTS)
        d->n_ota = HOTA_OTA_MAX_SLOTS;
}

int hota_device_open(hota_device_t *d, const char *path)
{
    int rc = set_paths(d, path);
    if (rc != HOTA_OK)
        return rc;
    rc = hota_flash_file_open(&d->ff, path, 0, 0, 1, &d->flash);
    if (rc != HOTA_OK)
        return rc;
    rc = hota_part_read(&d->flash, &d->table);
    if (rc == HOTA_E_FLASH_RANGE)
        rc = HOTA_E_FLASH_SIZE;
    if (rc == HOTA_OK) {
        rc = hota_efuse_load(d->efuse_path, &d->efuse);
        if (rc == HOTA_E_NOT_FOUND) {
            hota_efuse_init(&d->efuse);
            rc = HOTA_OK;
        }
    }
    if (rc != HOTA_OK) {
        hota_device_free(d);
        return rc;
    }
    index_table(d);
    d->is_open = 1;
    return HOTA_OK;
}

int hota_device_create(hota_device_t *d, const char *path, uint32_t size,
                       const hota_part_table_t *t, const hota_efuse_t *e)
{
    int rc = set_paths(d, path);
    if (rc != HOTA_OK || !t || !e)
        return rc != HOTA_OK ? rc : HOTA_E_INVALID_ARG;
    rc = hota_part_verify(t, size);
    if (rc == HOTA_E_FLASH_RANGE)
        rc = HOTA_E_FLASH_SIZE;
    if (rc != HOTA_OK)
        return rc;
    rc = hota_flash_file_open(&d->ff, path, 1, size, 1, &d->flash);
    if (rc != HOTA_OK)
        return rc;
    d->table = *t;
    d->efuse = *e;
    d->efuse.running = HOTA_SLOT_NONE;
    index_table(d);
    d->is_open = 1;
    rc = hota_part_write(&d->flash, &d->table);
    if (rc == HOTA_OK)
        rc = hota_device_save_efuse(d);
    if (rc != HOTA_OK)
        hota_device_free(d);
    return rc;
}

int hota_device_save_efuse(hota_device_t *d)
{
    return hota_efuse_save(d->efuse_path, &d->efuse);
}

const hota_partition_t *hota_device_slot_part(const hota_device_t *d, int slot)
{
    if (slot == HOTA_SLOT_FACTORY)
        return hota_part_find(&d->table, HOTA_PART_TYPE_APP, HOTA_PART_SUBTYPE_FACTORY);
    if (slot < 0 || slot >= (int)HOTA_OTA_MAX_SLOTS)
        return NULL;
    return hota_part_ota_slot(&d->table, (unsigned)slot);
}

int hota_device_part_slot(const hota_partition_t *p)
{
    if (!p || p->type != HOTA_PART_TYPE_APP)
        return HOTA_SLOT_NONE;
    if (p->subtype == HOTA_PART_SUBTYPE_FACTORY)
        return HOTA_SLOT_FACTORY;
    if (p->subtype >= HOTA_PART_SUBTYPE_OTA_0 &&
        p->subtype < HOTA_PART_SUBTYPE_OTA_0 + HOTA_PART_SUBTYPE_OTA_MAX)
        return p->subtype - HOTA_PART_SUBTYPE_OTA_0;
    return HOTA_SLOT_NONE;
}

const char *hota_device_slot_name(const hota_device_t *d, int slot)
{
    const hota_partition_t *p = hota_device_slot_part(d, slot);
    if (p)
        return p->label;
    return slot == HOTA_SLOT_FACTORY ? "factory" : "none";
}

int hota_device_read_otadata(hota_device_t *d, hota_otadata_entry_t e[2])
{
    if (!d->otadata)
        return HOTA_E_NO_OTA_SLOTS;
    return hota_otadata_read(&d->flash, d->otadata->offset, e);
}

int hota_device_verify_slot(hota_device_t *d, int slot, int check_secver,
                            hota_image_info_t *info)
{
    hota_image_policy_t pol;
    const hota_partition_t *p = hota_device_slot_part(d, slot);
    if (!p)
        return HOTA_E_PART_NOT_FOUND;
    hota_efuse_policy(&d->efuse, p->size, &pol);
    if (!check_secver)
        pol.min_secure_version = 0;
    return hota_image_verify_flash(&d->flash, p->offset, p->size, &pol, info);
}

/* The slot's verdict; HOTA_OK unless the verification itself could not run (no memory):
 * then there is no verdict and the caller must not decide on it. */
static int probe_app(hota_device_t *d, int slot, hota_boot_app_t *a)
{
    hota_image_info_t info;
    int rc;
    memset(&info, 0, sizeof info);
    rc = hota_device_verify_slot(d, slot, 0, &info);
    a->verifies = rc == HOTA_OK;
    a->secure_version = a->verifies ? info.app.secure_version : 0;
    return rc == HOTA_E_NO_MEMORY ? rc : HOTA_OK;
}

int hota_device_boot_input(hota_device_t *d, hota_boot_input_t *in)
{
    int rc;
    memset(in, 0, sizeof *in);
    memset(in->entry, 0xFF, sizeof in->entry);
    if (d->otadata) {
        rc = hota_device_read_otadata(d, in->entry);
        if (rc != HOTA_OK)
            return rc;
        if (!hota_otadata_sane(in->entry))
            return HOTA_E_OTADATA;
        in->n_ota = d->n_ota;
    }
    in->has_factory = hota_device_slot_part(d, HOTA_SLOT_FACTORY) != NULL;
    in->rollback = (d->efuse.flags & HOTA_EFUSE_ROLLBACK) != 0;
    in->anti_rollback = (d->efuse.flags & HOTA_EFUSE_ANTI_ROLLBACK) != 0;
    in->efuse_secure_version = d->efuse.secure_version;
    rc = in->has_factory ? probe_app(d, HOTA_SLOT_FACTORY, &in->factory) : HOTA_OK;
    for (unsigned i = 0; rc == HOTA_OK && i < in->n_ota; i++)
        rc = probe_app(d, (int)i, &in->ota[i]);
    return rc;
}

static int apply_writes(hota_device_t *d, const hota_boot_result_t *res)
{
    for (unsigned i = 0; i < res->n_writes; i++) {
        int rc = hota_otadata_write(&d->flash, d->otadata->offset, res->writes[i].copy,
                                    &res->writes[i].entry);
        if (rc != HOTA_OK)
            return rc;
    }
    return HOTA_OK;
}

int hota_device_boot(hota_device_t *d, int apply, hota_boot_result_t *res)
{
    hota_boot_input_t in;
    int rc = hota_device_boot_input(d, &in);
    int decided;
    if (rc != HOTA_OK)
        return rc;
    decided = hota_boot_decide(&in, res);
    if (!apply)
        return decided;
    if (d->otadata) {
        rc = apply_writes(d, res);
        if (rc != HOTA_OK)
            return rc;
    }
    if (res->raise_secure_version)
        hota_efuse_raise(&d->efuse, res->new_secure_version);
    d->efuse.running = res->slot;
    rc = hota_device_save_efuse(d);
    return rc != HOTA_OK ? rc : decided;
}
