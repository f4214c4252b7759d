"""`hota probe` against servers whose behaviour is known: every `hota serve` framing and ending
(and --no-range), `openssl s_server -WWW` (the seed case), Python's http.server over TLS,
nginx, a TLS 1.3-only server; an ESP app image and a non-image body; --full.

Each reported property is compared with what that server is known to do.
"""

import os
import shutil
import sys
import threading

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import hotatest  # noqa: E402
import test_real_servers as real  # noqa: E402
from hotatest import EXIT, Harness, free_port, hota_bin, log, run, wait_port  # noqa: E402

QUICK_S = 6.0        # a probe of a well-behaved server on loopback takes a few seconds at most
TIMEOUT_MS = 3000

# hota serve --end NAME -> what the probe must report as "end".
ENDS = {
    "close_notify": "close_notify_hold",
    "close_notify+fin": "close_notify_fin",
    "fin": "fin",
    "reset": "reset",
    "keep-alive": "keep_alive",
}


def idf_expected(framing, end):
    """ESP-IDF <= v5.3.1: framed bodies end at their framing; a close-delimited body ends only
    at FIN (with or without close_notify before it), a reset is an error, a held connection
    (close_notify then nothing, or nothing at all) never ends."""
    if framing != "close":
        return "ok"
    return {"close_notify": "hangs", "close_notify+fin": "ok", "fin": "ok", "reset": "fails",
            "keep-alive": "hangs"}[end]


def probe(h, url, ca=None, extra=(), timeout_ms=TIMEOUT_MS):
    cmd = [hota_bin(), "probe", url, "--json", "--timeout-ms", str(timeout_ms)]
    if ca:
        cmd += ["--ca", ca]
    return h.run_cli(cmd + list(extra), timeout=60)


def expect(h, what, res, **want):
    """Check every key of want against the JSON report."""
    js = res.js or {}
    h.check(res.js is not None, "%s: one JSON object on stdout" % what, res)
    for key, val in want.items():
        h.check(js.get(key) == val, "%s: %s = %r, got %r" % (what, key, val, js.get(key)), res)


def expect_common_ok(h, what, res, quick=True):
    js = res.js or {}
    h.check(res.rc == 0 and js.get("result") == "ok", "%s: probe ok, exit 0" % what, res)
    h.check(js.get("status") == 200, "%s: status 200, got %s" % (what, js.get("status")))
    h.check(js.get("tls_version") == "TLSv1.2", "%s: TLSv1.2, got %s"
            % (what, js.get("tls_version")))
    h.check(bool(js.get("cipher")), "%s: a cipher suite is named" % what)
    cert = js.get("certificate") or {}
    h.check(cert.get("san_match") is True and cert.get("verified") is True and
            cert.get("expired") is False and "CN=localhost" in (cert.get("subject") or ""),
            "%s: certificate CN=localhost, host matches, verified, not expired: %s"
            % (what, cert))
    h.check(isinstance(js.get("advice"), list), "%s: advice is a list" % what)
    if quick:
        h.check(res.elapsed < QUICK_S, "%s: done in %.1fs < %.0fs" % (what, res.elapsed, QUICK_S))
    log("%-40s %.2fs framing=%s end=%s waits=%s reuse=%s range=%s idf=%s image=%s"
        % (what, res.elapsed, js.get("framing"), js.get("end"),
           js.get("waits_for_close_notify"), js.get("keep_alive_reuse"), js.get("range"),
           js.get("idf_v5_3_1"), js.get("esp_image")))


def expect_app(h, what, res):
    js = res.js or {}
    app = js.get("app") or {}
    h.check(js.get("esp_image") is True and app.get("project_name") == "probeapp" and
            app.get("version") == "2.7.1" and app.get("secure_version") == 3,
            "%s: ESP image with app probeapp 2.7.1 (secure_version 3): %s" % (what, app))


# ----- fixtures ------------------------------------------------------------------------------
def make_www(h):
    www = h.path("www")
    os.makedirs(www, exist_ok=True)
    run([hota_bin(), "image", "create", "--project", "probeapp", "--version", "2.7.1",
         "--secure-version", "3", "--size", "200000", "-o", os.path.join(www, "app.bin")])
    h.write(os.path.join("www", "blob.bin"), os.urandom(150001))
    return www


def start_hota_serve(h, certs, www, framing, end, extra=()):
    cmd = [hota_bin(), "serve", www, "--port", "0", "--cert", certs.server, "--key",
           certs.server_key, "--framing", framing, "--end", end, "--hold-timeout", "20000"]
    p = h.spawn(cmd + list(extra), name="hota-serve")
    for _ in range(100):
        text = h.proc_log(p)
        for line in text.splitlines():
            if line.startswith("listening on "):
                return p, int(line.split()[2])
        if p.poll() is not None:
            break
        threading.Event().wait(0.05)
    raise RuntimeError("hota serve did not start:\n" + h.proc_log(p))


