/* Emulated eFuse: defaults, sidecar encoding and file, image policy. */
#include "hota/efuse.h"

#include "hota/error.h"
#include "hota/file.h"
#include "core/bytes.h"

#include <string.h>

#define EFUSE_MAGIC "HEFU"
#define EFUSE_VERSION 1u
#define OFF_FLAGS 8u
#define OFF_SECVER 12u
#define OFF_CHIP 16u
#define OFF_NKEYS 18u
#define OFF_RUNNING 19u
#define OFF_KEYS 32u
#define OFF_CRC (HOTA_EFUSE_FILE_SIZE - 4u)
#define RUNNING_FACTORY 0xFEu
#define RUNNING_NONE 0xFFu

void hota_efuse_init(hota_efuse_t *e)
{
    memset(e, 0, sizeof *e);
    e->flags = HOTA_EFUSE_ROLLBACK;
    e->running = HOTA_SLOT_NONE;
}

static uint8_t running_code(int running)
{
    if (running == HOTA_SLOT_FACTORY)
        return RUNNING_FACTORY;
    if (running < 0 || running > 15)
        return RUNNING_NONE;
    return (uint8_t)running;
}

void hota_efuse_encode(const hota_efuse_t *e, uint8_t out[HOTA_EFUSE_FILE_SIZE])
{
    memset(out, 0, HOTA_EFUSE_FILE_SIZE);
    memcpy(out, EFUSE_MAGIC, 4);
    out[4] = (uint8_t)EFUSE_VERSION;
    hota_put_le16(out + 6, (uint16_t)HOTA_EFUSE_FILE_SIZE);
    hota_put_le32(out + OFF_FLAGS, e->flags);
    hota_put_le32(out + OFF_SECVER, e->secure_version);
    hota_put_le16(out + OFF_CHIP, e->chip_id);
    out[OFF_NKEYS] = e->key_count;
    out[OFF_RUNNING] = running_code(e->running);
    memcpy(out + OFF_KEYS, e->key_digest, sizeof e->key_digest);
    hota_put_le32(out + OFF_CRC, hota_crc32_le(0, out, OFF_CRC));
}

static int decode_running(uint8_t code, int *running)
{
    if (code == RUNNING_FACTORY)
        *running = HOTA_SLOT_FACTORY;
    else if (code == RUNNING_NONE)
        *running = HOTA_SLOT_NONE;
    else if (code <= 15)
        *running = code;
    else
        return HOTA_E_EFUSE;
    return HOTA_OK;
}

int hota_efuse_decode(const uint8_t *in, size_t len, hota_efuse_t *e)
{
    hota_efuse_t t;
    if (len != HOTA_EFUSE_FILE_SIZE || memcmp(in, EFUSE_MAGIC, 4) != 0)
        return HOTA_E_EFUSE;
    if (in[4] != EFUSE_VERSION || in[5] != 0 ||
        hota_get_le16(in + 6) != HOTA_EFUSE_FILE_SIZE)
        return HOTA_E_EFUSE;
    if (hota_get_le32(in + OFF_CRC) != hota_crc32_le(0, in, OFF_CRC))
        return HOTA_E_EFUSE;
    hota_efuse_init(&t);
    t.flags = hota_get_le32(in + OFF_FLAGS);
    t.secure_version = hota_get_le32(in + OFF_SECVER);
    t.chip_id = hota_get_le16(in + OFF_CHIP);
    t.key_count = in[OFF_NKEYS];
    if (t.key_count > HOTA_EFUSE_MAX_KEYS || decode_running(in[OFF_RUNNING], &t.running))
        return HOTA_E_EFUSE;
    memcpy(t.key_digest, in + OFF_KEYS, sizeof t.key_digest);
    *e = t;
    return HOTA_OK;
}

int hota_efuse_raise(hota_efuse_t *e, uint32_t v)
{
    if (v <= e->secure_version)
        return 0;
    e->secure_version = v;
    return 1;
}

void hota_efuse_policy(const hota_efuse_t *e, uint32_t max_len, hota_image_policy_t *p)
{
    memset(p, 0, sizeof *p);
    p->chip_id = e->chip_id;
    p->min_secure_version = (e->flags & HOTA_EFUSE_ANTI_ROLLBACK) ? e->secure_version : 0;
    if (e->flags & HOTA_EFUSE_SECURE_BOOT) {
        p->trusted_keys = (const uint8_t(*)[32])e->key_digest;
        p->n_trusted = e->key_count;
    }
    p->require_app_desc = 1;
    p->max_len = max_len;
}

int hota_efuse_load(const char *path, hota_efuse_t *e)
{
    uint8_t buf[HOTA_EFUSE_FILE_SIZE];
    size_t n = 0;
    int rc = hota_pfile_load(path, buf, sizeof buf, &n);
    if (rc == HOTA_E_BUFFER_TOO_SMALL)
        return HOTA_E_EFUSE; /* longer than a record */
    return rc != HOTA_OK ? rc : hota_efuse_decode(buf, n, e);
}

int hota_efuse_save(const char *path, const hota_efuse_t *e)
{
    uint8_t buf[HOTA_EFUSE_FILE_SIZE];
    hota_efuse_encode(e, buf);
    return hota_pfile_replace(path, buf, sizeof buf, 1);
}
