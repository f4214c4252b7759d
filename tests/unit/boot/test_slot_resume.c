/* hota_slot_resume(): a second writer keeps the sectors an earlier writer put on flash.
 * hota_slot_set_boot_written(): the boot choice after a read-back of the bytes written. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "hota/check64.h"
#include "hota/device.h"
#include "hota/error.h"
#include "hota/image_create.h"
#include "hota/partition.h"
#include "hota/slot.h"
#include "temp_device.h"

#define FLASH_SIZE (4u * 1024u * 1024u)
#define IMG_MAX (128u * 1024u)
#define SECTOR HOTA_FLASH_SECTOR_SIZE

typedef struct fx {
    tdev_t td;
    hota_device_t dev;
    hota_slot_writer_t w;
    uint8_t img[IMG_MAX];
    size_t img_len;
    uint8_t back[IMG_MAX];
} fx_t;

static fx_t fx_storage;

static int setup(void **state)
{
    fx_t *f = &fx_storage;
    hota_image_create_params_t p;
    memset(f, 0, sizeof *f);
    tdev_create(&f->td, "/tmp/hota_slot", FLASH_SIZE, &f->dev);
    hota_image_create_defaults(&p);
    p.project = "slotapp";
    p.version = "1.0";
    p.size = 100000;
    assert_int_equal(hota_image_create_buffer(&p, f->img, sizeof f->img, &f->img_len, NULL),
                     HOTA_OK);
    assert_true(f->img_len > 3 * SECTOR);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fx_t *f = *state;
    tdev_remove(&f->td, &f->dev);
    return 0;
}

/* The slot's first n bytes as they are on flash now. */
static void read_slot(fx_t *f, size_t n)
{
    const hota_partition_t *p = hota_device_slot_part(&f->dev, 0);
    assert_non_null(p);
    assert_int_equal(hota_flash_read(&f->dev.flash, p->offset, f->back, n), HOTA_OK);
}

/* Writer 1 puts 2 sectors of the image and half a sector of zeros on flash and is dropped;
 * writer 2 keeps the 2 sectors, writes the rest, and the slot holds the whole image. */
static void test_resume_keeps_sectors(void **state)
{
    fx_t *f = *state;
    hota_image_info_t info;
    uint8_t ones[64];
    assert_int_equal(hota_slot_begin(&f->w, &f->dev, 0, HOTA_SLOT_SIZE_SEQUENTIAL), HOTA_OK);
    assert_int_equal(hota_slot_write(&f->w, f->img, 2 * SECTOR), HOTA_OK);
    memset(f->back, 0, SECTOR / 2);
    assert_int_equal(hota_slot_write(&f->w, f->back, SECTOR / 2), HOTA_OK);
    hota_slot_abort(&f->w);

    assert_int_equal(hota_slot_begin(&f->w, &f->dev, 0, HOTA_SLOT_SIZE_SEQUENTIAL), HOTA_OK);
    assert_int_equal(hota_slot_resume(&f->w, 2 * SECTOR), HOTA_OK);
    /* the kept sectors are not erased again: raising their programmed bits is refused */
    memset(ones, 0xFF, sizeof ones);
    assert_memory_not_equal(f->img + SECTOR, ones, sizeof ones);
    assert_int_equal(hota_slot_write_with_offset(&f->w, SECTOR, ones, sizeof ones),
                     HOTA_E_FLASH_NOT_ERASED);
    /* the sector after them is erased before its first write (the zeros would refuse it) */
    assert_int_equal(hota_slot_write(&f->w, f->img + 2 * SECTOR, f->img_len - 2 * SECTOR),
                     HOTA_OK);
    read_slot(f, f->img_len);
    assert_memory_equal(f->back, f->img, f->img_len);
    assert_int_equal(hota_slot_end(&f->w, &info), HOTA_OK);
    assert_string_equal(info.app.version, "1.0");
}

/* Without hota_slot_resume() a new writer starts at 0 and erases as it goes. */
static void test_without_resume_starts_over(void **state)
{
    fx_t *f = *state;
    assert_int_equal(hota_slot_begin(&f->w, &f->dev, 0, HOTA_SLOT_SIZE_SEQUENTIAL), HOTA_OK);
    assert_int_equal(hota_slot_write(&f->w, f->img, 2 * SECTOR), HOTA_OK);
    hota_slot_abort(&f->w);
    assert_int_equal(hota_slot_begin(&f->w, &f->dev, 0, HOTA_SLOT_SIZE_SEQUENTIAL), HOTA_OK);
    assert_int_equal(hota_slot_resume(&f->w, 0), HOTA_OK);
    /* offset 0 again: the magic byte is checked and the sector is erased before writing */
    assert_int_equal(hota_slot_write(&f->w, f->img + 1, 1), HOTA_E_IMAGE_MAGIC);
    assert_int_equal(hota_slot_write(&f->w, f->img, SECTOR), HOTA_OK);
    read_slot(f, SECTOR);
    assert_memory_equal(f->back, f->img, SECTOR);
    hota_slot_abort(&f->w);
}

