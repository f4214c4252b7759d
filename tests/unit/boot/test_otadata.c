/* otadata entries: CRC as the ESP32 ROM computes it, layout, validity, selection; eFuse
 * sidecar encoding. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "hota/efuse.h"
#include "hota/error.h"
#include "hota/otadata.h"

static void test_crc_vectors(void **state)
{
    (void)state;
    /* Values the ESP-IDF bootloader writes for seq 1 and 2. */
    assert_int_equal(hota_otadata_crc(1), 0x4743989Au);
    assert_int_equal(hota_otadata_crc(2), 0x55F63774u);
    /* crc32_le(0, ...) is the common CRC-32: check value of "123456789". */
    assert_int_equal(hota_crc32_le(0, (const uint8_t *)"123456789", 9), 0xCBF43926u);
    assert_int_not_equal(hota_otadata_crc(3), hota_otadata_crc(1));
}

static void test_layout(void **state)
{
    hota_otadata_entry_t e, d;
    uint8_t b[32];
    (void)state;
    hota_otadata_make(&e, 2, HOTA_OTA_STATE_PENDING_VERIFY);
    hota_otadata_encode(&e, b);
    assert_memory_equal(b, "\x02\x00\x00\x00", 4);
    for (int i = 4; i < 24; i++)
        assert_int_equal(b[i], 0xFF);
    assert_memory_equal(b + 24, "\x01\x00\x00\x00", 4);
    assert_memory_equal(b + 28, "\x74\x37\xF6\x55", 4);
    hota_otadata_decode(b, &d);
    assert_memory_equal(&d, &e, sizeof e);
}

static void test_validity(void **state)
{
    hota_otadata_entry_t e;
    (void)state;
    memset(&e, 0xFF, sizeof e);
    assert_true(hota_otadata_blank(&e));
    assert_false(hota_otadata_crc_ok(&e));
    assert_false(hota_otadata_valid(&e));
    hota_otadata_make(&e, 5, HOTA_OTA_STATE_VALID);
    assert_true(hota_otadata_valid(&e));
    assert_false(hota_otadata_blank(&e));
    e.state = HOTA_OTA_STATE_INVALID;
    assert_true(hota_otadata_crc_ok(&e));
    assert_false(hota_otadata_valid(&e));
    e.state = HOTA_OTA_STATE_ABORTED;
    assert_false(hota_otadata_valid(&e));
    e.state = HOTA_OTA_STATE_UNDEFINED;
    assert_true(hota_otadata_valid(&e));
    e.crc ^= 1;
    assert_false(hota_otadata_valid(&e));
    hota_otadata_make(&e, UINT32_MAX, HOTA_OTA_STATE_VALID);
    assert_false(hota_otadata_valid(&e));
}

static void test_select(void **state)
{
    hota_otadata_entry_t e[2];
    (void)state;
    hota_otadata_make(&e[0], 1, HOTA_OTA_STATE_VALID);
    hota_otadata_make(&e[1], 2, HOTA_OTA_STATE_VALID);
    assert_int_equal(hota_otadata_active(e), 1);
    e[1].state = HOTA_OTA_STATE_ABORTED;
    assert_int_equal(hota_otadata_active(e), 0);
    hota_otadata_make(&e[1], 1, HOTA_OTA_STATE_NEW);
    assert_int_equal(hota_otadata_active(e), 0); /* tie: copy 0 */
    hota_otadata_make(&e[0], 7, HOTA_OTA_STATE_VALID);
    e[0].crc = 0;
    assert_int_equal(hota_otadata_active(e), 1);
    e[1].crc = 0;
    assert_int_equal(hota_otadata_active(e), -1);
    assert_false(hota_otadata_sane(e));
    memset(&e[1], 0xFF, sizeof e[1]);
    assert_true(hota_otadata_sane(e));
}

static void test_slot_and_names(void **state)
{
    hota_otadata_entry_t e;
    (void)state;
    hota_otadata_make(&e, 1, HOTA_OTA_STATE_NEW);
    assert_int_equal(hota_otadata_slot(&e, 2), 0);
    hota_otadata_make(&e, 4, HOTA_OTA_STATE_NEW);
    assert_int_equal(hota_otadata_slot(&e, 2), 1);
    assert_int_equal(hota_otadata_slot(&e, 3), 0);
    assert_int_equal(hota_otadata_slot(&e, 0), -1);
    assert_string_equal(hota_otadata_state_name(HOTA_OTA_STATE_PENDING_VERIFY), "PENDING_VERIFY");
    assert_string_equal(hota_otadata_state_name(HOTA_OTA_STATE_UNDEFINED), "UNDEFINED");
    assert_string_equal(hota_otadata_state_name(9), "UNKNOWN");
}

static void test_efuse_roundtrip(void **state)
{
    hota_efuse_t a, b;
    uint8_t buf[HOTA_EFUSE_FILE_SIZE];
    (void)state;
    hota_efuse_init(&a);
    assert_int_equal(a.flags, HOTA_EFUSE_ROLLBACK);
    assert_int_equal(a.running, HOTA_SLOT_NONE);
    a.flags |= HOTA_EFUSE_ANTI_ROLLBACK | HOTA_EFUSE_SECURE_BOOT;
    a.secure_version = 7;
    a.key_count = 2;
    memset(a.key_digest[1], 0xA5, 32);
    a.running = HOTA_SLOT_FACTORY;
    hota_efuse_encode(&a, buf);
    assert_memory_equal(buf, "HEFU", 4);
    assert_int_equal(hota_efuse_decode(buf, sizeof buf, &b), HOTA_OK);
    assert_memory_equal(&a, &b, sizeof a);
    assert_int_equal(hota_efuse_raise(&b, 3), 0);
    assert_int_equal(b.secure_version, 7);
    assert_int_equal(hota_efuse_raise(&b, 9), 1);
    assert_int_equal(b.secure_version, 9);
    buf[40] ^= 1;
    assert_int_equal(hota_efuse_decode(buf, sizeof buf, &b), HOTA_E_EFUSE);
    buf[40] ^= 1;
    assert_int_equal(hota_efuse_decode(buf, sizeof buf - 1, &b), HOTA_E_EFUSE);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_crc_vectors),   cmocka_unit_test(test_layout),
        cmocka_unit_test(test_validity),      cmocka_unit_test(test_select),
        cmocka_unit_test(test_slot_and_names), cmocka_unit_test(test_efuse_roundtrip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
