/* Partition table: CSV rules, binary round trips, every rejected input, flash I/O. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "hota/error.h"
#include "hota/flash.h"
#include "hota/flash_file.h"
#include "hota/partition.h"

#include <mbedtls/md5.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static hota_part_table_t tbl, tbl2;
static uint8_t bin[HOTA_PART_TABLE_MAX];

static int csv(const char *text, uint32_t flash_size)
{
    return hota_part_from_csv(text, strlen(text), flash_size, &tbl);
}

static void expect_part(const char *label, uint8_t type, uint8_t subtype, uint32_t offset,
                        uint32_t size)
{
    const hota_partition_t *p = hota_part_find_label(&tbl, label);
    assert_non_null(p);
    assert_int_equal(p->type, type);
    assert_int_equal(p->subtype, subtype);
    assert_int_equal(p->offset, offset);
    assert_int_equal(p->size, size);
}

/* Build a binary from a hand-made table (MD5 computed over whatever it holds). */
static void add(hota_part_table_t *t, const char *label, uint8_t type, uint8_t sub, uint32_t off,
                uint32_t size)
{
    hota_partition_t *p = &t->part[t->count++];
    memset(p, 0, sizeof *p);
    p->type = type;
    p->subtype = sub;
    p->offset = off;
    p->size = size;
    snprintf(p->label, sizeof p->label, "%s", label);
}

static int parse_of(const hota_part_table_t *t)
{
    assert_int_equal(hota_part_to_bin(t, bin), HOTA_OK);
    return hota_part_parse(bin, sizeof bin, &tbl2);
}

static void base_table(hota_part_table_t *t)
{
    memset(t, 0, sizeof *t);
    add(t, "nvs", 1, 2, 0x9000, 0x4000);
    add(t, "otadata", 1, 0, 0xd000, 0x2000);
    add(t, "ota_0", 0, 0x10, 0x10000, 0x100000);
    add(t, "ota_1", 0, 0x11, 0x110000, 0x100000);
}

static void test_two_ota_default(void **state)
{
    assert_int_equal(csv(hota_part_csv_two_ota, 4 * 1024 * 1024), HOTA_OK);
    assert_int_equal(tbl.count, 6);
    expect_part("nvs", 1, 2, 0x9000, 0x4000);
    expect_part("otadata", 1, 0, 0xd000, 0x2000);
    expect_part("phy_init", 1, 1, 0xf000, 0x1000);
    expect_part("factory", 0, 0, 0x10000, 0x100000);
    expect_part("ota_0", 0, 0x10, 0x110000, 0x100000);
    expect_part("ota_1", 0, 0x11, 0x210000, 0x100000);
    assert_int_equal(hota_part_ota_count(&tbl), 2);
    assert_ptr_equal(hota_part_ota_slot(&tbl, 1), hota_part_find_label(&tbl, "ota_1"));
    assert_null(hota_part_ota_slot(&tbl, 2));
    assert_null(hota_part_find_label(&tbl, "nope"));
    /* binary round trip */
    assert_int_equal(hota_part_to_bin(&tbl, bin), HOTA_OK);
    assert_int_equal(bin[6 * 32], 0xEB);
    assert_int_equal(bin[7 * 32], 0xFF);
    assert_int_equal(hota_part_parse(bin, sizeof bin, &tbl2), HOTA_OK);
    assert_true(tbl2.has_md5);
    assert_int_equal(tbl2.count, 6);
    assert_memory_equal(tbl.part, tbl2.part, 6 * sizeof tbl.part[0]);
    /* does not fit 2 MB */
    assert_int_equal(csv(hota_part_csv_two_ota, 2 * 1024 * 1024), HOTA_E_FLASH_RANGE);
}

static void test_auto_placement(void **state)
{
    assert_int_equal(csv("a, data, nvs, , 0x3000\n"
                         "b, app, factory, , 0x1000\n"
                         "c, data, 0x40, , 0x800\n"
                         "d, data, fat, , 1K\n"
                         "e, data, , 0x20000, 4K\n"
                         "f, 0x40, 7, , 0x10\n",
                         0),
                     HOTA_OK);
    expect_part("a", 1, 2, 0x9000, 0x3000);
    expect_part("b", 0, 0, 0x10000, 0x1000);  /* app: next 64 KiB boundary */
    expect_part("c", 1, 0x40, 0x11000, 0x800);
    expect_part("d", 1, 0x81, 0x12000, 0x400); /* data: next 4 KiB boundary */
    expect_part("e", 1, 0x06, 0x20000, 0x1000); /* empty data subtype = undefined */
    expect_part("f", 0x40, 7, 0x21000, 0x10);  /* other types align like data */
}

