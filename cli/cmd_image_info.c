/* hota image info / hota image verify: what an app image holds, and whether a device with a
 * given chip, anti-rollback value and Secure Boot V2 keys would take it. */
#include "cli.h"

#include "hota/error.h"
#include "hota/image.h"
#include "hota/sbv2.h"

#include <stdlib.h>
#include <string.h>

#define IMAGE_CMD(name, fn, help) int fn(int argc, char **argv);
#include "image_cmds.def"
#undef IMAGE_CMD

#define MAX_KEYS 8

/* esp_chip_id_t values. */
static const struct {
    const char *name;
    int id;
} chips[] = {{"esp32", 0},     {"esp32s2", 2},   {"esp32c3", 5},  {"esp32s3", 9},
             {"esp32c2", 12},  {"esp32c6", 13},  {"esp32h2", 16}, {"esp32p4", 18},
             {"esp32c61", 20}, {"esp32c5", 23}};

static const char *chip_name(unsigned id)
{
    for (size_t i = 0; i < sizeof chips / sizeof chips[0]; i++)
        if (chips[i].id == (int)id)
            return chips[i].name;
    return "unknown";
}

static int chip_parse(const char *s, int *id)
{
    uint64_t n;
    for (size_t i = 0; i < sizeof chips / sizeof chips[0]; i++)
        if (!strcmp(chips[i].name, s)) {
            *id = chips[i].id;
            return HOTA_OK;
        }
    if (cli_parse_size(s, &n) || n > 0xFFFF)
        return HOTA_E_INVALID_ARG;
    *id = (int)n;
    return HOTA_OK;
}

/* Stream the file through v. *verdict gets the verifier's verdict; returns a file error. */
static int run_file(const char *path, hota_image_verifier_t *v, int *verdict)
{
    uint8_t buf[4096];
    size_t n;
    int rc = HOTA_OK, io;
    FILE *f = fopen(path, "rb");
    if (!f)
        return HOTA_E_FILE_OPEN;
    while (rc == HOTA_OK && (n = fread(buf, 1, sizeof buf, f)) > 0)
        rc = hota_image_verifier_feed(v, buf, n);
    io = ferror(f) ? HOTA_E_IO : HOTA_OK;
    fclose(f);
    *verdict = rc ? rc : hota_image_verifier_finish(v);
    return io;
}

/* Which facts are known: their bytes were parsed. */
static int header_known(const hota_image_info_t *in)
{
    return in->parsed_len >= HOTA_IMAGE_HEADER_SIZE;
}

static int checksum_known(const hota_image_info_t *in)
{
    return in->image_len && in->parsed_len >= in->image_len - (in->hash_appended ? 32u : 0u);
}

static int hash_known(const hota_image_info_t *in)
{
    return in->hash_appended && in->image_len && in->parsed_len >= in->image_len;
}

static unsigned segments_known(const hota_image_info_t *in)
{
    unsigned n = 0;
    while (n < in->segment_count && in->segments[n].offset)
        n++;
    return n;
}

static void json_header(cli_json_t *j, const hota_image_info_t *in)
{
    if (!header_known(in)) {
        cli_json_null(j, "chip_id");
        cli_json_null(j, "entry_addr");
        return;
    }
    cli_json_uint(j, "chip_id", in->chip_id);
    cli_json_str(j, "chip", chip_name(in->chip_id));
    cli_json_uint(j, "entry_addr", in->entry_addr);
    cli_json_uint(j, "spi_mode", in->spi_mode);
    cli_json_uint(j, "spi_speed", in->spi_speed);
    cli_json_uint(j, "spi_size", in->spi_size);
    cli_json_uint(j, "min_chip_rev_full", in->min_chip_rev_full);
    cli_json_uint(j, "max_chip_rev_full", in->max_chip_rev_full);
    cli_json_bool(j, "hash_appended", in->hash_appended);
}

static void json_segments(cli_json_t *j, const hota_image_info_t *in)
{
    unsigned n = segments_known(in);
    cli_json_arr_open(j, "segments");
    for (unsigned i = 0; i < n; i++) {
        cli_json_obj_open(j, NULL);
        cli_json_uint(j, "load_addr", in->segments[i].load_addr);
        cli_json_uint(j, "length", in->segments[i].length);
        cli_json_uint(j, "offset", in->segments[i].offset);
        cli_json_obj_close(j);
    }
    cli_json_arr_close(j);
}

static void json_checks(cli_json_t *j, const hota_image_info_t *in)
{
    if (checksum_known(in)) {
        cli_json_uint(j, "checksum", in->checksum);
        cli_json_bool(j, "checksum_valid", in->checksum_valid);
    } else {
        cli_json_null(j, "checksum");
        cli_json_null(j, "checksum_valid");
    }
    if (hash_known(in)) {
        cli_json_hex(j, "hash", in->hash, 32);
        cli_json_bool(j, "hash_valid", in->hash_valid);
    } else {
        cli_json_null(j, "hash");
        cli_json_null(j, "hash_valid");
    }
    if (in->image_len) {
        cli_json_uint(j, "image_len", in->image_len);
        cli_json_uint(j, "signed_len", in->signed_len);
        cli_json_uint(j, "total_len", in->total_len);
    } else {
        cli_json_null(j, "image_len");
        cli_json_null(j, "signed_len");
        cli_json_null(j, "total_len");
    }
}

