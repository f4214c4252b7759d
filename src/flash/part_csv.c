/* Partition tables from and to ESP-IDF CSV text, with gen_esp32part.py's rules. */
#include "hota/partition.h"

#include "hota/error.h"

#include <stdio.h>
#include <string.h>

/* ESP-IDF's components/partition_table/partitions_two_ota.csv. */
const char hota_part_csv_two_ota[] =
    "# Name,   Type, SubType, Offset,   Size, Flags\n"
    "# Note: if you have increased the bootloader size, make sure to update the offsets to avoid "
    "overlap\n"
    "nvs,      data, nvs,     ,        0x4000,\n"
    "otadata,  data, ota,     ,        0x2000,\n"
    "phy_init, data, phy,     ,        0x1000,\n"
    "factory,  app,  factory, ,        1M,\n"
    "ota_0,    app,  ota_0,   ,        1M,\n"
    "ota_1,    app,  ota_1,   ,        1M,\n";

/* ---- names ------------------------------------------------------------------------------ */

typedef struct name_val {
    const char *name;
    uint8_t val;
} name_val_t;

static const name_val_t type_names[] = {{"app", 0x00}, {"data", 0x01}};

/* In gen_esp32part's dictionary order (to_csv takes the first name of a value). */
static const name_val_t app_subtypes[] = {
    {"factory", 0x00}, {"test", 0x20},   {"ota_0", 0x10},  {"ota_1", 0x11},  {"ota_2", 0x12},
    {"ota_3", 0x13},   {"ota_4", 0x14},  {"ota_5", 0x15},  {"ota_6", 0x16},  {"ota_7", 0x17},
    {"ota_8", 0x18},   {"ota_9", 0x19},  {"ota_10", 0x1A}, {"ota_11", 0x1B}, {"ota_12", 0x1C},
    {"ota_13", 0x1D},  {"ota_14", 0x1E}, {"ota_15", 0x1F},
};

static const name_val_t data_subtypes[] = {
    {"ota", 0x00},      {"phy", 0x01},       {"nvs", 0x02},      {"coredump", 0x03},
    {"nvs_keys", 0x04}, {"efuse", 0x05},     {"undefined", 0x06}, {"esphttpd", 0x80},
    {"fat", 0x81},      {"spiffs", 0x82},    {"littlefs", 0x83},
};

static const name_val_t flag_names[] = {{"encrypted", 0}, {"readonly", 1}};

typedef struct name_set {
    const name_val_t *v;
    size_t n;
} name_set_t;

#define NAME_SET(a) ((name_set_t){a, sizeof a / sizeof a[0]})

static name_set_t subtype_set(int64_t type)
{
    if (type == HOTA_PART_TYPE_APP)
        return NAME_SET(app_subtypes);
    if (type == HOTA_PART_TYPE_DATA)
        return NAME_SET(data_subtypes);
    return (name_set_t){NULL, 0};
}

static const char *name_of(name_set_t set, uint8_t val)
{
    for (size_t i = 0; i < set.n; i++)
        if (set.v[i].val == val)
            return set.v[i].name;
    return NULL;
}

const char *hota_part_type_name(uint8_t type)
{
    return name_of(NAME_SET(type_names), type);
}

const char *hota_part_subtype_name(uint8_t type, uint8_t subtype)
{
    return name_of(subtype_set(type), subtype);
}

/* ---- text spans ------------------------------------------------------------------------- */

typedef struct span {
    const char *p;
    size_t n;
} span_t;

/* Python's str.isspace() for ASCII. */
static int py_space(char c)
{
    return c == ' ' || (c >= '\t' && c <= '\r') || (c >= 0x1C && c <= 0x1F);
}

/* Python's str.splitlines() boundaries for ASCII (\r\n counts once). */
static int py_line_break(char c)
{
    return c == '\n' || c == '\r' || c == '\v' || c == '\f' || (c >= 0x1C && c <= 0x1E);
}

static span_t strip(span_t s)
{
    while (s.n > 0 && py_space(s.p[0])) {
        s.p++;
        s.n--;
    }
    while (s.n > 0 && py_space(s.p[s.n - 1]))
        s.n--;
    return s;
}

static int span_eq_lower(span_t s, const char *word)
{
    size_t wl = strlen(word);
    if (s.n != wl)
        return 0;
    for (size_t i = 0; i < wl; i++) {
        char c = s.p[i];
        if (c >= 'A' && c <= 'Z')
            c = (char)(c - 'A' + 'a');
        if (c != word[i])
            return 0;
    }
    return 1;
}