static void test_resume_errors(void **state)
{
    fx_t *f = *state;
    const hota_partition_t *p = hota_device_slot_part(&f->dev, 0);
    memset(&f->w, 0, sizeof f->w);
    assert_int_equal(hota_slot_resume(&f->w, SECTOR), HOTA_E_OTA_NOT_BEGUN);
    assert_int_equal(hota_slot_begin(&f->w, &f->dev, 0, HOTA_SLOT_SIZE_SEQUENTIAL), HOTA_OK);
    assert_int_equal(hota_slot_resume(&f->w, SECTOR + 1), HOTA_E_INVALID_ARG);
    assert_int_equal(hota_slot_resume(&f->w, p->size + SECTOR), HOTA_E_IMAGE_TOO_LARGE);
    assert_int_equal(hota_slot_resume(&f->w, p->size), HOTA_OK);
    /* the whole slot is kept: nothing more fits */
    assert_int_equal(hota_slot_write(&f->w, f->img, 1), HOTA_E_IMAGE_TOO_LARGE);
    hota_slot_abort(&f->w);
    assert_int_equal(hota_slot_begin(&f->w, &f->dev, 0, HOTA_SLOT_SIZE_SEQUENTIAL), HOTA_OK);
    assert_int_equal(hota_slot_write(&f->w, f->img, 16), HOTA_OK);
    assert_int_equal(hota_slot_resume(&f->w, SECTOR), HOTA_E_BAD_STATE);
    hota_slot_abort(&f->w);
    assert_int_equal(hota_slot_resume(&f->w, SECTOR), HOTA_E_OTA_NOT_BEGUN);
}

static uint64_t check_of(const uint8_t *p, size_t n)
{
    hota_check64_t c;
    hota_check64_init(&c);
    hota_check64_update(&c, p, n);
    return hota_check64_value(&c);
}

/* The slot holds the bytes written: otadata selects it (read back through a small buffer). */
static void test_set_boot_written(void **state)
{
    fx_t *f = *state;
    uint32_t st = 0;
    int slot = -1;
    uint8_t small[1000];
    assert_int_equal(hota_slot_begin(&f->w, &f->dev, 1, HOTA_SLOT_SIZE_SEQUENTIAL), HOTA_OK);
    assert_int_equal(hota_slot_write(&f->w, f->img, f->img_len), HOTA_OK);
    hota_slot_abort(&f->w);
    assert_int_equal(hota_slot_set_boot_written(&f->dev, 1, (uint32_t)f->img_len,
                                                check_of(f->img, f->img_len), small,
                                                sizeof small),
                     HOTA_OK);
    assert_int_equal(hota_slot_get_state(&f->dev, 1, &st), HOTA_OK);
    assert_int_equal(st, (f->dev.efuse.flags & HOTA_EFUSE_ROLLBACK) ? HOTA_OTA_STATE_NEW
                                                                   : HOTA_OTA_STATE_UNDEFINED);
    assert_int_equal(hota_slot_boot_slot(&f->dev, &slot), HOTA_OK);
    assert_int_equal(slot, 1);
}

/* A mismatch (other bytes, other length) or bad arguments leave otadata as it was. */
static void test_set_boot_written_refusals(void **state)
{
    fx_t *f = *state;
    const hota_partition_t *p = hota_device_slot_part(&f->dev, 0);
    uint64_t good = check_of(f->img, f->img_len);
    uint32_t len = (uint32_t)f->img_len, st = 0;
    assert_int_equal(hota_slot_begin(&f->w, &f->dev, 0, HOTA_SLOT_SIZE_SEQUENTIAL), HOTA_OK);
    assert_int_equal(hota_slot_write(&f->w, f->img, f->img_len), HOTA_OK);
    hota_slot_abort(&f->w);
    assert_int_equal(hota_slot_set_boot_written(&f->dev, 0, len, good ^ 1u, f->back, 4096),
                     HOTA_E_FLASH_READBACK);
    assert_int_equal(hota_slot_set_boot_written(&f->dev, 0, len - 1u, good, f->back, 4096),
                     HOTA_E_FLASH_READBACK);
    assert_int_equal(hota_slot_set_boot_written(&f->dev, 0, 0, good, f->back, 4096),
                     HOTA_E_INVALID_ARG);
    assert_int_equal(hota_slot_set_boot_written(&f->dev, 0, len, good, f->back, 0),
                     HOTA_E_INVALID_ARG);
    assert_int_equal(hota_slot_set_boot_written(&f->dev, 0, p->size + 1u, good, f->back, 4096),
                     HOTA_E_INVALID_ARG);
    assert_int_equal(hota_slot_set_boot_written(&f->dev, HOTA_SLOT_FACTORY, len, good, f->back,
                                                4096),
                     HOTA_E_PART_NOT_FOUND);
    assert_int_equal(hota_slot_set_boot_written(&f->dev, 7, len, good, f->back, 4096),
                     HOTA_E_PART_NOT_FOUND);
    assert_int_equal(hota_slot_get_state(&f->dev, 0, &st), HOTA_E_NOT_FOUND);
    assert_int_equal(hota_slot_set_boot_written(&f->dev, 0, len, good, f->back, 4096), HOTA_OK);
    assert_int_equal(hota_slot_get_state(&f->dev, 0, &st), HOTA_OK);
    assert_int_equal(st, (f->dev.efuse.flags & HOTA_EFUSE_ROLLBACK) ? HOTA_OTA_STATE_NEW
                                                                   : HOTA_OTA_STATE_UNDEFINED);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_resume_keeps_sectors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_without_resume_starts_over, setup, teardown),
        cmocka_unit_test_setup_teardown(test_resume_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_set_boot_written, setup, teardown),
        cmocka_unit_test_setup_teardown(test_set_boot_written_refusals, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