static void json_sigs(cli_json_t *j, const hota_image_info_t *in)
{
    cli_json_arr_open(j, "signatures");
    for (int i = 0; i < in->sig_count; i++) {
        const hota_sig_info_t *s = &in->sigs[i];
        cli_json_obj_open(j, NULL);
        cli_json_str(j, "scheme", s->scheme ? hota_sig_scheme_name(s->scheme) : NULL);
        if (s->scheme)
            cli_json_hex(j, "key_digest", s->key_digest, 32);
        else
            cli_json_null(j, "key_digest");
        cli_json_bool(j, "valid", s->valid);
        cli_json_bool(j, "trusted", s->trusted);
        cli_json_str(j, "error", s->valid ? NULL : hota_errname(s->result));
        cli_json_obj_close(j);
    }
    cli_json_arr_close(j);
}

static void print_json(const char *path, const hota_image_info_t *in, int verdict)
{
    cli_json_t j;
    cli_json_begin(&j, stdout);
    cli_json_str(&j, "file", path);
    cli_json_result(&j, verdict);
    json_header(&j, in);
    json_segments(&j, in);
    json_checks(&j, in);
    cli_json_app_desc(&j, "app", in->has_app_desc ? &in->app : NULL);
    json_sigs(&j, in);
    cli_json_end(&j);
}

static void put_hex(const uint8_t *b, size_t n)
{
    for (size_t i = 0; i < n; i++)
        printf("%02x", b[i]);
}

static void text_header(const hota_image_info_t *in)
{
    unsigned n = segments_known(in);
    if (!header_known(in))
        return;
    printf("chip:          %s (chip id %u), revisions %u..%u\n", chip_name(in->chip_id),
           in->chip_id, in->min_chip_rev_full, in->max_chip_rev_full);
    printf("entry:         0x%08x\n", in->entry_addr);
    printf("flash:         mode %u, speed %u, size %u\n", in->spi_mode, in->spi_speed,
           in->spi_size);
    printf("segments:      %u\n", in->segment_count);
    for (unsigned i = 0; i < n; i++)
        printf("  %2u: load 0x%08x  length 0x%06x (%u)  at 0x%06x\n", i,
               in->segments[i].load_addr, in->segments[i].length, in->segments[i].length,
               in->segments[i].offset);
}

static void text_checks(const hota_image_info_t *in)
{
    if (checksum_known(in))
        printf("checksum:      0x%02x (%s, computed 0x%02x)\n", in->checksum,
               in->checksum_valid ? "valid" : "INVALID", in->checksum_calc);
    if (hash_known(in)) {
        printf("sha256:        ");
        put_hex(in->hash, 32);
        printf(" (%s)\n", in->hash_valid ? "valid" : "INVALID");
    } else if (header_known(in) && !in->hash_appended) {
        printf("sha256:        none appended\n");
    }
    if (in->image_len)
        printf("length:        image %u, signed %u, total %u\n", in->image_len, in->signed_len,
               in->total_len);
}

static void text_app(const hota_image_info_t *in)
{
    const hota_app_desc_t *a = &in->app;
    if (!in->has_app_desc) {
        printf("app:           no app description\n");
        return;
    }
    printf("app:           %s %s (secure_version %u)\n", a->project_name, a->version,
           a->secure_version);
    printf("built:         %s %s with ESP-IDF %s\n", a->date, a->time, a->idf_ver);
    printf("elf sha256:    ");
    put_hex(a->app_elf_sha256, 32);
    printf("\n");
}

static void text_sigs(const hota_image_info_t *in)
{
    if (in->sig_count == 0)
        return;
    printf("signatures:    %d\n", in->sig_count);
    for (int i = 0; i < in->sig_count; i++) {
        const hota_sig_info_t *s = &in->sigs[i];
        printf("  %d: %-8s key ", i, hota_sig_scheme_name(s->scheme));
        put_hex(s->key_digest, 32);
        printf(" %s%s\n", s->valid ? "valid" : hota_errname(s->result),
               s->trusted ? ", trusted" : "");
    }
}

static void print_text(const char *path, const hota_image_info_t *in, int verdict)
{
    printf("image:         %s\n", path);
    text_header(in);
    text_checks(in);
    if (in->parsed_len >= HOTA_APP_DESC_OFFSET + HOTA_APP_DESC_SIZE || in->has_app_desc)
        text_app(in);
    text_sigs(in);
    printf("result:        %s\n",
           verdict == HOTA_OK ? "OK" : hota_errname(verdict));
    if (verdict)
        printf("               %s\n", hota_strerror(verdict));
}