/* Next field up to ',' (the rest when there is none); advances *rest. */
static span_t next_field(span_t *rest)
{
    span_t f = {rest->p, 0};
    while (f.n < rest->n && rest->p[f.n] != ',')
        f.n++;
    size_t used = f.n < rest->n ? f.n + 1 : f.n;
    rest->p += used;
    rest->n -= used;
    return strip(f);
}

/* ---- numbers: Python int(x, 0) with K/M suffixes and keywords ----------------------------- */

#define NUM_LIMIT ((int64_t)1 << 40)

static int digit_val(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'Z')
        return c - 'A' + 10;
    return 99;
}

/* Digits of one base with single '_' separators; lead_us: a '_' may come first. */
static int parse_digits(span_t s, int base, int lead_us, int64_t *out)
{
    int64_t v = 0;
    int need_digit = 1;
    if (s.n == 0)
        return HOTA_E_PART_CSV;
    for (size_t i = 0; i < s.n; i++) {
        if (s.p[i] == '_') {
            if (need_digit && !(i == 0 && lead_us))
                return HOTA_E_PART_CSV;
            need_digit = 1;
            continue;
        }
        int d = digit_val(s.p[i]);
        if (d >= base)
            return HOTA_E_PART_CSV;
        v = v * base + d;
        if (v > NUM_LIMIT)
            return HOTA_E_PART_CSV;
        need_digit = 0;
    }
    if (need_digit)
        return HOTA_E_PART_CSV;
    *out = v;
    return HOTA_OK;
}

static int py_int(span_t s, int64_t *out)
{
    int neg = 0;
    s = strip(s);
    if (s.n > 0 && (s.p[0] == '+' || s.p[0] == '-')) {
        neg = s.p[0] == '-';
        s.p++;
        s.n--;
    }
    int rc;
    if (s.n >= 2 && s.p[0] == '0' && strchr("xXoObB", s.p[1]) && s.p[1] != '\0') {
        int base = (s.p[1] | 0x20) == 'x' ? 16 : (s.p[1] | 0x20) == 'o' ? 8 : 2;
        rc = parse_digits((span_t){s.p + 2, s.n - 2}, base, 1, out);
    } else {
        rc = parse_digits(s, 10, 0, out);
        /* decimal: no leading zero unless the number is all zeros */
        if (rc == HOTA_OK && *out != 0 && s.p[0] == '0')
            rc = HOTA_E_PART_CSV;
    }
    if (rc == HOTA_OK && neg)
        *out = -*out;
    return rc;
}

static int lookup(name_set_t set, span_t s, int64_t *out)
{
    for (size_t i = 0; i < set.n; i++) {
        if (span_eq_lower(s, set.v[i].name)) {
            *out = set.v[i].val;
            return HOTA_OK;
        }
    }
    return HOTA_E_PART_CSV;
}

/* gen_esp32part's parse_int: strip trailing k/m (multiplying), then a number or a keyword. */
static int parse_int(span_t s, name_set_t keywords, int64_t *out)
{
    int64_t mult = 1;
    while (s.n > 0 && strchr("kKmM", s.p[s.n - 1]) && s.p[s.n - 1] != '\0') {
        mult *= (s.p[s.n - 1] | 0x20) == 'k' ? 1024 : 1024 * 1024;
        if (mult > NUM_LIMIT)
            return HOTA_E_PART_CSV;
        s.n--;
    }
    int64_t v;
    if (py_int(s, &v) != HOTA_OK && lookup(keywords, s, &v) != HOTA_OK)
        return HOTA_E_PART_CSV;
    /* the product too must stay within the limit (and so within int64_t) */
    if (v > NUM_LIMIT / mult || v < -(NUM_LIMIT / mult))
        return HOTA_E_PART_CSV;
    *out = v * mult;
    return HOTA_OK;
}

/* ---- one CSV line ----------------------------------------------------------------------- */

/* A row before placement: offset may be missing, size may be negative. */
typedef struct csv_row {
    int64_t type, subtype, offset, size;
    int has_offset;
    uint32_t flags;
    span_t name;
} csv_row_t;

