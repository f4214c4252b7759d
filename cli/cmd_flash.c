/* hota flash SUBCOMMAND: create, info, write, read, set-boot, install on a simulated ESP32. */
#include "cli.h"

#include "hota/device.h"
#include "hota/error.h"
#include "hota/sbv2.h"
#include "hota/slot.h"

#include <stdlib.h>
#include <string.h>

#define CHUNK 4096u
#define DEFAULT_FLASH_SIZE (4u * 1024u * 1024u)

/* What every flash command reports. */
typedef struct fcmd {
    const char *cmd;
    const char *path;
    int json;
    hota_device_t dev;
    cli_json_t j;
} fcmd_t;

static void fcmd_init(fcmd_t *f, const char *cmd)
{
    memset(f, 0, sizeof *f);
    f->cmd = cmd;
    hota_device_init(&f->dev);
}

static void json_open(fcmd_t *f)
{
    if (f->json) {
        cli_json_begin(&f->j, stdout);
        cli_json_str(&f->j, "command", f->cmd);
    }
}

/* Close the report: result, error, flash operations; the exit code. */
static int fcmd_done(fcmd_t *f, int rc, const char *what)
{
    if (f->json) {
        cli_json_result(&f->j, rc);
        cli_json_uint(&f->j, "flash_ops", f->dev.flash.ops_count);
        cli_json_end(&f->j);
    }
    hota_device_free(&f->dev);
    if (rc != HOTA_OK)
        return f->json ? cli_exit_code(rc) : cli_fail(f->cmd, what, rc);
    return CLI_EXIT_OK;
}

static int fcmd_open(fcmd_t *f)
{
    int rc = hota_device_open(&f->dev, f->path);
    json_open(f);
    return rc;
}

static void json_app(cli_json_t *j, const char *key, int rc, const hota_image_info_t *info)
{
    cli_json_obj_open(j, key);
    cli_json_bool(j, "verifies", rc == HOTA_OK);
    cli_json_str(j, "error", rc == HOTA_OK ? NULL : hota_errname(rc));
    if (rc == HOTA_OK && info->has_app_desc) {
        cli_json_str(j, "version", info->app.version);
        cli_json_str(j, "project", info->app.project_name);
        cli_json_uint(j, "secure_version", info->app.secure_version);
    }
    cli_json_obj_close(j);
}

/* ---------------------------------------------------------------- create */
struct create_opts {
    uint64_t size;
    const char *table, *factory;
    hota_efuse_t efuse;
};

static int load_file(const char *path, size_t cap, uint8_t **buf, size_t *len)
{
    FILE *fp = fopen(path, "rb");
    int rc = HOTA_E_IO;
    if (!fp)
        return HOTA_E_FILE_OPEN;
    *buf = malloc(cap + 1);
    if (!*buf) {
        fclose(fp);
        return HOTA_E_NO_MEMORY;
    }
    *len = fread(*buf, 1, cap + 1, fp);
    if (!ferror(fp))
        rc = *len > cap ? HOTA_E_IMAGE_TOO_LARGE : HOTA_OK;
    fclose(fp);
    if (rc != HOTA_OK) {
        free(*buf);
        *buf = NULL;
    }
    return rc;
}

static int ends_with(const char *s, const char *sfx)
{
    size_t a = strlen(s), b = strlen(sfx);
    return a >= b && !strcmp(s + a - b, sfx);
}

static int load_table(const char *spec, uint32_t size, hota_part_table_t *t)
{
    uint8_t *buf = NULL;
    size_t len = 0;
    int rc;
    if (!spec || !strcmp(spec, "two-ota"))
        return hota_part_from_csv(hota_part_csv_two_ota, strlen(hota_part_csv_two_ota), size, t);
    rc = load_file(spec, 64u * 1024u, &buf, &len);
    if (rc != HOTA_OK)
        return rc;
    if (ends_with(spec, ".csv"))
        rc = hota_part_from_csv((const char *)buf, len, size, t);
    else if ((rc = hota_part_parse(buf, len, t)) == HOTA_OK)
        rc = hota_part_verify(t, size);
    free(buf);
    return rc;
}

