/* Partition tables against the binaries ESP-IDF's gen_esp32part.py wrote ($HOTA_VECTORS_DIR). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "hota/error.h"
#include "hota/partition.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define FILE_CAP 8192

static const char *vectors_dir(void)
{
    return getenv("HOTA_VECTORS_DIR");
}

/* Read a vector file; returns its length. */
static size_t load(const char *name, uint8_t *buf, size_t cap)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", vectors_dir(), name);
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    size_t n = fread(buf, 1, cap, f);
    assert_true(feof(f));
    fclose(f);
    return n;
}

/* Parse the .bin, generate from the .csv, compare tables and bytes. */
static void check_pair(const char *stem, uint32_t flash_size, hota_part_table_t *from_bin)
{
    static uint8_t bin[FILE_CAP], csv[FILE_CAP], out[HOTA_PART_TABLE_MAX];
    static hota_part_table_t from_csv;
    char name[256];
    snprintf(name, sizeof name, "%s.bin", stem);
    size_t bin_len = load(name, bin, sizeof bin);
    snprintf(name, sizeof name, "%s.csv", stem);
    size_t csv_len = load(name, csv, sizeof csv);
    assert_int_equal(bin_len, HOTA_PART_TABLE_MAX);
    assert_int_equal(hota_part_parse(bin, bin_len, from_bin), HOTA_OK);
    assert_true(from_bin->has_md5);
    assert_int_equal(hota_part_from_csv((const char *)csv, csv_len, flash_size, &from_csv),
                     HOTA_OK);
    assert_int_equal(hota_part_to_bin(&from_csv, out), HOTA_OK);
    assert_memory_equal(out, bin, HOTA_PART_TABLE_MAX);
    assert_int_equal(from_csv.count, from_bin->count);
    assert_memory_equal(from_csv.part, from_bin->part, from_bin->count * sizeof from_bin->part[0]);
}

static void test_two_ota(void **state)
{
    static hota_part_table_t t, builtin;
    static uint8_t out[HOTA_PART_TABLE_MAX], bin[FILE_CAP];
    check_pair("esp32-partitions-two-ota", 4 * 1024 * 1024, &t);
    assert_int_equal(t.count, 6);
    assert_int_equal(hota_part_ota_count(&t), 2);
    assert_int_equal(hota_part_ota_slot(&t, 0)->offset, 0x110000);
    assert_int_equal(hota_part_ota_slot(&t, 1)->offset, 0x210000);
    assert_int_equal(hota_part_find_label(&t, "otadata")->offset, 0xd000);
    assert_int_equal(hota_part_find(&t, HOTA_PART_TYPE_APP, HOTA_PART_SUBTYPE_FACTORY)->size,
                     0x100000);
    /* the embedded default layout is the same table */
    assert_int_equal(hota_part_from_csv(hota_part_csv_two_ota, strlen(hota_part_csv_two_ota),
                                        4 * 1024 * 1024, &builtin),
                     HOTA_OK);
    assert_int_equal(hota_part_to_bin(&builtin, out), HOTA_OK);
    assert_int_equal(load("esp32-partitions-two-ota.bin", bin, sizeof bin), HOTA_PART_TABLE_MAX);
    assert_memory_equal(out, bin, HOTA_PART_TABLE_MAX);
}

static void test_four_ota_8mb(void **state)
{
    static hota_part_table_t t;
    check_pair("esp32-partitions-four-ota-8MB", 8 * 1024 * 1024, &t);
    assert_int_equal(t.count, 8);
    assert_int_equal(hota_part_ota_count(&t), 4);
    assert_null(hota_part_find(&t, HOTA_PART_TYPE_APP, HOTA_PART_SUBTYPE_FACTORY));
    assert_int_equal(hota_part_ota_slot(&t, 3)->offset, 0x4a0000);
    assert_int_equal(hota_part_find_label(&t, "storage")->subtype,
                     HOTA_PART_SUBTYPE_DATA_SPIFFS);
}

static void test_singleapp(void **state)
{
    static hota_part_table_t t;
    static uint8_t bin[FILE_CAP];
    size_t n = load("esp32-partitions-singleapp.bin", bin, sizeof bin);
    assert_int_equal(n, 96);
    assert_int_equal(hota_part_parse(bin, n, &t), HOTA_OK);
    assert_int_equal(t.count, 3);
    assert_false(t.has_md5);
    assert_int_equal(hota_part_ota_count(&t), 0);
    assert_null(hota_part_ota_slot(&t, 0));
    assert_int_equal(hota_part_find(&t, HOTA_PART_TYPE_APP, HOTA_PART_SUBTYPE_FACTORY)->offset,
                     0x10000);
}

int main(void)
{
    struct stat st;
    const char *dir = vectors_dir();
    if (!dir || stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
        printf("SKIPPED test_vectors_partition: vectors not found at %s\n", dir ? dir : "(unset)");
        return 77;
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_two_ota),
        cmocka_unit_test(test_four_ota_8mb),
        cmocka_unit_test(test_singleapp),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
