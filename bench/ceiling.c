/* The throughput ceiling: the smallest HTTPS GET client mbedTLS 2.28 allows. It connects,
 * handshakes (TLS 1.2, CA verified), sends one GET, and reads the body with nothing on top but
 * counting the bytes (and, with --sha256, hashing them, as an update must at least do).
 * No output file, no parser beyond finding the end of the head and Content-Length.
 *
 * usage: hota_bench_ceiling HOST PORT PATH --ca PEM [--name SNI] [--sha256] [--buf N]
 *                           [--mfl 512|1024|2048|4096] [--resume] [--os-entropy]
 * --os-entropy seeds the DRBG straight from getrandom() instead of an mbedtls_entropy_context
 * (37,960 bytes with Debian's HAVEGE-enabled build), as hota does: the smallest session.
 * Prints one JSON object: bytes, status, handshake_ms, body_ms, total_ms, sha256, and with
 * --resume the time of a second handshake that resumes the first session.
 */
#include <mbedtls/ctr_drbg.h>
#include <mbedtls/entropy.h>
#include <mbedtls/net_sockets.h>
#include <mbedtls/sha256.h>
#include <mbedtls/ssl.h>
#include <mbedtls/x509_crt.h>

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdint.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#define BUF_MAX (1024 * 1024)

typedef struct opts {
    const char *host, *port, *path, *ca, *name;
    int sha, resume, os_entropy;
    size_t buf;
    unsigned mfl;
} opts_t;

typedef struct tls {
    mbedtls_net_context net;
    mbedtls_ssl_context ssl;
    mbedtls_ssl_config conf;
    mbedtls_x509_crt ca;
    mbedtls_entropy_context *entropy; /* NULL with --os-entropy */
    mbedtls_ctr_drbg_context drbg;
} tls_t;

typedef struct result {
    uint64_t bytes;
    int status;
    double handshake_ms, body_ms, total_ms, resume_ms;
    size_t mfl; /* record size limit in force after the handshake */
    uint8_t digest[32];
} result_t;

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static int mfl_code(unsigned n)
{
    switch (n) {
    case 512:
        return MBEDTLS_SSL_MAX_FRAG_LEN_512;
    case 1024:
        return MBEDTLS_SSL_MAX_FRAG_LEN_1024;
    case 2048:
        return MBEDTLS_SSL_MAX_FRAG_LEN_2048;
    case 4096:
        return MBEDTLS_SSL_MAX_FRAG_LEN_4096;
    default:
        return MBEDTLS_SSL_MAX_FRAG_LEN_NONE;
    }
}

static int parse_opts(int argc, char **argv, opts_t *o)
{
    memset(o, 0, sizeof *o);
    o->buf = 16384;
    if (argc < 4)
        return -1;
    o->host = argv[1];
    o->port = argv[2];
    o->path = argv[3];
    for (int i = 4; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--sha256"))
            o->sha = 1;
        else if (!strcmp(a, "--resume"))
            o->resume = 1;
        else if (!strcmp(a, "--os-entropy"))
            o->os_entropy = 1;
        else if (v && !strcmp(a, "--ca"))
            o->ca = v, i++;
        else if (v && !strcmp(a, "--name"))
            o->name = v, i++;
        else if (v && !strcmp(a, "--buf"))
            o->buf = (size_t)strtoul(v, NULL, 10), i++;
        else if (v && !strcmp(a, "--mfl"))
            o->mfl = (unsigned)strtoul(v, NULL, 10), i++;
        else
            return -1;
    }
    return o->ca && o->buf > 0 && o->buf <= BUF_MAX ? 0 : -1;
}

/* Entropy straight from the kernel (f_entropy of mbedtls_ctr_drbg_seed). */
static int os_entropy(void *ctx, unsigned char *out, size_t len)
{
    (void)ctx;
    while (len > 0) {
        ssize_t n = getrandom(out, len, 0);
        if (n <= 0)
            return -1;
        out += n;
        len -= (size_t)n;
    }
    return 0;
}

/* The DRBG, seeded from an mbedTLS entropy collector or (--os-entropy) from getrandom(). */
static int seed_drbg(tls_t *t, const opts_t *o)
{
    static const unsigned char pers[] = "hota-bench-ceiling";
    if (o->os_entropy)
        return mbedtls_ctr_drbg_seed(&t->drbg, os_entropy, NULL, pers, sizeof pers - 1);
    t->entropy = calloc(1, sizeof *t->entropy);
    if (!t->entropy)
        return -1;
    mbedtls_entropy_init(t->entropy);
    return mbedtls_ctr_drbg_seed(&t->drbg, mbedtls_entropy_func, t->entropy, pers,
                                 sizeof pers - 1);
}