static void test_csv_syntax(void **state)
{
    assert_int_equal(csv("# comment\n"
                         "\n"
                         "   \t\n"
                         "   # indented comment\r\n"
                         "  n1 ,DATA, NVS , 0x9000 , 0x4000 , , extra, fields\r\n"
                         "n2,data,fat,0o150000,0b1000000000000\r"
                         "n3,data,spiffs,,1_024k\n"
                         "n4,data,spiffs,,4096,readonly\n"
                         "n5,app,ota_3,0x110000,1M,encrypted:readonly\n"
                         "n6,app,0x11,,2m,encrypted\n"
                         "a_label_longer_than_16,data,littlefs,,0x1000",
                         0),
                     HOTA_OK);
    expect_part("n1", 1, 2, 0x9000, 0x4000);
    expect_part("n2", 1, 0x81, 0xd000, 0x1000);
    expect_part("n3", 1, 0x82, 0xe000, 0x100000);
    expect_part("n4", 1, 0x82, 0x10e000, 0x1000);
    expect_part("n5", 0, 0x13, 0x110000, 0x100000);
    assert_int_equal(hota_part_find_label(&tbl, "n4")->flags, HOTA_PART_FLAG_READONLY);
    assert_int_equal(hota_part_find_label(&tbl, "n5")->flags, 3);
    expect_part("n6", 0, 0x11, 0x210000, 0x200000);
    expect_part("a_label_longer_t", 1, 0x83, 0x410000, 0x1000);
    assert_int_equal(hota_part_ota_count(&tbl), 2);
}

static void test_csv_overlap_after_auto(void **state)
{
    /* n4 above ends at 0x10f000; an explicit 0x100000 after it overlaps */
    assert_int_equal(csv("n1,data,nvs,,0x4000\n"
                         "n4,data,spiffs,0x100000,0x10000\n"
                         "n5,app,ota_3,0x100000,1M\n",
                         0),
                     HOTA_E_PART_OVERLAP);
}

static void test_negative_size(void **state)
{
    assert_int_equal(csv("x, data, fat, 0x10000, -0x30000\n", 0), HOTA_OK);
    expect_part("x", 1, 0x81, 0x10000, 0x20000);
    assert_int_equal(csv("x, data, fat, 0x10000, -0x8000\n", 0), HOTA_E_PART_CSV);
}

