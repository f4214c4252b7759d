/* The eFuse sidecar file: whole-record load and atomic save with standard C streams. */
#include "hota/efuse.h"

#include "hota/error.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#define PATH_CAP 4096u

int hota_efuse_load(const char *path, hota_efuse_t *e)
{
    uint8_t buf[HOTA_EFUSE_FILE_SIZE + 1];
    size_t n;
    FILE *f = fopen(path, "rb");
    if (!f)
        return errno == ENOENT ? HOTA_E_NOT_FOUND : HOTA_E_FILE_OPEN;
    n = fread(buf, 1, sizeof buf, f);
    if (ferror(f)) {
        fclose(f);
        return HOTA_E_IO;
    }
    fclose(f);
    return hota_efuse_decode(buf, n, e);
}

int hota_efuse_save(const char *path, const hota_efuse_t *e)
{
    uint8_t buf[HOTA_EFUSE_FILE_SIZE];
    char tmp[PATH_CAP + 8];
    int rc = HOTA_E_IO;
    FILE *f;
    if (strlen(path) >= PATH_CAP)
        return HOTA_E_INVALID_ARG;
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    hota_efuse_encode(e, buf);
    f = fopen(tmp, "wb");
    if (!f)
        return HOTA_E_FILE_OPEN;
    if (fwrite(buf, 1, sizeof buf, f) == sizeof buf && fflush(f) == 0)
        rc = HOTA_OK;
    if (fclose(f) != 0)
        rc = HOTA_E_IO;
    if (rc == HOTA_OK && rename(tmp, path) != 0)
        rc = HOTA_E_IO;
    if (rc != HOTA_OK)
        remove(tmp);
    return rc;
}