static int add_key(hota_efuse_t *e, const char *pem)
{
    if (e->key_count >= HOTA_EFUSE_MAX_KEYS)
        return HOTA_E_INVALID_ARG;
    e->flags |= HOTA_EFUSE_SECURE_BOOT;
    return hota_sbv2_key_digest_file(pem, e->key_digest[e->key_count++], NULL);
}

static int create_opt(cli_args_t *a, const char *opt, const char *val, struct create_opts *o,
                      int *json)
{
    const char *v;
    uint64_t n;
    if (!strcmp(opt, "--json"))
        return *json = 1, 0;
    if (!strcmp(opt, "--no-rollback"))
        return o->efuse.flags &= ~HOTA_EFUSE_ROLLBACK, 0;
    if (!strcmp(opt, "--anti-rollback"))
        return o->efuse.flags |= HOTA_EFUSE_ANTI_ROLLBACK, 0;
    if (!(v = cli_args_value(a, opt, val)))
        return -1;
    if (!strcmp(opt, "--size"))
        return cli_parse_size(v, &o->size) || o->size > UINT32_MAX ? -2 : 0;
    if (!strcmp(opt, "--table"))
        return o->table = v, 0;
    if (!strcmp(opt, "--factory"))
        return o->factory = v, 0;
    if (!strcmp(opt, "--chip"))
        return strcmp(v, "esp32") ? -2 : 0;
    if (!strcmp(opt, "--secure-version")) {
        if (cli_parse_size(v, &n) || n > 32)
            return -2;
        return o->efuse.secure_version = (uint32_t)n, 0;
    }
    if (!strcmp(opt, "--secure-boot-key"))
        return add_key(&o->efuse, v) ? -3 : 0;
    return -2;
}

static int write_raw(hota_device_t *d, const hota_partition_t *p, const uint8_t *buf,
                     size_t len)
{
    uint32_t need = (uint32_t)((len + HOTA_FLASH_SECTOR_SIZE - 1) / HOTA_FLASH_SECTOR_SIZE *
                               HOTA_FLASH_SECTOR_SIZE);
    int rc;
    if (len > p->size)
        return HOTA_E_IMAGE_TOO_LARGE;
    rc = hota_flash_erase(&d->flash, p->offset, need);
    for (size_t off = 0; rc == HOTA_OK && off < len; off += CHUNK)
        rc = hota_flash_write(&d->flash, p->offset + (uint32_t)off, buf + off,
                              len - off < CHUNK ? len - off : CHUNK);
    return rc;
}

static int create_factory(fcmd_t *f, const hota_part_table_t *t, const char *img,
                          uint8_t **buf, size_t *len)
{
    hota_image_policy_t pol;
    hota_image_info_t info;
    const hota_partition_t *p = hota_part_find(t, HOTA_PART_TYPE_APP,
                                               HOTA_PART_SUBTYPE_FACTORY);
    int rc;
    if (!img)
        return HOTA_OK;
    if (!p)
        return HOTA_E_PART_NOT_FOUND;
    rc = load_file(img, p->size, buf, len);
    if (rc != HOTA_OK)
        return rc;
    hota_efuse_policy(&f->dev.efuse, p->size, &pol);
    return hota_image_verify_buffer(*buf, *len, &pol, &info);
}

