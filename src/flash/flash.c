/* The flash port wrappers: argument, range and alignment checks, operation counting. */
#include "hota/flash.h"

#include "hota/error.h"

static int flash_valid(const hota_flash_t *f)
{
    return f && f->ops && f->ops->version == HOTA_FLASH_OPS_VERSION && f->ops->read &&
           f->ops->write && f->ops->erase_sector && f->ops->size && f->ops->sector_size;
}

static int flash_in_range(const hota_flash_t *f, uint32_t addr, uint64_t len)
{
    uint32_t size = f->ops->size(f->ctx);
    return addr <= size && len <= (uint64_t)(size - addr);
}

/* The checks of a read or write: HOTA_OK, HOTA_E_INVALID_ARG or HOTA_E_FLASH_RANGE. */
static int check_io(const hota_flash_t *f, uint32_t addr, const void *buf, size_t len)
{
    if (!flash_valid(f) || (!buf && len))
        return HOTA_E_INVALID_ARG;
    return flash_in_range(f, addr, len) ? HOTA_OK : HOTA_E_FLASH_RANGE;
}

int hota_flash_read(hota_flash_t *f, uint32_t addr, void *buf, size_t len)
{
    int rc = check_io(f, addr, buf, len);
    if (rc != HOTA_OK || len == 0)
        return rc;
    return f->ops->read(f->ctx, addr, buf, len);
}

int hota_flash_write(hota_flash_t *f, uint32_t addr, const void *buf, size_t len)
{
    int rc = check_io(f, addr, buf, len);
    if (rc != HOTA_OK || len == 0)
        return rc;
    f->ops_count++;
    return f->ops->write(f->ctx, addr, buf, len);
}

int hota_flash_erase(hota_flash_t *f, uint32_t addr, uint32_t len)
{
    if (!flash_valid(f))
        return HOTA_E_INVALID_ARG;
    uint32_t sector = f->ops->sector_size(f->ctx);
    if (sector == 0 || addr % sector != 0 || len % sector != 0)
        return HOTA_E_FLASH_ALIGN;
    if (!flash_in_range(f, addr, len))
        return HOTA_E_FLASH_RANGE;
    for (uint32_t done = 0; done < len; done += sector) {
        f->ops_count++;
        int rc = f->ops->erase_sector(f->ctx, addr + done);
        if (rc != HOTA_OK)
            return rc;
    }
    return HOTA_OK;
}

uint32_t hota_flash_size(const hota_flash_t *f)
{
    return flash_valid(f) ? f->ops->size(f->ctx) : 0;
}
