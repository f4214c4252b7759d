/* File-backed NOR flash: NOR semantics, strict mode, operation counting, power-fail injection. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "hota/error.h"
#include "hota/flash.h"
#include "hota/flash_file.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define MIB (1024u * 1024u)

typedef struct fixture {
    char path[64];
    hota_flash_file_t ff;
    hota_flash_t dev;
} fixture_t;

static int setup(void **state)
{
    fixture_t *fx = calloc(1, sizeof *fx);
    assert_non_null(fx);
    snprintf(fx->path, sizeof fx->path, "/tmp/hota-ff-XXXXXX");
    int fd = mkstemp(fx->path);
    assert_true(fd >= 0);
    close(fd);
    unsetenv("HOTA_FLASH_FAULT");
    hota_flash_file_init(&fx->ff);
    *state = fx;
    return 0;
}

static int teardown(void **state)
{
    fixture_t *fx = *state;
    hota_flash_file_free(&fx->ff);
    unlink(fx->path);
    free(fx);
    return 0;
}

static void open_new(fixture_t *fx, int strict)
{
    assert_int_equal(hota_flash_file_open(&fx->ff, fx->path, 1, MIB, strict, &fx->dev), HOTA_OK);
}

/* Bytes of the backing file, read without the flash layer. */
static void file_bytes(const char *path, uint32_t addr, uint8_t *buf, size_t len)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    assert_int_equal(fseek(f, (long)addr, SEEK_SET), 0);
    assert_int_equal(fread(buf, 1, len, f), len);
    fclose(f);
}

static size_t count_byte(const uint8_t *p, size_t n, uint8_t v)
{
    size_t c = 0;
    for (size_t i = 0; i < n; i++)
        c += p[i] == v;
    return c;
}

static void test_create_sizes(void **state)
{
    fixture_t *fx = *state;
    struct stat st;
    uint8_t buf[4096];
    assert_int_equal(hota_flash_file_open(&fx->ff, fx->path, 1, MIB + 100, 0, &fx->dev),
                     HOTA_E_FLASH_SIZE);
    assert_int_equal(hota_flash_file_open(&fx->ff, fx->path, 1, 512 * 1024, 0, &fx->dev),
                     HOTA_E_FLASH_SIZE);
    open_new(fx, 0);
    assert_int_equal(stat(fx->path, &st), 0);
    assert_int_equal(st.st_size, MIB);
    assert_int_equal(hota_flash_size(&fx->dev), MIB);
    assert_int_equal(fx->dev.ops->sector_size(fx->dev.ctx), 4096);
    assert_int_equal(hota_flash_read(&fx->dev, MIB - sizeof buf, buf, sizeof buf), HOTA_OK);
    assert_int_equal(count_byte(buf, sizeof buf, 0xFF), sizeof buf);
    file_bytes(fx->path, 0, buf, sizeof buf);
    assert_int_equal(count_byte(buf, sizeof buf, 0xFF), sizeof buf);
}

static void test_open_existing(void **state)
{
    fixture_t *fx = *state;
    uint8_t b = 0x5A;
    open_new(fx, 0);
    assert_int_equal(hota_flash_write(&fx->dev, 0x1234, &b, 1), HOTA_OK);
    hota_flash_file_free(&fx->ff);
    hota_flash_file_free(&fx->ff); /* safe twice */
    assert_int_equal(hota_flash_file_open(&fx->ff, fx->path, 0, 2 * MIB, 0, &fx->dev),
                     HOTA_E_FLASH_SIZE);
    assert_int_equal(hota_flash_file_open(&fx->ff, fx->path, 0, 0, 0, &fx->dev), HOTA_OK);
    b = 0;
    assert_int_equal(hota_flash_read(&fx->dev, 0x1234, &b, 1), HOTA_OK);
    assert_int_equal(b, 0x5A);
    hota_flash_file_free(&fx->ff);
    assert_int_equal(hota_flash_file_open(&fx->ff, "/nonexistent/dir/flash.bin", 0, 0, 0, &fx->dev),
                     HOTA_E_FILE_OPEN);
    assert_int_equal(truncate(fx->path, MIB + 1), 0);
    assert_int_equal(hota_flash_file_open(&fx->ff, fx->path, 0, 0, 0, &fx->dev),
                     HOTA_E_FLASH_SIZE);
}