static int parse_flags(span_t s, uint32_t *flags)
{
    *flags = 0;
    while (1) {
        span_t f = {s.p, 0};
        while (f.n < s.n && s.p[f.n] != ':')
            f.n++;
        if (f.n > 0) {
            int64_t bit;
            size_t k = 0;
            for (; k < sizeof flag_names / sizeof flag_names[0]; k++)
                if (f.n == strlen(flag_names[k].name) &&
                    memcmp(f.p, flag_names[k].name, f.n) == 0)
                    break;
            if (k == sizeof flag_names / sizeof flag_names[0])
                return HOTA_E_PART_CSV;
            bit = flag_names[k].val;
            *flags |= 1u << bit;
        }
        if (f.n >= s.n)
            return HOTA_OK;
        s.p += f.n + 1;
        s.n -= f.n + 1;
    }
}

static int parse_type_subtype(span_t type, span_t subtype, csv_row_t *r)
{
    if (type.n == 0 || parse_int(type, NAME_SET(type_names), &r->type) != HOTA_OK)
        return HOTA_E_PART_CSV;
    if (subtype.n == 0) {
        if (r->type == HOTA_PART_TYPE_APP)
            return HOTA_E_PART_CSV;
        r->subtype = HOTA_PART_SUBTYPE_DATA_UNDEFINED;
    } else if (parse_int(subtype, subtype_set(r->type), &r->subtype) != HOTA_OK) {
        return HOTA_E_PART_CSV;
    }
    if (r->type < 0 || r->type > 0xFF || r->subtype < 0 || r->subtype > 0xFF)
        return HOTA_E_PART_CSV;
    return HOTA_OK;
}

/* A label is printable text: a NUL or control byte would silently change the binary. */
static int label_ok(span_t name)
{
    for (size_t i = 0; i < name.n; i++)
        if ((unsigned char)name.p[i] < 0x20 || (unsigned char)name.p[i] == 0x7f)
            return 0;
    return 1;
}

static int parse_row(span_t line, csv_row_t *r)
{
    span_t rest = line;
    span_t f[6];
    const name_set_t none = {NULL, 0};
    for (int i = 0; i < 6; i++)
        f[i] = next_field(&rest);
    memset(r, 0, sizeof *r);
    r->name = f[0];
    if (!label_ok(r->name))
        return HOTA_E_PART_CSV;
    int rc = parse_type_subtype(f[1], f[2], r);
    if (rc != HOTA_OK)
        return rc;
    r->has_offset = f[3].n > 0;
    if (r->has_offset && parse_int(f[3], none, &r->offset) != HOTA_OK)
        return HOTA_E_PART_CSV;
    if (f[4].n == 0 || parse_int(f[4], none, &r->size) != HOTA_OK)
        return HOTA_E_PART_CSV;
    return parse_flags(f[5], &r->flags);
}

/* ---- placement -------------------------------------------------------------------------- */

/* Place r after *last_end as gen_esp32part does and store it in p. */
static int place_row(csv_row_t *r, int64_t *last_end, hota_partition_t *p)
{
    if (r->has_offset && r->offset < *last_end)
        return HOTA_E_PART_OVERLAP;
    if (!r->has_offset) {
        int64_t pad = r->type == HOTA_PART_TYPE_APP ? HOTA_PART_ALIGN_APP : HOTA_PART_ALIGN_DATA;
        if (*last_end % pad != 0)
            *last_end += pad - *last_end % pad;
        r->offset = *last_end;
    }
    if (r->size < 0)
        r->size = -r->size - r->offset;
    if (r->offset > 0xFFFFFFFF || r->size < 0 || r->size > 0xFFFFFFFF)
        return HOTA_E_PART_CSV;
    *last_end = r->offset + r->size;
    memset(p, 0, sizeof *p);
    p->type = (uint8_t)r->type;
    p->subtype = (uint8_t)r->subtype;
    p->offset = (uint32_t)r->offset;
    p->size = (uint32_t)r->size;
    p->flags = r->flags;
    memcpy(p->label, r->name.p, r->name.n < 16 ? r->name.n : 16);
    return HOTA_OK;
}

/* Next line of text (without its break); advances *pos. Returns 0 at the end. */
static int next_line(const char *csv, size_t len, size_t *pos, span_t *line)
{
    if (*pos >= len)
        return 0;
    line->p = csv + *pos;
    line->n = 0;
    while (*pos + line->n < len && !py_line_break(csv[*pos + line->n]))
        line->n++;
    *pos += line->n;
    if (*pos < len) {
        int crlf = csv[*pos] == '\r' && *pos + 1 < len && csv[*pos + 1] == '\n';
        *pos += crlf ? 2 : 1;
    }
    return 1;
}

