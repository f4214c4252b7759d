"""`hota fetch` against real servers on loopback: openssl s_server -WWW, Python's http.server
over TLS, nginx; certificate failures; mutual TLS; an HTTP error status.

openssl s_server -WWW is the case hota exists for: HTTP/1.0, no Content-Length, the body ends
with close_notify and the server keeps TCP open until the client sends its own close_notify.
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import hotatest  # noqa: E402
from hotatest import EXIT, Harness, free_port, log, read_file, wait_port  # noqa: E402

TIMEOUT_MS = 10000
QUICK_MS = 2000          # "quickly": far below the 10 s timeout and s_server's hold
NGINX = "/usr/sbin/nginx"


def body_file(h, name, size):
    data = os.urandom(size)
    os.makedirs(h.path("www"), exist_ok=True)
    h.write(os.path.join("www", name), data)
    return data


def start_s_server(h, cert, key, extra=(), tries=3):
    """openssl s_server -WWW serving h.tmp/www on a free loopback port. Returns the port."""
    for _ in range(tries):
        port = free_port()
        p = h.spawn(["openssl", "s_server", "-accept", "127.0.0.1:%d" % port, "-cert", cert,
                     "-key", key, "-WWW", "-quiet"] + list(extra), cwd=h.path("www"),
                    name="s_server")
        if wait_port(port, 10, proc=p):
            return port
        h.stop(p)
    raise RuntimeError("openssl s_server did not start:\n" + h.proc_log(p))


def expect_ok(h, what, res, data, framing=None, end=None, quick=True):
    js = res.js or {}
    ok = h.check(res.rc == 0 and js.get("result") == "ok" and js.get("error") is None,
                 "%s: fetch ok (exit 0)" % what, res)
    if ok:
        got = read_file(res.out) if os.path.exists(res.out) else b""
        h.check(got == data and js.get("bytes") == len(data),
                "%s: %d body bytes written and reported, got %d / %s"
                % (what, len(data), len(got), js.get("bytes")))
    if framing:
        h.check(js.get("framing") == framing, "%s: framing %s, got %s"
                % (what, framing, js.get("framing")), res)
    if end:
        h.check(js.get("end") == end, "%s: end %s, got %s" % (what, end, js.get("end")), res)
    if quick:
        el = js.get("elapsed_ms")
        h.check(isinstance(el, (int, float)) and el < QUICK_MS,
                "%s: done quickly, elapsed_ms %s < %d" % (what, el, QUICK_MS), res)
    h.check(js.get("close_notify_sent") is True, "%s: close_notify_sent" % what, res)
    log("%-34s rc=%s result=%s framing=%s end=%s bytes=%s tail_ms=%s elapsed_ms=%s"
        % (what, res.rc, js.get("result"), js.get("framing"), js.get("end"), js.get("bytes"),
           js.get("tail_ms"), js.get("elapsed_ms")))


def expect_error(h, what, res, errors, exit_code):
    js = res.js or {}
    errors = (errors,) if isinstance(errors, str) else errors
    if errors:
        h.check(js.get("result") == "error" and js.get("error") in errors,
                "%s: error %s, got %s" % (what, "|".join(errors), js.get("error")), res)
    h.check(res.rc == exit_code, "%s: exit code %d, got %s" % (what, exit_code, res.rc), res)
    hotatest.assert_no_file(h, res.out, what)
    log("%-34s rc=%s result=%s error=%s status=%s elapsed_ms=%s"
        % (what, res.rc, js.get("result"), js.get("error"), js.get("status"),
           js.get("elapsed_ms")))


# ----- openssl s_server ----------------------------------------------------------------------
def test_s_server(h, certs):
    data = body_file(h, "firmware.bin", 300001)
    port = start_s_server(h, certs.server, certs.server_key)
    res = h.run_fetch("https://localhost:%d/firmware.bin" % port, ca=certs.ca,
                      timeout_ms=TIMEOUT_MS)
    expect_ok(h, "s_server -WWW (seed case)", res, data, framing="close", end="close_notify")
    tail = (res.js or {}).get("tail_ms")
    h.check(isinstance(tail, (int, float)) and tail < 500,
            "s_server: tail_ms %s < 500 (no wait after close_notify)" % tail, res)

    expired = start_s_server(h, certs.expired, certs.expired_key)
    expect_error(h, "expired certificate", h.run_fetch(
        "https://localhost:%d/firmware.bin" % expired, ca=certs.ca, timeout_ms=TIMEOUT_MS),
        "CERT_EXPIRED", EXIT["tls"])
    notyet = start_s_server(h, certs.notyet, certs.notyet_key)
    expect_error(h, "not-yet-valid certificate", h.run_fetch(
        "https://localhost:%d/firmware.bin" % notyet, ca=certs.ca, timeout_ms=TIMEOUT_MS),
        "CERT_EXPIRED", EXIT["tls"])
    wrong = start_s_server(h, certs.wronghost, certs.wronghost_key)
    expect_error(h, "wrong host name", h.run_fetch(
        "https://localhost:%d/firmware.bin" % wrong, ca=certs.ca, timeout_ms=TIMEOUT_MS),
        "CERT_HOSTNAME", EXIT["tls"])
    expect_error(h, "unknown CA", h.run_fetch(
        "https://localhost:%d/firmware.bin" % port, ca=certs.other_ca, timeout_ms=TIMEOUT_MS),
        "CERT_VERIFY", EXIT["tls"])
    test_mtls(h, certs, data)


def test_mtls(h, certs, data):
    port = start_s_server(h, certs.server, certs.server_key,
                          ["-Verify", "1", "-verify_return_error", "-CAfile", certs.client_ca])
    url = "https://localhost:%d/firmware.bin" % port
    res = h.run_fetch(url, ca=certs.ca, cert=certs.client, key=certs.client_key,
                      timeout_ms=TIMEOUT_MS)
    expect_ok(h, "mTLS with --cert/--key", res, data, framing="close", end="close_notify")
    expect_error(h, "mTLS without a client cert", h.run_fetch(
        url, ca=certs.ca, timeout_ms=TIMEOUT_MS), "TLS_CLIENT_CERT", EXIT["tls"])
    expect_error(h, "mTLS with an untrusted client cert", h.run_fetch(
        url, ca=certs.ca, cert=certs.server, key=certs.server_key, timeout_ms=TIMEOUT_MS),
        (), EXIT["tls"])


# ----- Python http.server over TLS -----------------------------------------------------------
def test_python_https(h, certs):
    data = body_file(h, "py.bin", 123457)
    www = h.path("www")
    pyport = hotatest.start_python_https(h, certs, www)
    res = h.run_fetch("https://localhost:%d/py.bin" % pyport, ca=certs.ca,
                      timeout_ms=TIMEOUT_MS)
    expect_ok(h, "python http.server (CL + FIN)", res, data, framing="content-length")


# ----- nginx ---------------------------------------------------------------------------------
NGINX_CONF = """daemon off;
master_process off;
pid {d}/nginx.pid;
error_log {d}/error.log info;
events {{ worker_connections 64; }}
http {{
  access_log {d}/access.log;
  client_body_temp_path {d}/body;
  proxy_temp_path {d}/proxy;
  fastcgi_temp_path {d}/fastcgi;
  uwsgi_temp_path {d}/uwsgi;
  scgi_temp_path {d}/scgi;
  default_type application/octet-stream;
  keepalive_timeout 65;
  gzip off;
  server {{
    listen 127.0.0.1:{port} ssl;
    server_name localhost;
    ssl_certificate {cert};
    ssl_certificate_key {key};
    ssl_protocols TLSv1.2 TLSv1.3;
    root {www};
{chunked}  }}
}}
"""
# A body filter (sub_filter with a pattern that never matches) drops Content-Length, so
# nginx sends the static file chunked.
NGINX_CHUNKED = """    location /chunked/ {{
      alias {www}/;
      chunked_transfer_encoding on;
      sub_filter_types *;
      sub_filter 'hota-pattern-that-never-matches' 'x';
    }}