static void test_nor_and_semantics(void **state)
{
    fixture_t *fx = *state;
    uint8_t a[4] = {0xF0, 0xFF, 0x00, 0xAA}, b[4] = {0x3C, 0x0F, 0xFF, 0x55}, r[4];
    open_new(fx, 0);
    assert_int_equal(hota_flash_write(&fx->dev, 0x2000, a, 4), HOTA_OK);
    assert_int_equal(hota_flash_write(&fx->dev, 0x2000, b, 4), HOTA_OK);
    assert_int_equal(hota_flash_read(&fx->dev, 0x2000, r, 4), HOTA_OK);
    for (int i = 0; i < 4; i++)
        assert_int_equal(r[i], a[i] & b[i]);
    assert_int_equal(hota_flash_erase(&fx->dev, 0x2000, 4096), HOTA_OK);
    assert_int_equal(hota_flash_read(&fx->dev, 0x2000, r, 4), HOTA_OK);
    assert_int_equal(count_byte(r, 4, 0xFF), 4);
}

/* Whatever the I/O mode, the device and the file agree at once both ways: bytes the device
 * wrote or erased are in the file, bytes another writer put in the file are read back. */
static void test_io_coherence(void **state)
{
    fixture_t *fx = *state;
    const char *io = getenv("HOTA_FLASH_IO");
    uint8_t w[5000], r[5000];
    FILE *f;
    open_new(fx, 1);
    assert_int_equal(fx->ff.map_writes, !(io && strcmp(io, "pwrite") == 0));
    for (size_t i = 0; i < sizeof w; i++)
        w[i] = (uint8_t)(i * 13 + 1);
    assert_int_equal(hota_flash_write(&fx->dev, 0x3000, w, sizeof w), HOTA_OK);
    file_bytes(fx->path, 0x3000, r, sizeof r);
    assert_memory_equal(r, w, sizeof w);
    assert_int_equal(hota_flash_erase(&fx->dev, 0x4000, 4096), HOTA_OK);
    file_bytes(fx->path, 0x4000, r, 4096);
    assert_int_equal(count_byte(r, 4096, 0xFF), 4096);
    f = fopen(fx->path, "r+b");
    assert_non_null(f);
    assert_int_equal(fseek(f, 0x8000, SEEK_SET), 0);
    assert_int_equal(fwrite("outside", 1, 7, f), 7);
    fclose(f);
    assert_int_equal(hota_flash_read(&fx->dev, 0x8000, r, 7), HOTA_OK);
    assert_memory_equal(r, "outside", 7);
}

static void test_range_and_alignment(void **state)
{
    fixture_t *fx = *state;
    uint8_t r[8] = {0};
    open_new(fx, 0);
    assert_int_equal(hota_flash_read(&fx->dev, MIB - 4, r, 8), HOTA_E_FLASH_RANGE);
    assert_int_equal(hota_flash_write(&fx->dev, MIB - 4, r, 8), HOTA_E_FLASH_RANGE);
    assert_int_equal(hota_flash_write(&fx->dev, 0xFFFFFFFCu, r, 8), HOTA_E_FLASH_RANGE);
    assert_int_equal(hota_flash_erase(&fx->dev, 0x100, 4096), HOTA_E_FLASH_ALIGN);
    assert_int_equal(hota_flash_erase(&fx->dev, 0x1000, 100), HOTA_E_FLASH_ALIGN);
    assert_int_equal(hota_flash_erase(&fx->dev, MIB, 4096), HOTA_E_FLASH_RANGE);
    assert_int_equal(fx->dev.ops->erase_sector(fx->dev.ctx, 0x10), HOTA_E_FLASH_ALIGN);
    assert_int_equal(fx->dev.ops->write(fx->dev.ctx, MIB, r, 1), HOTA_E_FLASH_RANGE);
    assert_int_equal(hota_flash_read(&fx->dev, MIB - 8, r, 8), HOTA_OK);
    assert_int_equal(fx->ff.ops, 0);
}