/* Once per process: RNG, CA, configuration. */
static int setup_conf(tls_t *t, const opts_t *o)
{
    mbedtls_x509_crt_init(&t->ca);
    mbedtls_ctr_drbg_init(&t->drbg);
    mbedtls_ssl_config_init(&t->conf);
    if (seed_drbg(t, o) != 0 || mbedtls_x509_crt_parse_file(&t->ca, o->ca) != 0 ||
        mbedtls_ssl_config_defaults(&t->conf, MBEDTLS_SSL_IS_CLIENT,
                                    MBEDTLS_SSL_TRANSPORT_STREAM,
                                    MBEDTLS_SSL_PRESET_DEFAULT) != 0)
        return -1;
    mbedtls_ssl_conf_min_version(&t->conf, MBEDTLS_SSL_MAJOR_VERSION_3,
                                 MBEDTLS_SSL_MINOR_VERSION_3);
    mbedtls_ssl_conf_rng(&t->conf, mbedtls_ctr_drbg_random, &t->drbg);
    mbedtls_ssl_conf_authmode(&t->conf, MBEDTLS_SSL_VERIFY_REQUIRED);
    mbedtls_ssl_conf_ca_chain(&t->conf, &t->ca, NULL);
    if (o->mfl && mbedtls_ssl_conf_max_frag_len(&t->conf, (unsigned char)mfl_code(o->mfl)))
        return -1;
    return 0;
}

/* One connection and handshake; session (if any) is offered for resumption. */
static int open_conn(tls_t *t, const opts_t *o, const mbedtls_ssl_session *session)
{
    int r;
    mbedtls_net_init(&t->net);
    mbedtls_ssl_init(&t->ssl);
    int one = 1;
    if (mbedtls_net_connect(&t->net, o->host, o->port, MBEDTLS_NET_PROTO_TCP) != 0 ||
        setsockopt(t->net.fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one) != 0 ||
        mbedtls_ssl_setup(&t->ssl, &t->conf) != 0 ||
        mbedtls_ssl_set_hostname(&t->ssl, o->name ? o->name : o->host) != 0)
        return -1;
    if (session && mbedtls_ssl_set_session(&t->ssl, session) != 0)
        return -1;
    mbedtls_ssl_set_bio(&t->ssl, &t->net, mbedtls_net_send, mbedtls_net_recv, NULL);
    while ((r = mbedtls_ssl_handshake(&t->ssl)) != 0)
        if (r != MBEDTLS_ERR_SSL_WANT_READ && r != MBEDTLS_ERR_SSL_WANT_WRITE) {
            fprintf(stderr, "ceiling: handshake failed: -0x%04x\n", (unsigned)-r);
            return -1;
        }
    return 0;
}

static void close_conn(tls_t *t)
{
    mbedtls_ssl_close_notify(&t->ssl);
    mbedtls_net_free(&t->net);
    mbedtls_ssl_free(&t->ssl);
}

static int send_get(tls_t *t, const opts_t *o)
{
    char req[1024];
    int n = snprintf(req, sizeof req, "GET %s HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n\r\n",
                     o->path, o->name ? o->name : o->host);
    if (n < 0 || (size_t)n >= sizeof req)
        return -1;
    for (int done = 0; done < n;) {
        int r = mbedtls_ssl_write(&t->ssl, (const unsigned char *)req + done, (size_t)(n - done));
        if (r > 0)
            done += r;
        else if (r != MBEDTLS_ERR_SSL_WANT_WRITE && r != MBEDTLS_ERR_SSL_WANT_READ)
            return -1;
    }
    return 0;
}

/* Read the head into buf (*got bytes; body bytes may follow it); returns the head length. */
static long read_head(tls_t *t, char *buf, size_t cap, size_t *got, int *status, uint64_t *len)
{
    char *end = NULL, *cl;
    *got = 0;
    while (!end) {
        int r;
        if (*got >= cap - 1)
            return -1;
        r = mbedtls_ssl_read(&t->ssl, (unsigned char *)buf + *got, cap - 1 - *got);
        if (r == MBEDTLS_ERR_SSL_WANT_READ)
            continue;
        if (r <= 0) {
            fprintf(stderr, "ceiling: reading the head failed: -0x%04x\n", (unsigned)-r);
            return -1;
        }
        *got += (size_t)r;
        buf[*got] = 0;
        end = strstr(buf, "\r\n\r\n");
    }
    *status = atoi(buf + 9);
    cl = strcasestr(buf, "\r\ncontent-length:");
    if (!cl || cl > end)
        return -1;
    *len = strtoull(cl + 17, NULL, 10);
    return (long)(end + 4 - buf);
}

