/* URL parsing, Host header and redirect resolution. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "hota/error.h"
#include "hota/url.h"

struct parse_case {
    const char *in;
    int rc;
    int tls;
    const char *host;
    unsigned port;
    const char *path;
    const char *user;
    const char *pass;
};

static const struct parse_case parse_cases[] = {
    {"http://example.com", HOTA_OK, 0, "example.com", 80, "/", NULL, NULL},
    {"https://example.com/", HOTA_OK, 1, "example.com", 443, "/", NULL, NULL},
    {"HTTPS://Example.COM/a/b.bin", HOTA_OK, 1, "Example.COM", 443, "/a/b.bin", NULL, NULL},
    {"https://example.com:8443/fw.bin?v=2&x=y", HOTA_OK, 1, "example.com", 8443,
     "/fw.bin?v=2&x=y", NULL, NULL},
    {"http://h/p#frag", HOTA_OK, 0, "h", 80, "/p", NULL, NULL},
    {"http://h?q=1", HOTA_OK, 0, "h", 80, "/?q=1", NULL, NULL},
    {"http://h#f", HOTA_OK, 0, "h", 80, "/", NULL, NULL},
    {"http://127.0.0.1:8080/x", HOTA_OK, 0, "127.0.0.1", 8080, "/x", NULL, NULL},
    {"https://[::1]:4433/fw", HOTA_OK, 1, "::1", 4433, "/fw", NULL, NULL},
    {"https://[2001:db8::1]/", HOTA_OK, 1, "2001:db8::1", 443, "/", NULL, NULL},
    {"https://[::ffff:10.0.0.1]/", HOTA_OK, 1, "::ffff:10.0.0.1", 443, "/", NULL, NULL},
    {"http://user:pass@h/", HOTA_OK, 0, "h", 80, "/", "user", "pass"},
    {"http://user@h:81/", HOTA_OK, 0, "h", 81, "/", "user", ""},
    {"http://us%40er:p%3Ass@h/", HOTA_OK, 0, "h", 80, "/", "us@er", "p:ss"},
    {"http://a:b@c@h/", HOTA_OK, 0, "h", 80, "/", "a", "b@c"},
    {"http://h:/", HOTA_OK, 0, "h", 80, "/", NULL, NULL},
    {"http://my_host-1.local:65535/", HOTA_OK, 0, "my_host-1.local", 65535, "/", NULL, NULL},
    {"ftp://h/", HOTA_E_URL_SCHEME, 0, NULL, 0, NULL, NULL, NULL},
    {"file:///etc/passwd", HOTA_E_URL_SCHEME, 0, NULL, 0, NULL, NULL, NULL},
    {"httpx://h/", HOTA_E_URL_SCHEME, 0, NULL, 0, NULL, NULL, NULL},
    {"", HOTA_E_URL, 0, NULL, 0, NULL, NULL, NULL},
    {"example.com/fw.bin", HOTA_E_URL, 0, NULL, 0, NULL, NULL, NULL},
    {"//example.com/", HOTA_E_URL, 0, NULL, 0, NULL, NULL, NULL},
    {"http:/h/", HOTA_E_URL, 0, NULL, 0, NULL, NULL, NULL},
    {"http:h", HOTA_E_URL, 0, NULL, 0, NULL, NULL, NULL},
    {"http:///path", HOTA_E_URL, 0, NULL, 0, NULL, NULL, NULL},
    {"http://h:0/", HOTA_E_URL, 0, NULL, 0, NULL, NULL, NULL},
    {"http://h:65536/", HOTA_E_URL, 0, NULL, 0, NULL, NULL, NULL},
    {"http://h:123456/", HOTA_E_URL, 0, NULL, 0, NULL, NULL, NULL},
    {"http://h:8x/", HOTA_E_URL, 0, NULL, 0, NULL, NULL, NULL},
    {"http://h/a b", HOTA_E_URL, 0, NULL, 0, NULL, NULL, NULL},
    {"http://h/a\r\nX: y", HOTA_E_URL, 0, NULL, 0, NULL, NULL, NULL},
    {"http://h/\x80", HOTA_E_URL, 0, NULL, 0, NULL, NULL, NULL},
    {"http://[::1/", HOTA_E_URL, 0, NULL, 0, NULL, NULL, NULL},
    {"http://[::1]x/", HOTA_E_URL, 0, NULL, 0, NULL, NULL, NULL},
    {"http://[zz::1]/", HOTA_E_URL, 0, NULL, 0, NULL, NULL, NULL},
    {"http://[1.2.3.4]/", HOTA_E_URL, 0, NULL, 0, NULL, NULL, NULL},
    {"http://ho!st/", HOTA_E_URL, 0, NULL, 0, NULL, NULL, NULL},
    {"http://u:p@/", HOTA_E_URL, 0, NULL, 0, NULL, NULL, NULL},
    {"http://u%4:p@h/", HOTA_E_URL, 0, NULL, 0, NULL, NULL, NULL},
    {"http://u%00@h/", HOTA_E_URL, 0, NULL, 0, NULL, NULL, NULL},
};

static void test_parse_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof parse_cases / sizeof parse_cases[0]; i++) {
        const struct parse_case *c = &parse_cases[i];
        hota_url_t u;
        int rc = hota_url_parse(&u, c->in);
        if (rc != c->rc)
            fail_msg("case %zu '%s': rc %d, want %d", i, c->in, rc, c->rc);
        if (rc != HOTA_OK)
            continue;
        assert_int_equal(u.tls, c->tls);
        assert_string_equal(u.host, c->host);
        assert_int_equal(u.port, c->port);
        assert_string_equal(u.path, c->path);
        assert_int_equal(u.has_userinfo, c->user != NULL);
        if (c->user) {
            assert_string_equal(u.user, c->user);
            assert_string_equal(u.pass, c->pass);
        }
    }
}

static void test_parse_caps(void **state)
{
    static char text[HOTA_URL_MAX + 64];
    hota_url_t u;
    (void)state;
    /* host of 255 characters: over the 256-byte buffer with its NUL? 255 fits, 256 not */
    memset(text, 0, sizeof text);
    strcpy(text, "http://");
    memset(text + 7, 'a', HOTA_URL_HOST_MAX - 1);
    strcat(text, "/");
    assert_int_equal(hota_url_parse(&u, text), HOTA_OK);
    assert_int_equal(strlen(u.host), HOTA_URL_HOST_MAX - 1);
    memset(text + 7, 'a', HOTA_URL_HOST_MAX);
    text[7 + HOTA_URL_HOST_MAX] = '/';
    text[8 + HOTA_URL_HOST_MAX] = 0;
    assert_int_equal(hota_url_parse(&u, text), HOTA_E_URL);
    /* path over its cap */
    strcpy(text, "http://h/");
    memset(text + 9, 'p', HOTA_URL_PATH_MAX);
    text[9 + HOTA_URL_PATH_MAX] = 0;
    assert_int_equal(hota_url_parse(&u, text), HOTA_E_URL);
    /* whole text over HOTA_URL_MAX */
    memset(text + 9, 'p', HOTA_URL_MAX);
    text[9 + HOTA_URL_MAX] = 0;
    assert_int_equal(hota_url_parse(&u, text), HOTA_E_URL);
    assert_int_equal(hota_url_parse(NULL, "http://h/"), HOTA_E_INVALID_ARG);
    assert_int_equal(hota_url_parse(&u, NULL), HOTA_E_INVALID_ARG);
}