static void test_strict_mode(void **state)
{
    fixture_t *fx = *state;
    uint8_t a = 0xF0, b = 0x0F, c = 0x30, r;
    open_new(fx, 1);
    assert_int_equal(hota_flash_write(&fx->dev, 0x3000, &a, 1), HOTA_OK);
    assert_int_equal(hota_flash_write(&fx->dev, 0x3000, &b, 1), HOTA_E_FLASH_NOT_ERASED);
    assert_int_equal(hota_flash_read(&fx->dev, 0x3000, &r, 1), HOTA_OK);
    assert_int_equal(r, 0xF0);
    assert_int_equal(hota_flash_write(&fx->dev, 0x3000, &c, 1), HOTA_OK); /* only clears */
    assert_int_equal(hota_flash_read(&fx->dev, 0x3000, &r, 1), HOTA_OK);
    assert_int_equal(r, 0x30);
    assert_int_equal(hota_flash_erase(&fx->dev, 0x3000, 4096), HOTA_OK);
    assert_int_equal(hota_flash_write(&fx->dev, 0x3000, &b, 1), HOTA_OK);
}

static void test_ops_count(void **state)
{
    fixture_t *fx = *state;
    uint8_t d[16];
    memset(d, 0x11, sizeof d);
    open_new(fx, 0);
    assert_int_equal(hota_flash_write(&fx->dev, 0, d, sizeof d), HOTA_OK);
    assert_int_equal(hota_flash_write(&fx->dev, 0x100, d, sizeof d), HOTA_OK);
    assert_int_equal(hota_flash_erase(&fx->dev, 0x10000, 3 * 4096), HOTA_OK);
    assert_int_equal(hota_flash_read(&fx->dev, 0, d, sizeof d), HOTA_OK);
    assert_int_equal(fx->dev.ops_count, 5);
    assert_int_equal(fx->ff.ops, 5);
    assert_int_equal(fx->ff.writes, 2);
    assert_int_equal(fx->ff.erases, 3);
}

static void test_fault_parse(void **state)
{
    static const char *bad[] = {"cut", "cut@", "cut@0", "cut@x", "cut@3x", "torn@-1", "burn@3",
                                "cut@ 3", "CUT@3", "cut@1234567890123456789"};
    int kind;
    uint64_t at;
    fixture_t *fx = *state;
    assert_int_equal(hota_flash_fault_parse("cut@7", &kind, &at), HOTA_OK);
    assert_int_equal(kind, HOTA_FLASH_FAULT_CUT);
    assert_int_equal(at, 7);
    assert_int_equal(hota_flash_fault_parse("torn@12", &kind, &at), HOTA_OK);
    assert_int_equal(kind, HOTA_FLASH_FAULT_TORN);
    assert_int_equal(at, 12);
    assert_int_equal(hota_flash_fault_parse("", &kind, &at), HOTA_OK);
    assert_int_equal(kind, HOTA_FLASH_FAULT_NONE);
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_int_equal(hota_flash_fault_parse(bad[i], &kind, &at), HOTA_E_INVALID_ARG);
    setenv("HOTA_FLASH_FAULT", "cut@zero", 1);
    assert_int_equal(hota_flash_file_open(&fx->ff, fx->path, 1, MIB, 0, &fx->dev),
                     HOTA_E_INVALID_ARG);
    unsetenv("HOTA_FLASH_FAULT");
}

