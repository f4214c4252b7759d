/* hota: entry point and subcommand dispatch. */
#include "cli.h"

#include <string.h>

struct cli_cmd {
    const char *name;
    cli_cmd_fn fn;
    const char *help;
};

#define CLI_CMD(name, fn, help) {name, fn, help},
static const struct cli_cmd commands[] = {
#include "commands.def"
};
#undef CLI_CMD

static void usage(FILE *out)
{
    fprintf(out, "usage: hota COMMAND [ARGS...]\n\ncommands:\n");
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        fprintf(out, "  %-10s %s\n", commands[i].name, commands[i].help);
    fprintf(out,
            "\nexit codes: 0 ok, 1 error, 2 usage, 3 truncated, 4 timeout, 5 TLS, 6 HTTP,\n"
            "            7 connection, 8 image refused, 9 signature, 10 device, 11 local I/O,\n"
            "            99 injected power cut\n");
}

int main(int argc, char **argv)
{
    if (argc < 2 || !strcmp(argv[1], "help") || !strcmp(argv[1], "--help") ||
        !strcmp(argv[1], "-h")) {
        usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? CLI_EXIT_USAGE : CLI_EXIT_OK;
    }
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (!strcmp(argv[1], commands[i].name))
            return commands[i].fn(argc - 1, argv + 1);
    fprintf(stderr, "hota: unknown command '%s' (try 'hota help')\n", argv[1]);
    return CLI_EXIT_USAGE;
}