"""


def nginx_conf(h, certs, port, chunked, www=None, extra=""):
    d = h.path("nginx")
    os.makedirs(d, exist_ok=True)
    www = www or h.path("www")
    text = NGINX_CONF.format(d=d, port=port, cert=certs.server, key=certs.server_key, www=www,
                             chunked=(NGINX_CHUNKED.format(www=www) if chunked else "") + extra)
    return h.write(os.path.join("nginx", "nginx.conf"), text)


def start_nginx(h, certs, www=None, extra=""):
    """nginx with TLS and keep-alive serving www (default: the harness's www), with extra
    server-block lines; returns (port, chunked_supported), or None when nginx is missing."""
    if not os.access(NGINX, os.X_OK):
        return None
    chunked = True
    conf = nginx_conf(h, certs, free_port(), chunked, www, extra)
    t = hotatest.run([NGINX, "-t", "-p", h.path("nginx"), "-c", conf, "-e",
                      h.path("nginx", "error.log")], timeout=20, check=False)
    if t.returncode != 0 and "sub_filter" in t.stderr:
        chunked = False
    for _ in range(3):
        port = free_port()
        conf = nginx_conf(h, certs, port, chunked, www, extra)
        p = h.spawn([NGINX, "-p", h.path("nginx"), "-c", conf, "-e",
                     h.path("nginx", "error.log")], name="nginx")
        if wait_port(port, 10, proc=p):
            return port, chunked
        h.stop(p)
    raise RuntimeError("nginx did not start:\n" + h.proc_log(p))


def test_nginx(h, certs):
    data = body_file(h, "ng.bin", 200003)
    started = start_nginx(h, certs)
    if started is None:
        log("SKIPPED nginx part: %s not installed (scripts/deps.sh installs nginx-light)" % NGINX)
        return False
    port, chunked = started
    res = h.run_fetch("https://localhost:%d/ng.bin" % port, ca=certs.ca, timeout_ms=TIMEOUT_MS)
    expect_ok(h, "nginx keep-alive (content-length)", res, data, framing="content-length")
    if chunked:
        res = h.run_fetch("https://localhost:%d/chunked/ng.bin" % port, ca=certs.ca,
                          timeout_ms=TIMEOUT_MS)
        expect_ok(h, "nginx keep-alive (chunked)", res, data, framing="chunked")
    else:
        log("SKIPPED nginx chunked part: this nginx has no sub_filter module")
    res = h.run_fetch("https://localhost:%d/missing.bin" % port, ca=certs.ca,
                      timeout_ms=TIMEOUT_MS)
    expect_error(h, "nginx 404", res, "HTTP_STATUS", EXIT["http"])
    h.check((res.js or {}).get("status") == 404, "nginx 404: status 404 reported", res)
    return True


def main():
    with Harness("test_real_servers") as h:
        h.need_hota()
        certs = h.certs()
        test_s_server(h, certs)
        test_python_https(h, certs)
        test_nginx(h, certs)
    h.finish()


if __name__ == "__main__":
    main()