static int create_run(fcmd_t *f, struct create_opts *o)
{
    hota_part_table_t *t = malloc(sizeof *t);
    uint8_t *img = NULL;
    size_t len = 0;
    int rc = t ? load_table(o->table, (uint32_t)o->size, t) : HOTA_E_NO_MEMORY;
    if (rc == HOTA_E_FLASH_RANGE)
        rc = HOTA_E_FLASH_SIZE;
    f->dev.efuse = o->efuse;
    if (rc == HOTA_OK)
        rc = create_factory(f, t, o->factory, &img, &len);
    if (rc == HOTA_OK)
        rc = hota_device_create(&f->dev, f->path, (uint32_t)o->size, t, &o->efuse);
    if (rc == HOTA_OK && img)
        rc = write_raw(&f->dev, hota_device_slot_part(&f->dev, HOTA_SLOT_FACTORY), img, len);
    free(img);
    free(t);
    return rc;
}

static int flash_create(int argc, char **argv)
{
    fcmd_t f;
    struct create_opts o = {DEFAULT_FLASH_SIZE, NULL, NULL, {0}};
    cli_args_t a;
    const char *opt, *val, *pos;
    int rc;
    fcmd_init(&f, "flash create");
    hota_efuse_init(&o.efuse);
    cli_args_init(&a, argc, argv);
    while (cli_args_next(&a, &opt, &val, &pos)) {
        if (pos) {
            if (f.path)
                return cli_usage_error(f.cmd, "unexpected argument '%s'", pos);
            f.path = pos;
        } else if ((rc = create_opt(&a, opt, val, &o, &f.json)) != 0) {
            if (rc == -3)
                return cli_fail(f.cmd, "--secure-boot-key", HOTA_E_KEY);
            return rc == -1 ? CLI_EXIT_USAGE : cli_usage_error(f.cmd, "bad option %s", opt);
        }
    }
    if (!f.path)
        return cli_usage_error(f.cmd, "usage: hota flash create FLASH [options]");
    json_open(&f);
    rc = create_run(&f, &o);
    if (f.json && rc == HOTA_OK)
        cli_json_uint(&f.j, "size", o.size);
    return fcmd_done(&f, rc, f.path);
}

/* ---------------------------------------------------------------- common parsing */
struct popts {
    const char *pos[2];
    int npos;
    const char *partition, *output;
    int json, ota;
};

static int parse_common(int argc, char **argv, const char *cmd, struct popts *o)
{
    cli_args_t a;
    const char *opt, *val, *pos;
    memset(o, 0, sizeof *o);
    cli_args_init(&a, argc, argv);
    while (cli_args_next(&a, &opt, &val, &pos)) {
        if (pos && !strcmp(pos, "-o"))
            pos = NULL, opt = "--output";
        if (pos) {
            if (o->npos >= 2)
                return cli_usage_error(cmd, "unexpected argument '%s'", pos);
            o->pos[o->npos++] = pos;
        } else if (!strcmp(opt, "--json")) {
            o->json = 1;
        } else if (!strcmp(opt, "--ota")) {
            o->ota = 1;
        } else if (!strcmp(opt, "--partition") || !strcmp(opt, "--output")) {
            const char *v = cli_args_value(&a, opt, val);
            if (!v)
                return CLI_EXIT_USAGE;
            *(opt[2] == 'p' ? &o->partition : &o->output) = v;
        } else {
            return cli_usage_error(cmd, "unknown option %s", opt);
        }
    }
    return CLI_EXIT_OK;
}

/* ---------------------------------------------------------------- info */
static void info_partitions(fcmd_t *f)
{
    const hota_part_table_t *t = &f->dev.table;
    cli_json_arr_open(&f->j, "partitions");
    for (unsigned i = 0; i < t->count; i++) {
        const hota_partition_t *p = &t->part[i];
        const char *sub = hota_part_subtype_name(p->type, p->subtype);
        cli_json_obj_open(&f->j, NULL);
        cli_json_str(&f->j, "label", p->label);
        cli_json_str(&f->j, "type", hota_part_type_name(p->type));
        if (sub)
            cli_json_str(&f->j, "subtype", sub);
        else
            cli_json_uint(&f->j, "subtype", p->subtype);
        cli_json_uint(&f->j, "offset", p->offset);
        cli_json_uint(&f->j, "size", p->size);
        cli_json_obj_close(&f->j);
    }
    cli_json_arr_close(&f->j);
}