static void test_fault_no_exit(void **state)
{
    fixture_t *fx = *state;
    uint8_t z[8] = {0}, r[8];
    open_new(fx, 0);
    assert_int_equal(hota_flash_file_set_fault(&fx->ff, HOTA_FLASH_FAULT_CUT, 0, 0),
                     HOTA_E_INVALID_ARG);
    assert_int_equal(hota_flash_file_set_fault(&fx->ff, HOTA_FLASH_FAULT_CUT, 2, 0), HOTA_OK);
    assert_int_equal(hota_flash_write(&fx->dev, 0, z, 8), HOTA_OK);
    assert_int_equal(hota_flash_write(&fx->dev, 0x100, z, 8), HOTA_E_POWER_CUT);
    assert_int_equal(hota_flash_erase(&fx->dev, 0, 4096), HOTA_E_POWER_CUT);
    assert_int_equal(hota_flash_read(&fx->dev, 0, r, 8), HOTA_OK);
    assert_int_equal(count_byte(r, 8, 0x00), 8);
    assert_int_equal(hota_flash_read(&fx->dev, 0x100, r, 8), HOTA_OK);
    assert_int_equal(count_byte(r, 8, 0xFF), 8);
}

/* Run ops in a child with HOTA_FLASH_FAULT=spec; returns its exit status; stderr to errpath. */
typedef void (*child_fn)(hota_flash_t *dev);

static int run_child(fixture_t *fx, const char *spec, child_fn fn, const char *errpath)
{
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        hota_flash_file_t ff;
        hota_flash_t dev;
        int fd = open(errpath, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (fd < 0 || dup2(fd, 2) < 0)
            _exit(3);
        setenv("HOTA_FLASH_FAULT", spec, 1);
        hota_flash_file_init(&ff);
        if (hota_flash_file_open(&ff, fx->path, 0, 0, 0, &dev) != HOTA_OK)
            _exit(4);
        fn(&dev);
        hota_flash_file_free(&ff);
        _exit(0);
    }
    int status = 0;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    return WEXITSTATUS(status);
}

static void four_ops(hota_flash_t *dev)
{
    uint8_t d[16];
    memset(d, 0x00, sizeof d);
    hota_flash_write(dev, 0x1000, d, sizeof d); /* op 1 */
    hota_flash_erase(dev, 0x2000, 4096);        /* op 2 */
    hota_flash_write(dev, 0x3000, d, sizeof d); /* op 3 */
    hota_flash_write(dev, 0x4000, d, sizeof d); /* op 4 */
}

static void read_text(const char *path, char *buf, size_t cap)
{
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    size_t n = fread(buf, 1, cap - 1, f);
    buf[n] = '\0';
    fclose(f);
}

static void test_cut_in_child(void **state)
{
    fixture_t *fx = *state;
    uint8_t b[16], pre[16];
    char err[256], errpath[80];
    open_new(fx, 0);
    memset(pre, 0x00, sizeof pre);
    assert_int_equal(hota_flash_write(&fx->dev, 0x2000, pre, sizeof pre), HOTA_OK);
    hota_flash_file_free(&fx->ff);
    snprintf(errpath, sizeof errpath, "%s.err", fx->path);
    assert_int_equal(run_child(fx, "cut@3", four_ops, errpath), HOTA_POWER_CUT_EXIT);
    file_bytes(fx->path, 0x1000, b, sizeof b);
    assert_int_equal(count_byte(b, sizeof b, 0x00), sizeof b); /* op 1 landed */
    file_bytes(fx->path, 0x2000, b, sizeof b);
    assert_int_equal(count_byte(b, sizeof b, 0xFF), sizeof b); /* op 2 (erase) landed */
    file_bytes(fx->path, 0x3000, b, sizeof b);
    assert_int_equal(count_byte(b, sizeof b, 0xFF), sizeof b); /* op 3 never happened */
    file_bytes(fx->path, 0x4000, b, sizeof b);
    assert_int_equal(count_byte(b, sizeof b, 0xFF), sizeof b); /* nor op 4 */
    read_text(errpath, err, sizeof err);
    assert_string_equal(err, "hota: power cut at flash operation 3 (write 0x3000)\n");
    assert_int_equal(run_child(fx, "cut@2", four_ops, errpath), HOTA_POWER_CUT_EXIT);
    read_text(errpath, err, sizeof err);
    assert_string_equal(err, "hota: power cut at flash operation 2 (erase 0x2000)\n");
    assert_int_equal(run_child(fx, "cut@5", four_ops, errpath), 0);
    unlink(errpath);
}