static void test_csv_errors(void **state)
{
    static const struct {
        const char *text;
        int rc;
    } cases[] = {
        {"", HOTA_E_PART_TABLE},
        {"# only a comment\n\n", HOTA_E_PART_TABLE},
        {"nvs\n", HOTA_E_PART_CSV},                              /* no type */
        {"nvs, data, nvs, 0x9000\n", HOTA_E_PART_CSV},           /* no size */
        {"f, app, , , 1M\n", HOTA_E_PART_CSV},                   /* app needs a subtype */
        {"x, dat, nvs, , 0x4000\n", HOTA_E_PART_CSV},            /* unknown type */
        {"x, data, nvx, , 0x4000\n", HOTA_E_PART_CSV},           /* unknown subtype */
        {"x, app, nvs, , 1M\n", HOTA_E_PART_CSV},                /* data name for app */
        {"x, 0x100, 1, , 0x4000\n", HOTA_E_PART_CSV},            /* type out of range */
        {"x, data, 0x100, , 0x4000\n", HOTA_E_PART_CSV},         /* subtype out of range */
        {"x, data, fat, 010000, 0x4000\n", HOTA_E_PART_CSV},     /* Python rejects 010000 */
        {"x, data, fat, , 1__0K\n", HOTA_E_PART_CSV},
        {"x, data, fat, , 0x\n", HOTA_E_PART_CSV},
        {"x, data, fat, , 0x10000000000\n", HOTA_E_PART_CSV},
        {"x, data, fat, , 4K, bogus\n", HOTA_E_PART_CSV},
        {"x, data, fat, , 4K, encrypted: readonly\n", HOTA_E_PART_CSV},
        {"$PART, data, fat, , 4K\n", HOTA_E_PART_CSV},
        {"x, data, fat, 0x8000, 4K\n", HOTA_E_PART_OVERLAP},     /* inside the table sector */
        {"x, data, fat, 0xa000, 8K\ny, data, fat, 0xb000, 4K\n", HOTA_E_PART_OVERLAP},
        {"x, app, factory, 0x18000, 1M\n", HOTA_E_PART_ALIGN},
        {"x, data, fat, 0x9800, 4K\n", HOTA_E_PART_ALIGN},
        {"x, app, factory, , 0x1800\n", HOTA_E_PART_ALIGN},
        {"x, data, fat, , 4K\nx, data, fat, , 4K\n", HOTA_E_PART_TABLE},
        {"o, data, ota, , 0x1000\n", HOTA_E_PART_TABLE},
        {"o, data, ota, , 8K\np, data, ota, , 8K\n", HOTA_E_PART_TABLE},
        {"o, data, ota, , 8K, readonly\n", HOTA_E_PART_TABLE},
        {"n, data, nvs, , 8K\n", HOTA_E_PART_TABLE},
        {"x\001y, data, fat, , 4K\n", HOTA_E_PART_CSV},            /* control byte in a label */
        {"x, data, fat, , 0xEEEEEEMM\n", HOTA_E_PART_CSV},         /* size x suffixes overflows */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int rc = csv(cases[i].text, 0);
        if (rc != cases[i].rc)
            print_error("case %zu: %s -> %s\n", i, cases[i].text, hota_errname(rc));
        assert_int_equal(rc, cases[i].rc);
        assert_int_equal(tbl.count, 0);
    }
    assert_int_equal(csv("n, data, nvs, , 8K, readonly\n", 0), HOTA_OK);
    /* regression (fuzz_part_csv): a NUL inside a label used to cut the label silently */
    static const char nul_label[] = "ab\0cd, data, fat, , 4K\n";
    assert_int_equal(hota_part_from_csv(nul_label, sizeof nul_label - 1, 4u << 20, &tbl),
                     HOTA_E_PART_CSV);
}

static void test_entry_limit(void **state)
{
    static char text[96 * 40];
    size_t used = 0;
    for (int i = 0; i < 96; i++) {
        used += (size_t)snprintf(text + used, sizeof text - used, "p%d, data, fat, , 4K\n", i);
        if (i == 93) {
            assert_int_equal(csv(text, 0), HOTA_OK); /* 94 partitions */
            assert_int_equal(hota_part_to_bin(&tbl, bin), HOTA_OK);
            assert_int_equal(hota_part_parse(bin, sizeof bin, &tbl2), HOTA_OK);
            assert_int_equal(tbl2.count, 94);
        }
        if (i == 94) {
            assert_int_equal(csv(text, 0), HOTA_OK); /* 95 fit the table, not the binary */
            assert_int_equal(hota_part_to_bin(&tbl, bin), HOTA_E_PART_TABLE);
        }
    }
    assert_int_equal(csv(text, 0), HOTA_E_PART_TABLE);
}

static void test_bin_bad_md5(void **state)
{
    base_table(&tbl);
    assert_int_equal(hota_part_to_bin(&tbl, bin), HOTA_OK);
    bin[4 * 32 + 16] ^= 0x01; /* digest */
    assert_int_equal(hota_part_parse(bin, sizeof bin, &tbl2), HOTA_E_PART_MD5);
    assert_int_equal(tbl2.count, 0);
    assert_int_equal(hota_part_to_bin(&tbl, bin), HOTA_OK);
    bin[8] ^= 0x10; /* a partition's size */
    assert_int_equal(hota_part_parse(bin, sizeof bin, &tbl2), HOTA_E_PART_MD5);
}