def start_s_server(h, cert, key, www, extra=()):
    for _ in range(3):
        port = free_port()
        p = h.spawn(["openssl", "s_server", "-accept", "127.0.0.1:%d" % port, "-cert", cert,
                     "-key", key, "-WWW", "-quiet"] + list(extra), cwd=www, name="s_server")
        if wait_port(port, 10, proc=p):
            return p, port
        h.stop(p)
    raise RuntimeError("openssl s_server did not start")


# ----- hota serve ----------------------------------------------------------------------------
def test_hota_serve(h, certs, www):
    for framing in ("content-length", "chunked", "close"):
        for end in ENDS:
            what = "hota serve %s/%s" % (framing, end)
            proc, port = start_hota_serve(h, certs, www, framing, end)
            res = probe(h, "https://localhost:%d/app.bin" % port, certs.ca)
            h.stop(proc)
            stalls = framing == "close" and end == "keep-alive"   # the body never ends
            expect_common_ok(h, what, res, quick=not stalls)
            js = res.js or {}
            expect(h, what, res, framing=framing, idf_v5_3_1=idf_expected(framing, end),
                   waits_for_close_notify=(end == "close_notify"),
                   keep_alive_reuse=(end == "keep-alive" and framing != "close"),
                   esp_image=True)
            if stalls:
                expect(h, what, res, end=None, body_error="TIMEOUT", hota="fails")
                h.check(res.elapsed < TIMEOUT_MS / 1000.0 * 4,
                        "%s: bounded by the timeout (%.1fs)" % (what, res.elapsed))
            else:
                expect(h, what, res, end=ENDS[end])
            truncated = framing == "close" and end in ("fin", "reset")
            expect(h, what, res, hota="fails" if truncated or stalls else "ok")
            # Ranges: hota serve answers 206 with its framing; Content-Length only when framed
            # by length, so resuming is sound only there.
            expect(h, what, res, range=True, resume=(framing == "content-length"))
            unsat = (js.get("range_requests") or {}).get("unsatisfiable") or {}
            h.check(unsat.get("status") == 416, "%s: 416 past the end, got %s"
                    % (what, unsat.get("status")))
            h.check(bool(js.get("etag")) and bool(js.get("last_modified")),
                    "%s: ETag and Last-Modified reported" % what, res)
            expect_app(h, what, res)
    proc, port = start_hota_serve(h, certs, www, "content-length", "close_notify+fin",
                                  ["--no-range"])
    res = probe(h, "https://localhost:%d/app.bin" % port, certs.ca)
    h.stop(proc)
    expect_common_ok(h, "hota serve --no-range", res)
    js = res.js or {}
    first = (js.get("range_requests") or {}).get("first") or {}
    expect(h, "hota serve --no-range", res, range=False, resume=False, idf_v5_3_1="ok")
    h.check(first.get("status") == 200, "--no-range: bytes=0-15 answered 200, got %s"
            % first.get("status"))
    h.check(any("range" in a for a in js.get("advice") or []),
            "--no-range: advice mentions ranges: %s" % js.get("advice"))


def test_full_and_non_image(h, certs, www):
    proc, port = start_hota_serve(h, certs, www, "content-length", "keep-alive")
    res = probe(h, "https://localhost:%d/app.bin" % port, certs.ca, ["--full"])
    expect_common_ok(h, "--full on an image", res)
    img = (res.js or {}).get("image") or {}
    h.check(img.get("full") is True and img.get("complete") is True and
            img.get("checksum_valid") is True and img.get("hash_valid") is True and
            img.get("result") == "ok" and img.get("signatures") == [],
            "--full: whole image checked, checksum and hash valid, unsigned: %s" % img, res)
    h.check(img.get("bytes_checked") == (res.js or {}).get("content_length"),
            "--full: every body byte went through the verifier: %s" % img)
    expect_app(h, "--full on an image", res)
    res = probe(h, "https://localhost:%d/app.bin" % port, certs.ca)
    img = (res.js or {}).get("image") or {}
    h.check(img.get("full") is False and img.get("bytes_checked") == 4096,
            "without --full only the first 4 KiB are verified: %s" % img, res)
    res = probe(h, "https://localhost:%d/blob.bin" % port, certs.ca)
    h.stop(proc)
    expect_common_ok(h, "non-image body", res)
    expect(h, "non-image body", res, esp_image=False, app=None, image=None,
           content_length=150001)


