/* A simulated device in a temporary directory (see temp_device.h). */
#include "temp_device.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "hota/error.h"
#include "hota/partition.h"

void tdev_create(tdev_t *t, const char *prefix, uint32_t flash_size, hota_device_t *d)
{
    hota_part_table_t table;
    hota_efuse_t e;
    memset(t, 0, sizeof *t);
    assert_true(snprintf(t->dir, sizeof t->dir, "%s_XXXXXX", prefix) < (int)sizeof t->dir);
    assert_non_null(mkdtemp(t->dir));
    assert_true(snprintf(t->flash_path, sizeof t->flash_path, "%s/flash.bin", t->dir) <
                (int)sizeof t->flash_path);
    assert_int_equal(hota_part_from_csv(hota_part_csv_two_ota, strlen(hota_part_csv_two_ota),
                                        flash_size, &table),
                     HOTA_OK);
    hota_efuse_init(&e);
    hota_device_init(d);
    assert_int_equal(hota_device_create(d, t->flash_path, flash_size, &table, &e), HOTA_OK);
}

void tdev_remove(tdev_t *t, hota_device_t *d)
{
    static const char *const sidecars[] = {"", ".efuse", ".progress", ".progress.tmp"};
    char path[TDEV_PATH_CAP + 16];
    hota_device_free(d);
    for (size_t i = 0; i < sizeof sidecars / sizeof sidecars[0]; i++) {
        snprintf(path, sizeof path, "%s%s", t->flash_path, sidecars[i]);
        unlink(path);
    }
    rmdir(t->dir);
}
