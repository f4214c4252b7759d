/* A simulated device in a fresh temporary directory, for the tests of the layers that need one:
 * the stock two-OTA partition table, default eFuses, an erased flash file "<dir>/flash.bin". */
#ifndef HOTA_TEST_TEMP_DEVICE_H
#define HOTA_TEST_TEMP_DEVICE_H

#include <stdint.h>

#include "hota/device.h"

#define TDEV_DIR_CAP 64
#define TDEV_PATH_CAP 128

typedef struct tdev {
    char dir[TDEV_DIR_CAP];        /* the temporary directory */
    char flash_path[TDEV_PATH_CAP]; /* "<dir>/flash.bin" */
} tdev_t;

/* Make the directory from prefix ("/tmp/name" + "_XXXXXX") and create the device of
 * flash_size bytes in it (d initialised here); fails the running test on any error. */
void tdev_create(tdev_t *t, const char *prefix, uint32_t flash_size, hota_device_t *d);

/* Free the device and remove the flash file, its sidecars (".efuse", ".progress",
 * ".progress.tmp") and the directory. */
void tdev_remove(tdev_t *t, hota_device_t *d);

#endif