static void info_otadata(fcmd_t *f)
{
    hota_otadata_entry_t e[2];
    int rc = hota_device_read_otadata(&f->dev, e), a = rc == HOTA_OK ? hota_otadata_active(e) : -1;
    if (rc != HOTA_OK) {
        cli_json_null(&f->j, "otadata");
        return;
    }
    cli_json_bool(&f->j, "otadata_sane", hota_otadata_sane(e));
    cli_json_arr_open(&f->j, "otadata");
    for (int i = 0; i < 2; i++) {
        cli_json_obj_open(&f->j, NULL);
        cli_json_uint(&f->j, "seq", e[i].seq);
        cli_json_str(&f->j, "state", hota_otadata_state_name(e[i].state));
        cli_json_uint(&f->j, "crc", e[i].crc);
        cli_json_bool(&f->j, "crc_ok", hota_otadata_crc_ok(&e[i]));
        cli_json_bool(&f->j, "blank", hota_otadata_blank(&e[i]));
        cli_json_bool(&f->j, "active", a == i);
        cli_json_obj_close(&f->j);
    }
    cli_json_arr_close(&f->j);
}

static void info_efuse(fcmd_t *f)
{
    const hota_efuse_t *e = &f->dev.efuse;
    cli_json_obj_open(&f->j, "efuse");
    cli_json_uint(&f->j, "secure_version", e->secure_version);
    cli_json_bool(&f->j, "secure_boot", (e->flags & HOTA_EFUSE_SECURE_BOOT) != 0);
    cli_json_bool(&f->j, "anti_rollback", (e->flags & HOTA_EFUSE_ANTI_ROLLBACK) != 0);
    cli_json_bool(&f->j, "rollback", (e->flags & HOTA_EFUSE_ROLLBACK) != 0);
    cli_json_arr_open(&f->j, "key_digests");
    for (unsigned i = 0; i < e->key_count; i++)
        cli_json_hex(&f->j, NULL, e->key_digest[i], 32);
    cli_json_arr_close(&f->j);
    cli_json_obj_close(&f->j);
    if (e->running == HOTA_SLOT_NONE)
        cli_json_null(&f->j, "running");
    else
        cli_json_str(&f->j, "running", hota_device_slot_name(&f->dev, e->running));
}

static void info_apps(fcmd_t *f)
{
    hota_image_info_t info;
    cli_json_obj_open(&f->j, "apps");
    for (int s = HOTA_SLOT_FACTORY; s < (int)HOTA_OTA_MAX_SLOTS; s++) {
        const hota_partition_t *p = hota_device_slot_part(&f->dev, s);
        if (p)
            json_app(&f->j, p->label, hota_device_verify_slot(&f->dev, s, 0, &info), &info);
    }
    cli_json_obj_close(&f->j);
}