static void test_host_header(void **state)
{
    hota_url_t u;
    char buf[300];
    (void)state;
    assert_int_equal(hota_url_parse(&u, "https://h.example/"), HOTA_OK);
    assert_int_equal(hota_url_host_header(&u, buf, sizeof buf), HOTA_OK);
    assert_string_equal(buf, "h.example");
    assert_int_equal(hota_url_parse(&u, "https://h.example:443/"), HOTA_OK);
    assert_int_equal(hota_url_host_header(&u, buf, sizeof buf), HOTA_OK);
    assert_string_equal(buf, "h.example");
    assert_int_equal(hota_url_parse(&u, "http://h.example:443/"), HOTA_OK);
    assert_int_equal(hota_url_host_header(&u, buf, sizeof buf), HOTA_OK);
    assert_string_equal(buf, "h.example:443");
    assert_int_equal(hota_url_parse(&u, "https://[::1]:8443/"), HOTA_OK);
    assert_int_equal(hota_url_host_header(&u, buf, sizeof buf), HOTA_OK);
    assert_string_equal(buf, "[::1]:8443");
    assert_int_equal(hota_url_host_header(&u, buf, 5), HOTA_E_BUFFER_TOO_SMALL);
    assert_string_equal(buf, "");
    assert_int_equal(hota_url_format(&u, buf, sizeof buf), HOTA_OK);
    assert_string_equal(buf, "https://[::1]:8443/");
}

struct resolve_case {
    const char *base;
    const char *ref;
    int rc;
    const char *want;
};