/* Run the file through a verifier with policy p and print the report. */
static int report(const char *cmd, const char *path, const hota_image_policy_t *p, int json)
{
    static hota_image_verifier_t v;
    int verdict = HOTA_E_INTERNAL, rc;
    hota_image_verifier_init(&v, p);
    rc = run_file(path, &v, &verdict);
    if (rc == HOTA_OK) {
        if (json)
            print_json(path, hota_image_verifier_info(&v), verdict);
        else
            print_text(path, hota_image_verifier_info(&v), verdict);
    }
    hota_image_verifier_free(&v);
    return rc ? cli_fail(cmd, path, rc) : cli_exit_code(verdict);
}

int cmd_image_info(int argc, char **argv)
{
    hota_image_policy_t p = {.chip_id = -1, .report_all = 1};
    const char *opt, *val, *pos, *path = NULL;
    int json = 0;
    cli_args_t a;
    cli_args_init(&a, argc, argv);
    a.cmd = "image info";
    while (cli_args_next(&a, &opt, &val, &pos)) {
        if (pos && !path)
            path = pos;
        else if (opt && !strcmp(opt, "--json") && !val)
            json = 1;
        else
            return cli_usage_error(a.cmd, "usage: hota image info IMAGE [--json]");
    }
    if (!path)
        return cli_usage_error(a.cmd, "usage: hota image info IMAGE [--json]");
    return report(a.cmd, path, &p, json);
}

struct verify_opts {
    hota_image_policy_t p;
    uint8_t keys[MAX_KEYS][32];
    const char *path;
    int json;
};

static int add_key(struct verify_opts *o, const char *pem, const char *cmd)
{
    int rc;
    if (o->p.n_trusted >= MAX_KEYS)
        return cli_usage_error(cmd, "at most %d keys", MAX_KEYS);
    rc = hota_sbv2_key_digest_file(pem, o->keys[o->p.n_trusted], NULL);
    if (rc)
        return cli_fail(cmd, pem, rc);
    o->p.n_trusted++;
    return CLI_EXIT_OK;
}

static int number_opt(const char *s, uint32_t *out, const char *opt, const char *cmd)
{
    uint64_t n;
    if (cli_parse_size(s, &n) || n > UINT32_MAX)
        return cli_usage_error(cmd, "%s: not a number: %s", opt, s);
    *out = (uint32_t)n;
    return CLI_EXIT_OK;
}

/* One option of `hota image verify`; CLI_EXIT_OK or an exit code. */
static int verify_opt(struct verify_opts *o, cli_args_t *a, const char *opt, const char *val)
{
    if (!strcmp(opt, "--json") && !val) {
        o->json = 1;
        return CLI_EXIT_OK;
    }
    if (!strcmp(opt, "--allow-no-app-desc") && !val) {
        o->p.require_app_desc = 0;
        return CLI_EXIT_OK;
    }
    if (strcmp(opt, "--key") && strcmp(opt, "--chip") && strcmp(opt, "--secure-version") &&
        strcmp(opt, "--max-size"))
        return cli_usage_error(a->cmd, "unknown option %s", opt);
    if (!(val = cli_args_value(a, opt, val)))
        return CLI_EXIT_USAGE;
    if (!strcmp(opt, "--key"))
        return add_key(o, val, a->cmd);
    if (!strcmp(opt, "--chip"))
        return chip_parse(val, &o->p.chip_id) ? cli_usage_error(a->cmd, "unknown chip %s", val)
                                              : CLI_EXIT_OK;
    if (!strcmp(opt, "--secure-version"))
        return number_opt(val, &o->p.min_secure_version, opt, a->cmd);
    return number_opt(val, &o->p.max_len, opt, a->cmd);
}

static const char verify_usage[] =
    "usage: hota image verify IMAGE [--key PUB.pem]... [--chip esp32|ID] [--secure-version N]\n"
    "                         [--max-size N] [--allow-no-app-desc] [--json]";

int cmd_image_verify(int argc, char **argv)
{
    static struct verify_opts o;
    const char *opt, *val, *pos;
    cli_args_t a;
    memset(&o, 0, sizeof o);
    o.p.chip_id = -1;
    o.p.require_app_desc = 1;
    o.p.trusted_keys = (const uint8_t(*)[32])o.keys;
    cli_args_init(&a, argc, argv);
    a.cmd = "image verify";
    while (cli_args_next(&a, &opt, &val, &pos)) {
        int rc = CLI_EXIT_OK;
        if (pos && !o.path)
            o.path = pos;
        else if (opt)
            rc = verify_opt(&o, &a, opt, val);
        else
            rc = cli_usage_error(a.cmd, "%s", verify_usage);
        if (rc != CLI_EXIT_OK)
            return rc;
    }
    if (!o.path)
        return cli_usage_error(a.cmd, "%s", verify_usage);
    return report(a.cmd, o.path, &o.p, o.json);
}