static void info_human(fcmd_t *f, int boot_rc, int boot_slot)
{
    hota_otadata_entry_t e[2];
    hota_image_info_t info;
    const hota_part_table_t *t = &f->dev.table;
    printf("flash %s: %u bytes, %u partitions\n", f->path, hota_flash_size(&f->dev.flash),
           t->count);
    for (unsigned i = 0; i < t->count; i++) {
        const hota_partition_t *p = &t->part[i];
        int s = hota_device_part_slot(p);
        int vrc = s == HOTA_SLOT_NONE ? -1 : hota_device_verify_slot(&f->dev, s, 0, &info);
        printf("  %-16s 0x%06x %8u", p->label, (unsigned)p->offset, (unsigned)p->size);
        if (vrc == HOTA_OK)
            printf("  app %s %s (secure_version %u)", info.app.project_name, info.app.version,
                   (unsigned)info.app.secure_version);
        else if (vrc > 0)
            printf("  no valid image (%s)", hota_errname(vrc));
        printf("\n");
    }
    if (hota_device_read_otadata(&f->dev, e) == HOTA_OK)
        for (int i = 0; i < 2; i++)
            printf("otadata[%d]: seq 0x%08x state %s crc 0x%08x%s\n", i, (unsigned)e[i].seq,
                   hota_otadata_state_name(e[i].state), (unsigned)e[i].crc,
                   hota_otadata_crc_ok(&e[i]) ? " (ok)" : " (bad)");
    printf("efuse: secure_version %u, secure boot %s (%u keys), anti-rollback %s, rollback %s\n",
           (unsigned)f->dev.efuse.secure_version,
           f->dev.efuse.flags & HOTA_EFUSE_SECURE_BOOT ? "on" : "off",
           (unsigned)f->dev.efuse.key_count,
           f->dev.efuse.flags & HOTA_EFUSE_ANTI_ROLLBACK ? "on" : "off",
           f->dev.efuse.flags & HOTA_EFUSE_ROLLBACK ? "on" : "off");
    printf("running: %s\nnext boot: %s\n", hota_device_slot_name(&f->dev, f->dev.efuse.running),
           boot_rc == HOTA_OK ? hota_device_slot_name(&f->dev, boot_slot) : hota_errname(boot_rc));
}

static int flash_info(int argc, char **argv)
{
    fcmd_t f;
    struct popts o;
    hota_boot_result_t res;
    int rc, brc;
    fcmd_init(&f, "flash info");
    if ((rc = parse_common(argc, argv, f.cmd, &o)) != CLI_EXIT_OK)
        return rc;
    if (o.npos != 1 || o.partition || o.output || o.ota)
        return cli_usage_error(f.cmd, "usage: hota flash info FLASH [--json]");
    f.path = o.pos[0];
    f.json = o.json;
    if ((rc = fcmd_open(&f)) != HOTA_OK)
        return fcmd_done(&f, rc, f.path);
    brc = hota_device_boot(&f.dev, 0, &res);
    if (!f.json) {
        info_human(&f, brc, res.slot);
        return fcmd_done(&f, HOTA_OK, f.path);
    }
    cli_json_uint(&f.j, "size", hota_flash_size(&f.dev.flash));
    info_partitions(&f);
    info_otadata(&f);
    info_efuse(&f);
    info_apps(&f);
    cli_json_str(&f.j, "boot", brc == HOTA_OK ? hota_device_slot_name(&f.dev, res.slot) : NULL);
    cli_json_str(&f.j, "boot_error", brc == HOTA_OK ? NULL : hota_errname(brc));
    return fcmd_done(&f, HOTA_OK, f.path);
}

/* ---------------------------------------------------------------- write / install */
static int slot_of_label(fcmd_t *f, const char *label, int *slot)
{
    const hota_partition_t *p = hota_part_find_label(&f->dev.table, label);
    *slot = hota_device_part_slot(p);
    if (!p)
        return HOTA_E_PART_NOT_FOUND;
    return *slot == HOTA_SLOT_NONE ? HOTA_E_INVALID_ARG : HOTA_OK;
}

/* begin / write (4 KiB pieces, each sector erased just before its first write) / end. */
static int stream_slot(fcmd_t *f, FILE *fp, hota_slot_writer_t *w, int slot,
                       hota_image_info_t *info)
{
    uint8_t buf[CHUNK];
    size_t n;
    int rc = hota_slot_begin(w, &f->dev, slot, HOTA_SLOT_SIZE_SEQUENTIAL);
    while (rc == HOTA_OK && (n = fread(buf, 1, sizeof buf, fp)) > 0)
        rc = hota_slot_write(w, buf, n);
    if (rc == HOTA_OK && ferror(fp))
        rc = HOTA_E_IO;
    if (rc != HOTA_OK) {
        hota_slot_abort(w);
        return rc;
    }
    return hota_slot_end(w, info);
}