static void torn_write_op(hota_flash_t *dev)
{
    uint8_t d[64];
    memset(d, 0x00, sizeof d);
    hota_flash_write(dev, 0x5000, d, sizeof d);
}

static size_t torn_write_prefix(fixture_t *fx, const char *errpath)
{
    uint8_t b[64];
    assert_int_equal(hota_flash_file_open(&fx->ff, fx->path, 1, MIB, 0, &fx->dev), HOTA_OK);
    hota_flash_file_free(&fx->ff);
    assert_int_equal(run_child(fx, "torn@1", torn_write_op, errpath), HOTA_POWER_CUT_EXIT);
    file_bytes(fx->path, 0x5000, b, sizeof b);
    size_t zeros = count_byte(b, sizeof b, 0x00);
    for (size_t i = 0; i < sizeof b; i++)
        assert_int_equal(b[i], i < zeros ? 0x00 : 0xFF); /* a prefix */
    return zeros;
}

static void test_torn_write(void **state)
{
    fixture_t *fx = *state;
    char errpath[80], err[256];
    snprintf(errpath, sizeof errpath, "%s.err", fx->path);
    size_t first = torn_write_prefix(fx, errpath);
    assert_true(first > 0 && first < 64);
    assert_int_equal(torn_write_prefix(fx, errpath), first); /* reproducible */
    read_text(errpath, err, sizeof err);
    assert_non_null(strstr(err, "hota: power cut at flash operation 1 (write 0x5000)"));
    unlink(errpath);
}

static void torn_erase_ops(hota_flash_t *dev)
{
    hota_flash_erase(dev, 0x6000, 4096);
}

static void test_torn_erase(void **state)
{
    fixture_t *fx = *state;
    uint8_t z[4096], b[4096];
    char errpath[80];
    snprintf(errpath, sizeof errpath, "%s.err", fx->path);
    open_new(fx, 0);
    memset(z, 0x00, sizeof z);
    assert_int_equal(hota_flash_write(&fx->dev, 0x6000, z, sizeof z), HOTA_OK);
    hota_flash_file_free(&fx->ff);
    assert_int_equal(run_child(fx, "torn@1", torn_erase_ops, errpath), HOTA_POWER_CUT_EXIT);
    file_bytes(fx->path, 0x6000, b, sizeof b);
    size_t ff = count_byte(b, sizeof b, 0xFF), zero = count_byte(b, sizeof b, 0x00);
    assert_int_equal(ff + zero, sizeof b); /* each byte erased or old */
    assert_true(ff > 0 && zero > 0);
    unlink(errpath);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_create_sizes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_open_existing, setup, teardown),
        cmocka_unit_test_setup_teardown(test_nor_and_semantics, setup, teardown),
        cmocka_unit_test_setup_teardown(test_range_and_alignment, setup, teardown),
        cmocka_unit_test_setup_teardown(test_strict_mode, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ops_count, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fault_parse, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fault_no_exit, setup, teardown),
        cmocka_unit_test_setup_teardown(test_cut_in_child, setup, teardown),
        cmocka_unit_test_setup_teardown(test_torn_write, setup, teardown),
        cmocka_unit_test_setup_teardown(test_torn_erase, setup, teardown),
        cmocka_unit_test_setup_teardown(test_io_coherence, setup, teardown),
    };
    int failed;
    /* Every test in both I/O modes of the port: through the shared mapping, then pwrite. */
    unsetenv("HOTA_FLASH_IO");
    failed = cmocka_run_group_tests_name("mapped", tests, NULL, NULL);
    setenv("HOTA_FLASH_IO", "pwrite", 1);
    failed += cmocka_run_group_tests_name("pwrite", tests, NULL, NULL);
    unsetenv("HOTA_FLASH_IO");
    return failed;
}