# ----- openssl s_server -WWW -----------------------------------------------------------------
def test_s_server(h, certs, www):
    proc, port = start_s_server(h, certs.server, certs.server_key, www)
    res = probe(h, "https://localhost:%d/app.bin" % port, certs.ca)
    expect_common_ok(h, "s_server -WWW (seed case)", res)
    expect(h, "s_server -WWW", res, http_version="HTTP/1.0", framing="close",
           end="close_notify_hold", waits_for_close_notify=True, idf_v5_3_1="hangs",
           hota="ok", range=False, resume=False, keep_alive_reuse=False, etag=None)
    expect_app(h, "s_server -WWW", res)
    h.check(any("Content-Length" in a for a in (res.js or {}).get("advice") or []),
            "s_server: advice says to send Content-Length: %s" % (res.js or {}).get("advice"))
    res = probe(h, "https://localhost:%d/blob.bin" % port, certs.ca)
    expect(h, "s_server non-image", res, esp_image=False, app=None, idf_v5_3_1="hangs")
    # The human-readable report says the same.
    hum = h.run_cli([hota_bin(), "probe", "https://localhost:%d/app.bin" % port, "--ca",
                     certs.ca], timeout=60)
    h.check(hum.rc == 0 and "close_notify_hold" in hum.stdout and
            "ESP-IDF <= v5.3.1: hangs" in hum.stdout and "probeapp 2.7.1" in hum.stdout,
            "s_server: human report names the ending, the verdict and the app", hum)
    h.stop(proc)
    proc, port = start_s_server(h, certs.server, certs.server_key, www, ["-tls1_3"])
    res = probe(h, "https://localhost:%d/app.bin" % port, certs.ca)
    h.stop(proc)
    expect(h, "TLS 1.3-only s_server", res, result="error", error="TLS_VERSION",
           idf_v5_3_1="fails")
    h.check(res.rc == EXIT["tls"], "TLS 1.3-only: exit code %d, got %s" % (EXIT["tls"], res.rc))


# ----- Python http.server over TLS -------------------------------------------------------------
def test_python(h, certs, www):
    pyport = hotatest.start_python_https(h, certs, www)
    res = probe(h, "https://localhost:%d/app.bin" % pyport, certs.ca)
    expect_common_ok(h, "python http.server", res)
    expect(h, "python http.server", res, framing="content-length", end="fin",
           waits_for_close_notify=False, idf_v5_3_1="ok", hota="ok", range=False,
           keep_alive_reuse=False, etag=None, content_length=os.path.getsize(
               os.path.join(www, "app.bin")))
    h.check(bool((res.js or {}).get("last_modified")), "python: Last-Modified reported", res)
    expect_app(h, "python http.server", res)


# ----- nginx (started by test_real_servers.start_nginx, plus one redirect) -----------------
NGINX_REDIRECT = "    location = /old.bin { return 302 /app.bin; }\n"


def test_nginx(h, certs, www):
    started = real.start_nginx(h, certs, www=www, extra=NGINX_REDIRECT)
    if started is None:
        h.check(False, "nginx not installed at %s" % real.NGINX)
        return
    port = started[0]
    res = probe(h, "https://localhost:%d/old.bin" % port, certs.ca)
    expect_common_ok(h, "nginx", res)
    expect(h, "nginx", res, http_version="HTTP/1.1", framing="content-length",
           end="keep_alive", waits_for_close_notify=False, keep_alive_reuse=True, range=True,
           resume=True, idf_v5_3_1="ok", hota="ok", redirects=1, accept_ranges="bytes")
    js = res.js or {}
    h.check(bool(js.get("etag")) and bool(js.get("last_modified")),
            "nginx: ETag and Last-Modified reported", res)
    h.check(((js.get("range_requests") or {}).get("unsatisfiable") or {}).get("status") == 416,
            "nginx: 416 for a range past the end", res)
    h.check((js.get("final_url") or "").endswith("/app.bin"), "nginx: final_url after the "
            "redirect ends with /app.bin: %s" % js.get("final_url"))
    expect_app(h, "nginx", res)


def main():
    with Harness("test_probe") as h:
        b = hota_bin()
        if not os.access(b, os.X_OK):
            h.check(False, "hota binary not found at %s" % b)
            h.finish()
        if "probe" not in run([b, "help"], timeout=10, check=False).stdout:
            h.skip("`hota probe` is not in this build (%s)" % b)
        certs = h.certs()
        www = make_www(h)
        test_s_server(h, certs, www)
        test_python(h, certs, www)
        test_nginx(h, certs, www)
        test_full_and_non_image(h, certs, www)
        test_hota_serve(h, certs, www)
        shutil.rmtree(www, ignore_errors=True)
        h.finish()


if __name__ == "__main__":
    main()