static int write_file_raw(fcmd_t *f, FILE *fp, const hota_partition_t *p)
{
    uint8_t buf[CHUNK];
    size_t n;
    uint32_t off = 0;
    long len;
    int rc;
    if (fseek(fp, 0, SEEK_END) != 0 || (len = ftell(fp)) < 0 || fseek(fp, 0, SEEK_SET) != 0)
        return HOTA_E_IO;
    if ((unsigned long)len > p->size)
        return HOTA_E_IMAGE_TOO_LARGE;
    rc = hota_flash_erase(&f->dev.flash, p->offset,
                          ((uint32_t)len + CHUNK - 1) / CHUNK * CHUNK);
    while (rc == HOTA_OK && (n = fread(buf, 1, sizeof buf, fp)) > 0) {
        rc = hota_flash_write(&f->dev.flash, p->offset + off, buf, n);
        off += (uint32_t)n;
    }
    return rc == HOTA_OK && ferror(fp) ? HOTA_E_IO : rc;
}

static int write_run(fcmd_t *f, const struct popts *o, const char *file, int install)
{
    hota_image_info_t info;
    hota_slot_writer_t w;
    int slot = HOTA_SLOT_NONE, rc = HOTA_OK;
    FILE *fp;
    memset(&info, 0, sizeof info);
    if (o->partition)
        rc = slot_of_label(f, o->partition, &slot);
    if (rc != HOTA_OK && (o->ota || install || rc == HOTA_E_PART_NOT_FOUND))
        return rc;
    if (!(fp = fopen(file, "rb")))
        return HOTA_E_FILE_OPEN;
    if (o->ota || install)
        rc = stream_slot(f, fp, &w, slot, &info);
    else
        rc = write_file_raw(f, fp, hota_part_find_label(&f->dev.table, o->partition));
    fclose(fp);
    if (rc == HOTA_OK && install)
        rc = hota_slot_set_boot(&f->dev, w.slot);
    if (f->json && (o->ota || install)) {
        cli_json_str(&f->j, "partition", w.part ? w.part->label : NULL);
        cli_json_str(&f->j, "version", rc == HOTA_OK ? info.app.version : NULL);
    } else if (f->json) {
        cli_json_str(&f->j, "partition", o->partition);
    }
    if (rc == HOTA_OK && !f->json)
        printf("%s: wrote %s into %s\n", f->cmd, file,
               o->ota || install ? w.part->label : o->partition);
    return rc;
}

static int flash_write_common(int argc, char **argv, const char *cmd, int install)
{
    fcmd_t f;
    struct popts o;
    int rc;
    fcmd_init(&f, cmd);
    if ((rc = parse_common(argc, argv, cmd, &o)) != CLI_EXIT_OK)
        return rc;
    if (o.npos != 2 || o.output || (!install && !o.ota && !o.partition))
        return cli_usage_error(cmd, install ? "usage: hota flash install FLASH IMAGE "
                                              "[--partition LABEL] [--json]"
                                            : "usage: hota flash write FLASH --partition "
                                              "LABEL [--ota] FILE [--json]");
    f.path = o.pos[0];
    f.json = o.json;
    if ((rc = fcmd_open(&f)) == HOTA_OK)
        rc = write_run(&f, &o, o.pos[1], install);
    return fcmd_done(&f, rc, f.path);
}

static int flash_write(int argc, char **argv)
{
    return flash_write_common(argc, argv, "flash write", 0);
}

static int flash_install(int argc, char **argv)
{
    return flash_write_common(argc, argv, "flash install", 1);
}

/* ---------------------------------------------------------------- read */
static int read_run(fcmd_t *f, const hota_partition_t *p, const char *out)
{
    uint8_t buf[CHUNK];
    FILE *fp = fopen(out, "wb");
    int rc = HOTA_OK;
    if (!fp)
        return HOTA_E_FILE_OPEN;
    for (uint32_t off = 0; rc == HOTA_OK && off < p->size; off += CHUNK) {
        uint32_t n = p->size - off < CHUNK ? p->size - off : CHUNK;
        rc = hota_flash_read(&f->dev.flash, p->offset + off, buf, n);
        if (rc == HOTA_OK && fwrite(buf, 1, n, fp) != n)
            rc = HOTA_E_IO;
    }
    if (fclose(fp) != 0 && rc == HOTA_OK)
        rc = HOTA_E_IO;
    return rc;
}

