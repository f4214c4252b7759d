/* hota image sign / hota image key-digest: Secure Boot V2 signing and public-key digests. */
#include "cli.h"

#include "hota/error.h"
#include "hota/sbv2.h"

#include <stdlib.h>
#include <string.h>

/* Prototypes of the `hota image` subcommands (this file defines two of them). */
#define IMAGE_CMD(name, fn, help) int fn(int argc, char **argv);
#include "image_cmds.def"
#undef IMAGE_CMD

#define SIGN_MAX_INPUT (16u << 20) /* no ESP app image reaches 16 MiB */

struct sign_opts {
    const char *img, *out;
    const char *keys[HOTA_SBV2_MAX_BLOCKS];
    unsigned n_keys;
    int json;
};

/* Read a whole file of at most cap bytes into a malloc'd buffer (freed by the caller). */
static int read_file(const char *path, size_t cap, uint8_t **buf, size_t *len)
{
    int rc = HOTA_E_FILE_OPEN;
    long sz;
    FILE *f = fopen(path, "rb");
    *buf = NULL;
    if (!f)
        return rc;
    rc = HOTA_E_IO;
    if (fseek(f, 0, SEEK_END) != 0 || (sz = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0)
        goto out;
    rc = HOTA_E_IMAGE_TOO_LARGE;
    if ((unsigned long)sz > cap)
        goto out;
    rc = HOTA_E_NO_MEMORY;
    *buf = malloc((size_t)sz + 1);
    if (!*buf)
        goto out;
    rc = fread(*buf, 1, (size_t)sz, f) == (size_t)sz ? HOTA_OK : HOTA_E_IO;
    *len = (size_t)sz;
out:
    fclose(f);
    return rc;
}

/* Write the pieces in order; the file is removed again when anything fails. */
static int write_file(const char *path, const uint8_t *a, size_t alen, size_t ff_pad,
                      const uint8_t *b, size_t blen)
{
    int ok;
    FILE *f = fopen(path, "wb");
    if (!f)
        return HOTA_E_FILE_OPEN;
    ok = fwrite(a, 1, alen, f) == alen;
    for (size_t i = 0; ok && i < ff_pad; i++)
        ok = fputc(0xFF, f) != EOF;
    ok = ok && fwrite(b, 1, blen, f) == blen;
    ok = (fclose(f) == 0) && ok;
    if (!ok)
        remove(path);
    return ok ? HOTA_OK : HOTA_E_IO;
}

static void put_hex(FILE *out, const uint8_t *b, size_t n)
{
    for (size_t i = 0; i < n; i++)
        fprintf(out, "%02x", b[i]);
}

static int json_error(int json, int err)
{
    cli_json_t j;
    if (json) {
        cli_json_begin(&j, stdout);
        cli_json_result(&j, err);
        cli_json_end(&j);
    }
    return cli_exit_code(err);
}

static int sign_parse(int argc, char **argv, struct sign_opts *o)
{
    cli_args_t a;
    const char *opt, *val, *pos;
    memset(o, 0, sizeof *o);
    cli_args_init(&a, argc, argv);
    while (cli_args_next(&a, &opt, &val, &pos)) {
        if (pos && strcmp(pos, "-o") != 0) {
            if (o->img)
                return cli_usage_error("image sign", "unexpected argument '%s'", pos);
            o->img = pos;
        } else if (pos || !strcmp(opt, "--output")) {
            if (!(o->out = cli_args_value(&a, pos ? pos : opt, val)))
                return CLI_EXIT_USAGE;
        } else if (!strcmp(opt, "--key")) {
            if (o->n_keys == HOTA_SBV2_MAX_BLOCKS)
                return cli_usage_error("image sign", "at most %d keys", HOTA_SBV2_MAX_BLOCKS);
            if (!(o->keys[o->n_keys++] = cli_args_value(&a, opt, val)))
                return CLI_EXIT_USAGE;
        } else if (!strcmp(opt, "--json")) {
            o->json = 1;
        } else {
            return cli_usage_error("image sign", "unknown option %s", opt);
        }
    }
    if (!o->img || !o->out || !o->n_keys)
        return cli_usage_error("image sign", "usage: hota image sign IMG --key PRIV.pem "
                                             "[--key PRIV.pem]... -o OUT [--json]");
    return CLI_EXIT_OK;
}

/* An input whose last 4 KiB starts with a well-formed signature block is already signed. */
static int already_signed(const uint8_t *img, size_t len)
{
    hota_sbv2_block_t b;
    if (len < HOTA_SBV2_SECTOR_SIZE || len % HOTA_SBV2_SECTOR_SIZE != 0)
        return 0;
    return hota_sbv2_parse_block(img + len - HOTA_SBV2_SECTOR_SIZE, 0, &b) == HOTA_OK;
}

static void sign_report(const struct sign_opts *o, const uint8_t *sector, size_t signed_len)
{
    cli_json_t j;
    hota_sbv2_block_t b;
    if (!o->json) {
        printf("signed %s with %u key(s): %zu bytes + 4096-byte signature sector -> %s\n",
               o->img, o->n_keys, signed_len, o->out);
        for (unsigned i = 0; i < o->n_keys && hota_sbv2_parse_block(sector, i, &b) == HOTA_OK;
             i++) {
            printf("  block %u: %s, key digest ", i, hota_sig_scheme_name(b.scheme));
            put_hex(stdout, b.key_digest, sizeof b.key_digest);
            putchar('\n');
        }
        return;
    }
    cli_json_begin(&j, stdout);
    cli_json_result(&j, HOTA_OK);
    cli_json_str(&j, "output", o->out);
    cli_json_uint(&j, "signed_len", signed_len);
    cli_json_uint(&j, "total_len", signed_len + HOTA_SBV2_SECTOR_SIZE);
    cli_json_arr_open(&j, "signatures");
    for (unsigned i = 0; i < o->n_keys && hota_sbv2_parse_block(sector, i, &b) == HOTA_OK; i++) {
        cli_json_obj_open(&j, NULL);
        cli_json_str(&j, "scheme", hota_sig_scheme_name(b.scheme));
        cli_json_hex(&j, "key_digest", b.key_digest, sizeof b.key_digest);
        if (b.scheme == HOTA_SIG_ECDSA384)
            cli_json_hex(&j, "image_digest", b.image_digest384, sizeof b.image_digest384);
        else
            cli_json_hex(&j, "image_digest", b.image_digest, sizeof b.image_digest);
        cli_json_obj_close(&j);
    }
    cli_json_arr_close(&j);
    cli_json_end(&j);
}

int cmd_image_sign(int argc, char **argv)
{
    struct sign_opts o;
    uint8_t *img = NULL, sector[HOTA_SBV2_SECTOR_SIZE];
    size_t len = 0, pad;
    int rc, ex = sign_parse(argc, argv, &o);
    if (ex != CLI_EXIT_OK)
        return ex;
    rc = read_file(o.img, SIGN_MAX_INPUT, &img, &len);
    if (rc != HOTA_OK) {
        ex = cli_fail("image sign", o.img, rc);
        goto out;
    }
    if (len == 0 || already_signed(img, len)) {
        fprintf(stderr, "hota image sign: %s: %s\n", o.img,
                len ? "already ends in a Secure Boot V2 signature sector; sign the unsigned "
                      "image instead"
                    : "empty file");
        ex = json_error(o.json, HOTA_E_BAD_STATE);
        goto out;
    }
    rc = hota_sbv2_sign_image(img, len, o.keys, o.n_keys, sector);
    if (rc == HOTA_OK) {
        pad = (HOTA_SBV2_SECTOR_SIZE - len % HOTA_SBV2_SECTOR_SIZE) % HOTA_SBV2_SECTOR_SIZE;
        rc = write_file(o.out, img, len, pad, sector, sizeof sector);
    }
    if (rc != HOTA_OK) {
        ex = cli_fail("image sign", "signing failed", rc);
        json_error(o.json, rc);
        goto out;
    }
    sign_report(&o, sector, len + pad);
    ex = CLI_EXIT_OK;
out:
    free(img);
    return ex;
}

static void digest_report(const char *file, const uint8_t d[32], hota_sig_scheme_t s, int json)
{
    cli_json_t j;
    if (!json) {
        put_hex(stdout, d, 32);
        putchar('\n');
        return;
    }
    cli_json_begin(&j, stdout);
    cli_json_result(&j, HOTA_OK);
    cli_json_str(&j, "file", file);
    cli_json_str(&j, "scheme", hota_sig_scheme_name(s));
    cli_json_hex(&j, "digest", d, 32);
    cli_json_end(&j);
}

int cmd_image_key_digest(int argc, char **argv)
{
    cli_args_t a;
    const char *opt, *val, *pos, *file = NULL, *out = NULL;
    int json = 0, rc;
    uint8_t d[32];
    hota_sig_scheme_t s = HOTA_SIG_NONE;
    cli_args_init(&a, argc, argv);
    while (cli_args_next(&a, &opt, &val, &pos)) {
        if (pos && strcmp(pos, "-o") != 0 && !file)
            file = pos;
        else if ((pos && !strcmp(pos, "-o")) || (opt && !strcmp(opt, "--output"))) {
            if (!(out = cli_args_value(&a, pos ? pos : opt, val)))
                return CLI_EXIT_USAGE;
        } else if (opt && !strcmp(opt, "--json"))
            json = 1;
        else
            return cli_usage_error("image key-digest", "unexpected argument '%s'", pos ? pos : opt);
    }
    if (!file)
        return cli_usage_error("image key-digest",
                               "usage: hota image key-digest KEY.pem [--json] [-o DIGEST.bin]");
    rc = hota_sbv2_key_digest_file(file, d, &s);
    if (rc == HOTA_OK && out)
        rc = write_file(out, d, sizeof d, 0, d, 0);
    if (rc != HOTA_OK) {
        json_error(json, rc);
        return cli_fail("image key-digest", file, rc);
    }
    digest_report(file, d, s, json);
    return CLI_EXIT_OK;
}
