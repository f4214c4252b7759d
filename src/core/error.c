/* hota_strerror / hota_errname: generated from HOTA_ERROR_LIST so the two never disagree. */
#include "hota/error.h"

struct err_row {
    int num;
    const char *name;
    const char *msg;
};

#define ROW_(name, num, msg) {num, #name, msg},
static const struct err_row rows[] = {HOTA_ERROR_LIST(ROW_)};
#undef ROW_

static const struct err_row *find(int err)
{
    for (unsigned i = 0; i < sizeof rows / sizeof rows[0]; i++)
        if (rows[i].num == err)
            return &rows[i];
    return 0;
}

const char *hota_strerror(int err)
{
    const struct err_row *r = find(err);
    return r ? r->msg : "unknown error";
}

const char *hota_errname(int err)
{
    const struct err_row *r = find(err);
    return r ? r->name : "UNKNOWN";
}
