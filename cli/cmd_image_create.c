/* hota image create: write a valid unsigned ESP32 app image with an app description. */
#include "cli.h"

#include "hota/error.h"
#include "hota/image_create.h"

#include <string.h>

static int create_usage(FILE *out, int code)
{
    fprintf(out, "usage: hota image create --project NAME --version V [--secure-version N]\n"
                 "       [--chip esp32] [--size BYTES] -o OUT\n"
                 "Prints a JSON summary of the image written.\n");
    return code;
}

static int create_value(cli_args_t *a, hota_image_create_params_t *p, const char **out,
                        const char *opt, const char *v)
{
    uint64_t x;
    if (!(v = cli_args_value(a, opt, v)))
        return CLI_EXIT_USAGE;
    if (!strcmp(opt, "--project"))
        p->project = v;
    else if (!strcmp(opt, "--version"))
        p->version = v;
    else if (!strcmp(opt, "--chip"))
        p->chip = v;
    else if (!strcmp(opt, "-o") || !strcmp(opt, "--output"))
        *out = v;
    else if (cli_parse_size(v, &x) != HOTA_OK || x > UINT32_MAX)
        return cli_usage_error(a->cmd, "%s: invalid number '%s'", opt, v);
    else if (!strcmp(opt, "--size"))
        p->size = (uint32_t)x;
    else
        p->secure_version = (uint32_t)x;
    return CLI_EXIT_OK;
}

static int create_parse(int argc, char **argv, hota_image_create_params_t *p, const char **out)
{
    static const char *const opts[] = {"--project", "--version", "--secure-version", "--chip",
                                       "--size",    "--output",  NULL};
    cli_args_t a;
    const char *opt, *val, *pos;
    cli_args_init(&a, argc, argv);
    while (cli_args_next(&a, &opt, &val, &pos)) {
        int known = 0, rc;
        if (pos && !strcmp(pos, "-o"))
            opt = pos;
        else if (pos)
            return cli_usage_error(a.cmd, "unexpected argument '%s'", pos);
        if (!strcmp(opt, "--help"))
            return create_usage(stdout, -1);
        for (const char *const *o = opts; *o; o++)
            known |= !strcmp(*o, opt);
        if (!known && strcmp(opt, "-o") != 0)
            return cli_usage_error(a.cmd, "unknown option %s", opt);
        rc = create_value(&a, p, out, opt, val);
        if (rc != CLI_EXIT_OK)
            return rc;
    }
    return CLI_EXIT_OK;
}

static void print_result(const hota_image_create_params_t *p, const char *path,
                         const hota_image_create_result_t *r)
{
    cli_json_t j;
    cli_json_begin(&j, stdout);
    cli_json_result(&j, HOTA_OK);
    cli_json_str(&j, "path", path);
    cli_json_uint(&j, "size", r->size);
    cli_json_str(&j, "project", p->project);
    cli_json_str(&j, "version", p->version);
    cli_json_uint(&j, "secure_version", p->secure_version);
    cli_json_str(&j, "chip", p->chip);
    cli_json_uint(&j, "segments", r->segment_count);
    cli_json_uint(&j, "entry_addr", r->entry_addr);
    cli_json_uint(&j, "checksum", r->checksum);
    cli_json_hex(&j, "sha256", r->sha256, sizeof r->sha256);
    cli_json_hex(&j, "app_elf_sha256", r->app_elf_sha256, sizeof r->app_elf_sha256);
    cli_json_end(&j);
}

int cmd_image_create(int argc, char **argv)
{
    hota_image_create_params_t p;
    hota_image_create_result_t r;
    const char *out = NULL;
    int rc;
    hota_image_create_defaults(&p);
    rc = create_parse(argc, argv, &p, &out);
    if (rc != CLI_EXIT_OK)
        return rc < 0 ? CLI_EXIT_OK : rc;
    if (!p.project || !p.version || !out)
        return cli_usage_error("image create", "--project, --version and -o are required");
    rc = hota_image_create_file(&p, out, &r);
    if (rc == HOTA_E_INVALID_ARG || rc == HOTA_E_UNSUPPORTED)
        return cli_usage_error("image create", "%s (project/version 1..31 characters, chip "
                                               "esp32, size 4 KiB..4 MiB)", hota_strerror(rc));
    if (rc != HOTA_OK)
        return cli_fail("image create", out, rc);
    print_result(&p, out, &r);
    return CLI_EXIT_OK;
}