static int is_variable_start(span_t s)
{
    return s.n >= 2 && s.p[0] == '$' &&
           (s.p[1] == '_' || ((s.p[1] | 0x20) >= 'a' && (s.p[1] | 0x20) <= 'z'));
}

int hota_part_from_csv(const char *csv, size_t len, uint32_t flash_size, hota_part_table_t *t)
{
    int rc = HOTA_E_INVALID_ARG;
    size_t pos = 0;
    span_t line;
    int64_t last_end = HOTA_PART_FIRST_OFFSET;
    if (!t)
        return HOTA_E_INVALID_ARG;
    memset(t, 0, sizeof *t);
    if (!csv && len)
        goto out;
    rc = HOTA_OK;
    while (rc == HOTA_OK && next_line(csv, len, &pos, &line)) {
        csv_row_t r;
        line = strip(line);
        if (line.n == 0 || line.p[0] == '#')
            continue;
        rc = is_variable_start(line) ? HOTA_E_PART_CSV : parse_row(line, &r);
        if (rc == HOTA_OK && t->count >= HOTA_PART_MAX_ENTRIES)
            rc = HOTA_E_PART_TABLE;
        if (rc == HOTA_OK)
            rc = place_row(&r, &last_end, &t->part[t->count++]);
    }
    if (rc == HOTA_OK)
        rc = hota_part_verify(t, flash_size);
out:
    if (rc != HOTA_OK)
        memset(t, 0, sizeof *t);
    return rc;
}

/* ---- back to CSV ------------------------------------------------------------------------ */

static void fmt_size(uint32_t v, char *buf, size_t cap)
{
    if (v % 0x100000u == 0)
        snprintf(buf, cap, "%uM", (unsigned)(v / 0x100000u));
    else if (v % 0x400u == 0)
        snprintf(buf, cap, "%uK", (unsigned)(v / 0x400u));
    else
        snprintf(buf, cap, "0x%x", (unsigned)v);
}

static void fmt_name(const char *name, unsigned val, char *buf, size_t cap)
{
    if (name)
        snprintf(buf, cap, "%s", name);
    else
        snprintf(buf, cap, "%u", val);
}

static void fmt_flags(uint32_t flags, char *buf, size_t cap)
{
    size_t used = 0;
    buf[0] = '\0';
    for (size_t k = 0; k < sizeof flag_names / sizeof flag_names[0]; k++) {
        if (!(flags & (1u << flag_names[k].val)))
            continue;
        int n = snprintf(buf + used, cap - used, "%s%s", used ? ":" : "", flag_names[k].name);
        used += n > 0 ? (size_t)n : 0;
    }
}

static int append(char *out, size_t cap, size_t *used, const char *text)
{
    size_t n = strlen(text);
    if (*used + n + 1 > cap)
        return HOTA_E_BUFFER_TOO_SMALL;
    memcpy(out + *used, text, n + 1);
    *used += n;
    return HOTA_OK;
}

static int row_to_csv(const hota_partition_t *p, char *out, size_t cap, size_t *used)
{
    char type[8], sub[8], size[16], flags[32], row[128];
    fmt_name(hota_part_type_name(p->type), p->type, type, sizeof type);
    fmt_name(hota_part_subtype_name(p->type, p->subtype), p->subtype, sub, sizeof sub);
    fmt_size(p->size, size, sizeof size);
    fmt_flags(p->flags, flags, sizeof flags);
    snprintf(row, sizeof row, "%.16s,%s,%s,0x%x,%s,%s\n", p->label, type, sub,
             (unsigned)p->offset, size, flags);
    return append(out, cap, used, row);
}

int hota_part_to_csv(const hota_part_table_t *t, char *out, size_t cap)
{
    size_t used = 0;
    if (!t || !out || cap == 0)
        return HOTA_E_INVALID_ARG;
    out[0] = '\0';
    int rc = append(out, cap, &used,
                    "# ESP-IDF Partition Table\n# Name, Type, SubType, Offset, Size, Flags\n");
    for (unsigned i = 0; rc == HOTA_OK && i < t->count && i < HOTA_PART_MAX_ENTRIES; i++)
        rc = row_to_csv(&t->part[i], out, cap, &used);
    return rc;
}
