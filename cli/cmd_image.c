/* hota image SUBCOMMAND: dispatch to the image tools listed in image_cmds.def. */
#include "cli.h"

#include <string.h>

struct image_cmd {
    const char *name;
    cli_cmd_fn fn;
    const char *help;
};

#define IMAGE_CMD(name, fn, help) {name, fn, help},
static const struct image_cmd subs[] = {
#include "image_cmds.def"
    {NULL, NULL, NULL}};
#undef IMAGE_CMD

static int usage(FILE *out, int code)
{
    fprintf(out, "usage: hota image SUBCOMMAND ...\n");
    for (const struct image_cmd *s = subs; s->name; s++)
        fprintf(out, "  %-11s %s\n", s->name, s->help);
    return code;
}

int cmd_image(int argc, char **argv)
{
    if (argc < 2)
        return usage(stderr, CLI_EXIT_USAGE);
    if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "help"))
        return usage(stdout, CLI_EXIT_OK);
    for (const struct image_cmd *s = subs; s->name; s++)
        if (!strcmp(argv[1], s->name))
            return s->fn(argc - 1, argv + 1);
    fprintf(stderr, "hota image: unknown subcommand '%s'\n", argv[1]);
    return usage(stderr, CLI_EXIT_USAGE);
}
