/* hota version */
#include "cli.h"

#include "hota/version.h"

int cmd_version(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    printf("hota %s\n", HOTA_VERSION_STRING);
    return CLI_EXIT_OK;
}