static const struct resolve_case resolve_cases[] = {
    {"https://a.test/d1/d2/f.bin?x=1", "g.bin", HOTA_OK, "https://a.test/d1/d2/g.bin"},
    {"https://a.test/d1/d2/f.bin", "./g", HOTA_OK, "https://a.test/d1/d2/g"},
    {"https://a.test/d1/d2/f.bin", "../g", HOTA_OK, "https://a.test/d1/g"},
    {"https://a.test/d1/d2/f.bin", "../../../../g", HOTA_OK, "https://a.test/g"},
    {"https://a.test/d1/d2/f.bin", "sub/", HOTA_OK, "https://a.test/d1/d2/sub/"},
    {"https://a.test/d1/d2/f.bin", "..", HOTA_OK, "https://a.test/d1/"},
    {"https://a.test/d1/d2/f.bin", "/new/x.bin?v=3#top", HOTA_OK, "https://a.test/new/x.bin?v=3"},
    {"https://a.test/d1/f.bin?old", "?new=1", HOTA_OK, "https://a.test/d1/f.bin?new=1"},
    {"https://a.test/d1/f.bin?old", "", HOTA_OK, "https://a.test/d1/f.bin?old"},
    {"https://a.test/d1/f.bin", "/a/./b/../c", HOTA_OK, "https://a.test/a/c"},
    {"https://a.test/d1/f.bin", "g?q=../x", HOTA_OK, "https://a.test/d1/g?q=../x"},
    {"https://a.test:8443/f", "/g", HOTA_OK, "https://a.test:8443/g"},
    {"https://a.test/f", "//b.test:9/x", HOTA_OK, "https://b.test:9/x"},
    {"http://a.test/f", "https://b.test/y", HOTA_OK, "https://b.test/y"},
    {"https://a.test/f", "http://b.test/y", HOTA_OK, "http://b.test/y"},
    {"https://a.test/f", "ftp://b.test/y", HOTA_E_URL_SCHEME, NULL},
    {"https://a.test/f", "/a b", HOTA_E_URL, NULL},
    {"https://a.test/f", "//", HOTA_E_URL, NULL},
};

static void test_resolve_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof resolve_cases / sizeof resolve_cases[0]; i++) {
        const struct resolve_case *c = &resolve_cases[i];
        hota_url_t base, out;
        char buf[HOTA_URL_MAX];
        int rc;
        assert_int_equal(hota_url_parse(&base, c->base), HOTA_OK);
        rc = hota_url_resolve(&out, &base, c->ref);
        if (rc != c->rc)
            fail_msg("case %zu '%s': rc %d, want %d", i, c->ref, rc, c->rc);
        if (rc != HOTA_OK)
            continue;
        assert_int_equal(hota_url_format(&out, buf, sizeof buf), HOTA_OK);
        if (strcmp(buf, c->want) != 0)
            fail_msg("case %zu '%s': got '%s', want '%s'", i, c->ref, buf, c->want);
    }
}

static void test_resolve_userinfo_and_alias(void **state)
{
    hota_url_t u;
    (void)state;
    assert_int_equal(hota_url_parse(&u, "https://me:pw@a.test/d/f"), HOTA_OK);
    /* same object as base and out; same-origin relative keeps the credentials */
    assert_int_equal(hota_url_resolve(&u, &u, "g"), HOTA_OK);
    assert_string_equal(u.path, "/d/g");
    assert_int_equal(u.has_userinfo, 1);
    assert_string_equal(u.user, "me");
    /* another origin: the reference's own (here none) */
    assert_int_equal(hota_url_resolve(&u, &u, "https://b.test/x"), HOTA_OK);
    assert_int_equal(u.has_userinfo, 0);
}

static void test_same_origin(void **state)
{
    hota_url_t a, b;
    (void)state;
    assert_int_equal(hota_url_parse(&a, "https://A.test/x"), HOTA_OK);
    assert_int_equal(hota_url_parse(&b, "https://a.TEST:443/y"), HOTA_OK);
    assert_int_equal(hota_url_same_origin(&a, &b), 1);
    assert_int_equal(hota_url_parse(&b, "http://a.test:443/y"), HOTA_OK);
    assert_int_equal(hota_url_same_origin(&a, &b), 0);
    assert_int_equal(hota_url_parse(&b, "https://a.test:444/y"), HOTA_OK);
    assert_int_equal(hota_url_same_origin(&a, &b), 0);
    assert_int_equal(hota_url_parse(&b, "https://a.tes/y"), HOTA_OK);
    assert_int_equal(hota_url_same_origin(&a, &b), 0);
}

/* The origin alone (scheme, host, port) answers the same as the whole URL. */
static void test_origin_of(void **state)
{
    static const char *const others[] = {
        "https://a.TEST:443/y", "http://a.test:443/y", "https://a.test:444/y",
        "https://a.tes/y",      "https://a.test./y",   "https://u:p@A.test/z?q",
        "http://[::1]:443/",    "https://a.testx/",
    };
    hota_url_t a, b;
    hota_url_origin_t o;
    (void)state;
    assert_int_equal(hota_url_parse(&a, "https://A.test/x"), HOTA_OK);
    memset(&o, 0x5a, sizeof o);
    hota_url_origin_of(&o, &a);
    assert_int_equal(o.tls, 1);
    assert_int_equal(o.port, 443);
    assert_string_equal(o.host, "A.test");
    for (size_t i = 0; i < sizeof others / sizeof others[0]; i++) {
        assert_int_equal(hota_url_parse(&b, others[i]), HOTA_OK);
        assert_int_equal(hota_url_is_origin(&o, &b), hota_url_same_origin(&a, &b));
    }
    assert_int_equal(hota_url_is_origin(&o, &a), 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_table),
        cmocka_unit_test(test_parse_caps),
        cmocka_unit_test(test_host_header),
        cmocka_unit_test(test_resolve_table),
        cmocka_unit_test(test_resolve_userinfo_and_alias),
        cmocka_unit_test(test_same_origin),
        cmocka_unit_test(test_origin_of),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