static void test_bin_bad_magic_and_garbage(void **state)
{
    base_table(&tbl);
    assert_int_equal(hota_part_to_bin(&tbl, bin), HOTA_OK);
    bin[32] = 0xAB;
    assert_int_equal(hota_part_parse(bin, sizeof bin, &tbl2), HOTA_E_PART_MAGIC);
    uint32_t x = 12345;
    for (size_t i = 0; i < sizeof bin; i++) {
        x = x * 1103515245u + 12345u;
        bin[i] = (uint8_t)(x >> 16);
    }
    assert_int_equal(hota_part_parse(bin, sizeof bin, &tbl2), HOTA_E_PART_MAGIC);
}

static void test_bin_empty_and_truncated(void **state)
{
    memset(bin, 0xFF, sizeof bin);
    assert_int_equal(hota_part_parse(bin, sizeof bin, &tbl2), HOTA_E_PART_TABLE);
    assert_int_equal(hota_part_parse(bin, 0, &tbl2), HOTA_E_PART_TABLE);
    base_table(&tbl);
    assert_int_equal(hota_part_to_bin(&tbl, bin), HOTA_OK);
    assert_int_equal(hota_part_parse(bin, 33, &tbl2), HOTA_E_PART_TABLE);
    /* a short copy of whole entries: the rest is erased flash */
    assert_int_equal(hota_part_parse(bin, 4 * 32, &tbl2), HOTA_OK);
    assert_false(tbl2.has_md5);
    assert_int_equal(tbl2.count, 4);
    assert_int_equal(hota_part_parse(NULL, 0, NULL), HOTA_E_INVALID_ARG);
}

static void test_bin_not_terminated(void **state)
{
    /* 95 partitions and the MD5 entry fill the whole region: no end marker */
    memset(&tbl, 0, sizeof tbl);
    for (unsigned i = 0; i < HOTA_PART_MAX_ENTRIES; i++) {
        char label[8];
        snprintf(label, sizeof label, "p%u", i);
        add(&tbl, label, 1, 0x81, 0x10000 + i * 0x1000, 0x1000);
    }
    tbl.count = HOTA_PART_MAX_ENTRIES - 1;
    assert_int_equal(hota_part_to_bin(&tbl, bin), HOTA_OK);
    memcpy(bin + 94 * 32, bin + 93 * 32, 32);
    bin[94 * 32 + 5] = 0xE0; /* offset 0x6e000 */
    bin[94 * 32 + 14] = '4'; /* label p94 */
    memset(bin + 95 * 32, 0xFF, 16);
    bin[95 * 32] = bin[95 * 32 + 1] = 0xEB;
    assert_int_equal(mbedtls_md5_ret(bin, 95 * 32, bin + 95 * 32 + 16), 0);
    assert_int_equal(hota_part_parse(bin, sizeof bin, &tbl2), HOTA_E_PART_TABLE);
    /* the same 95 partitions are fine when the end marker follows within the data */
    memset(bin + 95 * 32, 0xFF, 32);
    assert_int_equal(hota_part_parse(bin, sizeof bin, &tbl2), HOTA_OK);
    assert_int_equal(tbl2.count, 95);
    assert_string_equal(tbl2.part[94].label, "p94");
    /* an entry after the MD5 entry */
    base_table(&tbl);
    assert_int_equal(hota_part_to_bin(&tbl, bin), HOTA_OK);
    memcpy(bin + 5 * 32, bin, 32);
    assert_int_equal(hota_part_parse(bin, sizeof bin, &tbl2), HOTA_E_PART_TABLE);
}

static void test_bin_layout_errors(void **state)
{
    base_table(&tbl);
    assert_int_equal(parse_of(&tbl), HOTA_OK);
    tbl.part[3].offset = 0x100000; /* ota_1 inside ota_0 */
    assert_int_equal(parse_of(&tbl), HOTA_E_PART_OVERLAP);
    base_table(&tbl);
    tbl.part[3].offset = 0x118000; /* app not on 64 KiB */
    assert_int_equal(parse_of(&tbl), HOTA_E_PART_ALIGN);
    base_table(&tbl);
    tbl.part[0].offset = 0x9800; /* data not on 4 KiB */
    assert_int_equal(parse_of(&tbl), HOTA_E_PART_ALIGN);
    base_table(&tbl);
    tbl.part[2].size = 0x100800; /* app size not 4 KiB */
    assert_int_equal(parse_of(&tbl), HOTA_E_PART_ALIGN);
    base_table(&tbl);
    tbl.part[0].offset = 0x7000; /* below the table */
    assert_int_equal(parse_of(&tbl), HOTA_E_PART_OVERLAP);
    base_table(&tbl);
    strcpy(tbl.part[3].label, "ota_0"); /* duplicate label */
    assert_int_equal(parse_of(&tbl), HOTA_E_PART_TABLE);
    base_table(&tbl);
    assert_int_equal(hota_part_verify(&tbl, 0x200000), HOTA_E_FLASH_RANGE);
    assert_int_equal(hota_part_verify(&tbl, 0x210000), HOTA_OK);
}