static int flash_read(int argc, char **argv)
{
    fcmd_t f;
    struct popts o;
    const hota_partition_t *p;
    int rc;
    fcmd_init(&f, "flash read");
    if ((rc = parse_common(argc, argv, f.cmd, &o)) != CLI_EXIT_OK)
        return rc;
    if (o.npos != 1 || !o.partition || !o.output || o.ota)
        return cli_usage_error(f.cmd, "usage: hota flash read FLASH --partition LABEL -o FILE");
    f.path = o.pos[0];
    f.json = o.json;
    if ((rc = fcmd_open(&f)) != HOTA_OK)
        return fcmd_done(&f, rc, f.path);
    p = hota_part_find_label(&f.dev.table, o.partition);
    rc = p ? read_run(&f, p, o.output) : HOTA_E_PART_NOT_FOUND;
    if (f.json && p)
        cli_json_uint(&f.j, "bytes", p->size);
    return fcmd_done(&f, rc, o.output);
}

/* ---------------------------------------------------------------- set-boot */
static int flash_set_boot(int argc, char **argv)
{
    fcmd_t f;
    struct popts o;
    int rc, slot;
    fcmd_init(&f, "flash set-boot");
    if ((rc = parse_common(argc, argv, f.cmd, &o)) != CLI_EXIT_OK)
        return rc;
    if (o.npos != 2 || o.partition || o.output || o.ota)
        return cli_usage_error(f.cmd, "usage: hota flash set-boot FLASH LABEL [--json]");
    f.path = o.pos[0];
    f.json = o.json;
    if ((rc = fcmd_open(&f)) == HOTA_OK && (rc = slot_of_label(&f, o.pos[1], &slot)) == HOTA_OK)
        rc = hota_slot_set_boot(&f.dev, slot);
    if (f.json)
        cli_json_str(&f.j, "partition", o.pos[1]);
    else if (rc == HOTA_OK)
        printf("%s: next boot from %s\n", f.cmd, o.pos[1]);
    return fcmd_done(&f, rc, f.path);
}

/* ---------------------------------------------------------------- dispatch */
static const struct {
    const char *name;
    cli_cmd_fn fn;
    const char *help;
} subs[] = {
    {"create", flash_create, "FLASH [--size 4MB] [--table two-ota|CSV|BIN] [--factory IMG] ..."},
    {"info", flash_info, "FLASH [--json]: partitions, otadata, eFuse, apps, next boot"},
    {"write", flash_write, "FLASH --partition LABEL [--ota] FILE: raw, or through the OTA slot ops"},
    {"install", flash_install, "FLASH IMAGE [--partition LABEL]: begin/write/end/set-boot"},
    {"read", flash_read, "FLASH --partition LABEL -o FILE"},
    {"set-boot", flash_set_boot, "FLASH LABEL: otadata selects LABEL at the next boot"},
};

int cmd_flash(int argc, char **argv)
{
    size_t i, n = sizeof subs / sizeof subs[0];
    if (argc >= 2)
        for (i = 0; i < n; i++)
            if (!strcmp(argv[1], subs[i].name))
                return subs[i].fn(argc - 1, argv + 1);
    fprintf(argc >= 2 && strcmp(argv[1], "help") ? stderr : stdout,
            "usage: hota flash SUBCOMMAND ...\n");
    for (i = 0; i < n; i++)
        fprintf(stderr, "  %-9s %s\n", subs[i].name, subs[i].help);
    return argc >= 2 && !strcmp(argv[1], "help") ? CLI_EXIT_OK : CLI_EXIT_USAGE;
}