/* The one buffer of the client (heap, like the TLS contexts): head, then body reads. */
static int read_body(tls_t *t, const opts_t *o, result_t *res)
{
    mbedtls_sha256_context sha;
    unsigned char *buf = malloc(o->buf + 1);
    uint64_t want = 0;
    size_t got = 0;
    long hlen = buf ? read_head(t, (char *)buf, o->buf + 1, &got, &res->status, &want) : -1;
    int rc = hlen < 0 ? -1 : 0;
    mbedtls_sha256_init(&sha);
    mbedtls_sha256_starts_ret(&sha, 0);
    if (rc == 0) {
        res->bytes = got - (size_t)hlen;
        if (o->sha)
            mbedtls_sha256_update_ret(&sha, buf + hlen, res->bytes);
    }
    while (rc == 0 && res->bytes < want) {
        int r = mbedtls_ssl_read(&t->ssl, buf, o->buf);
        if (r == MBEDTLS_ERR_SSL_WANT_READ)
            continue;
        if (r <= 0)
            rc = -1;
        else if (o->sha)
            mbedtls_sha256_update_ret(&sha, buf, (size_t)r);
        res->bytes += r > 0 ? (uint64_t)r : 0;
    }
    mbedtls_sha256_finish_ret(&sha, res->digest);
    mbedtls_sha256_free(&sha);
    free(buf);
    return rc == 0 && res->bytes == want ? 0 : -1;
}

/* A second connection resuming the first one's session: the cost a reconnect could have. */
static int resume_once(tls_t *t, const opts_t *o, const mbedtls_ssl_session *s, result_t *res)
{
    double t0 = now_ms();
    int rc = open_conn(t, o, s);
    res->resume_ms = now_ms() - t0;
    close_conn(t);
    return rc;
}

static void print_result(const opts_t *o, const result_t *r, int rc)
{
    printf("{\"result\":\"%s\",\"bytes\":%llu,\"status\":%d,\"handshake_ms\":%.3f,"
           "\"body_ms\":%.3f,\"total_ms\":%.3f,\"sha256\":",
           rc == 0 ? "ok" : "error", (unsigned long long)r->bytes, r->status, r->handshake_ms,
           r->body_ms, r->total_ms);
    if (o->sha) {
        putchar('"');
        for (int i = 0; i < 32; i++)
            printf("%02x", r->digest[i]);
        putchar('"');
    } else {
        fputs("null", stdout);
    }
    if (o->resume)
        printf(",\"resume_handshake_ms\":%.3f", r->resume_ms);
    if (o->mfl)
        printf(",\"mfl_negotiated\":%zu", r->mfl);
    puts("}");
}

static int run(tls_t *t, const opts_t *o, result_t *res)
{
    mbedtls_ssl_session session;
    double t0 = now_ms(), t1, t2;
    int rc = open_conn(t, o, NULL);
    t1 = now_ms();
    if (rc == 0) {
        res->mfl = mbedtls_ssl_get_output_max_frag_len(&t->ssl);
        rc = send_get(t, o);
    }
    if (rc == 0)
        rc = read_body(t, o, res);
    t2 = now_ms();
    mbedtls_ssl_session_init(&session);
    if (rc == 0 && o->resume)
        rc = mbedtls_ssl_get_session(&t->ssl, &session) == 0 ? 0 : -1;
    close_conn(t);
    res->handshake_ms = t1 - t0;
    res->body_ms = t2 - t1;
    res->total_ms = now_ms() - t0;
    if (rc == 0 && o->resume)
        rc = resume_once(t, o, &session, res);
    mbedtls_ssl_session_free(&session);
    return rc;
}

int main(int argc, char **argv)
{
    tls_t *t;
    opts_t o;
    result_t res;
    int rc;
    if (parse_opts(argc, argv, &o) != 0) {
        fprintf(stderr, "usage: %s HOST PORT PATH --ca PEM [--name SNI] [--sha256] [--buf N] "
                        "[--mfl 512|1024|2048|4096] [--resume] [--os-entropy]\n", argv[0]);
        return 2;
    }
    memset(&res, 0, sizeof res);
    t = calloc(1, sizeof *t); /* on the heap, as hota's handles are: the probe counts both */
    if (!t)
        return 1;
    rc = setup_conf(t, &o);
    if (rc == 0)
        rc = run(t, &o, &res);
    print_result(&o, &res, rc);
    mbedtls_ssl_config_free(&t->conf);
    mbedtls_x509_crt_free(&t->ca);
    mbedtls_ctr_drbg_free(&t->drbg);
    if (t->entropy)
        mbedtls_entropy_free(t->entropy);
    free(t->entropy);
    free(t);
    return rc == 0 ? 0 : 1;
}