static void test_to_csv(void **state)
{
    static char text[4096];
    assert_int_equal(csv(hota_part_csv_two_ota, 0), HOTA_OK);
    tbl.part[2].flags = HOTA_PART_FLAG_ENCRYPTED | HOTA_PART_FLAG_READONLY;
    tbl.part[0].size = 0x4400;
    assert_int_equal(hota_part_to_csv(&tbl, text, sizeof text), HOTA_OK);
    assert_non_null(strstr(text, "# ESP-IDF Partition Table\n"));
    assert_non_null(strstr(text, "\nnvs,data,nvs,0x9000,17K,\n"));
    assert_non_null(strstr(text, "\nphy_init,data,phy,0xf000,4K,encrypted:readonly\n"));
    assert_non_null(strstr(text, "\nota_1,app,ota_1,0x210000,1M,\n"));
    assert_int_equal(hota_part_to_csv(&tbl, text, 40), HOTA_E_BUFFER_TOO_SMALL);
    /* and back */
    tbl.part[0].size = 0x4000;
    assert_int_equal(hota_part_to_csv(&tbl, text, sizeof text), HOTA_OK);
    tbl2 = tbl;
    assert_int_equal(csv(text, 0), HOTA_OK);
    assert_memory_equal(tbl.part, tbl2.part, tbl.count * sizeof tbl.part[0]);
    assert_string_equal(hota_part_subtype_name(1, 0x83), "littlefs");
    assert_null(hota_part_subtype_name(1, 0x40));
    assert_string_equal(hota_part_type_name(0), "app");
}

static void test_flash_read_write(void **state)
{
    char path[] = "/tmp/hota-part-XXXXXX";
    hota_flash_file_t ff;
    hota_flash_t dev;
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    hota_flash_file_init(&ff);
    assert_int_equal(hota_flash_file_open(&ff, path, 1, 4 * 1024 * 1024, 1, &dev), HOTA_OK);
    assert_int_equal(hota_part_read(&dev, &tbl2), HOTA_E_PART_TABLE); /* erased */
    assert_int_equal(csv(hota_part_csv_two_ota, 0), HOTA_OK);
    assert_int_equal(hota_part_write(&dev, &tbl), HOTA_OK);
    assert_int_equal(hota_part_write(&dev, &tbl), HOTA_OK); /* erases first: strict mode is fine */
    assert_int_equal(hota_part_read(&dev, &tbl2), HOTA_OK);
    assert_int_equal(tbl2.count, 6);
    assert_memory_equal(tbl.part, tbl2.part, 6 * sizeof tbl.part[0]);
    hota_flash_file_free(&ff);
    assert_int_equal(hota_flash_file_open(&ff, path, 1, 2 * 1024 * 1024, 1, &dev), HOTA_OK);
    assert_int_equal(hota_part_write(&dev, &tbl), HOTA_E_FLASH_RANGE); /* needs 4 MB */
    hota_flash_file_free(&ff);
    unlink(path);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_two_ota_default),
        cmocka_unit_test(test_auto_placement),
        cmocka_unit_test(test_csv_syntax),
        cmocka_unit_test(test_csv_overlap_after_auto),
        cmocka_unit_test(test_negative_size),
        cmocka_unit_test(test_csv_errors),
        cmocka_unit_test(test_entry_limit),
        cmocka_unit_test(test_bin_bad_md5),
        cmocka_unit_test(test_bin_bad_magic_and_garbage),
        cmocka_unit_test(test_bin_empty_and_truncated),
        cmocka_unit_test(test_bin_not_terminated),
        cmocka_unit_test(test_bin_layout_errors),
        cmocka_unit_test(test_to_csv),
        cmocka_unit_test(test_flash_read_write),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
