"""`hota update` end to end: real servers, every framing x ending, complete and cut bodies.

Every case starts from a copy of one device (factory app v1 running, otadata blank) and runs
`hota update https://... --flash DEV --json --timeout-ms 10000`:

- complete image (openssl s_server -WWW, Python http.server over TLS, nginx keep-alive with
  Content-Length and chunked, `hota serve` in 3 framings x 5 endings, matrix_server.py in every
  complete cell): exit 0, the slot holds the image byte for byte, `hota boot` starts the new
  app PENDING_VERIFY, `hota confirm` makes it VALID; and it finishes quickly (elapsed far below
  the timeout), also when a close-delimited body ends with a bare FIN or never ends at all
  (the image itself says it is complete);
- cut bodies (`hota serve --cut-at` without Range support, matrix cut-fin / cut-notify) and
  complete bodies holding an incomplete image: TRUNCATED or IMAGE_TRUNCATED (exit 3) within a
  bounded time, otadata unchanged byte for byte and `hota boot` still starting v1.
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import hotatest  # noqa: E402
from hotatest import (EXIT, Device, Harness, fmt_table, log, make_image, read_file,  # noqa: E402
                      run_update)
from matrix_server import ENDINGS, FRAMINGS, MatrixServer  # noqa: E402
import test_real_servers as real  # noqa: E402

NAME = "test_update_e2e"
TIMEOUT_MS = 10000
QUICK_MS = 3000            # a complete image must not wait for anything
CUT_BOUND_S = 20.0         # a cut case must end (with its error) within this
CUT_IDLE_TIMEOUT_MS = 1000  # cut + idle connection: 6 attempts x 1 s + 3.1 s backoff < bound
IMAGE_SIZE = 300000
SERVE_ENDINGS = ("close_notify", "close_notify+fin", "fin", "reset", "keep-alive")
JSON_KEYS = ("result", "error", "bytes", "framing", "end", "tail_ms", "tail_us", "elapsed_ms",
             "partition",
             "version", "secure_version", "resumed_from", "requests", "handshakes", "flash_ops")
TRUNC = ("TRUNCATED", "IMAGE_TRUNCATED")


def start_hota_serve(h, certs, framing, ending, extra=()):
    """`hota serve www` on a free port; returns (process, port, status file)."""
    return hotatest.start_hota_serve(h, h.path("www"), certs, framing, ending, extra)


class Runner:
    """Runs cases against fresh copies of the base device and collects the table rows."""

    def __init__(self, h, certs, base, image, new_version):
        self.h, self.certs, self.base = h, certs, base
        self.image, self.data, self.new_version = image, read_file(image), new_version
        self.rows = []
        self.n = 0

    def device(self):
        self.n += 1
        return Device.copy(self.h, self.base, "dev%d" % self.n)

    def ck(self, name, cond, what, res=None):
        return self.h.check(cond, "[%s] %s" % (name, what), res)

    def run(self, server, case, url, expect, bound=None, extra=(), timeout_ms=TIMEOUT_MS):
        """expect: "ok" or a tuple of acceptable errors."""
        dev = self.device()
        before = dev.otadata()
        res = run_update(self.h, url, dev, ca=self.certs.ca, timeout_ms=timeout_ms,
                         proc_timeout=bound, extra=extra)
        name = "%s %s" % (server, case)
        js = res.js or {}
        if not self.ck(name, res.rc is not None, "hota update finished within its bound "
                       "(%.0f s)" % res.elapsed, res):
            booted = self.device_unchanged(name, dev, before)
        else:
            if self.ck(name, res.js is not None, "--json printed one object (%s)"
                       % res.json_error, res):
                missing = [k for k in JSON_KEYS if k not in js]
                self.ck(name, not missing, "JSON lacks %s" % missing, res)
            booted = self.after_ok(name, dev, res) if expect == "ok" else \
                self.after_fail(name, dev, res, expect, before)
        want = "ok" if expect == "ok" else "|".join(expect)
        got = js.get("result") if js.get("result") == "ok" else js.get("error")
        self.rows.append([server, case, want, got, res.rc, js.get("framing"), js.get("end"),
                          js.get("bytes"), js.get("requests"), js.get("tail_ms"),
                          js.get("elapsed_ms"), booted])
        return res

    def after_ok(self, name, dev, res):
        js = res.js or {}
        self.ck(name, res.rc == 0 and js.get("result") == "ok" and js.get("error") is None,
                "update succeeds (exit 0)", res)
        self.ck(name, js.get("partition") == "ota_0" and js.get("version") == self.new_version,
                "partition ota_0 version %s, got %s %s" % (self.new_version, js.get("partition"),
                                                           js.get("version")), res)
        self.ck(name, js.get("bytes") == len(self.data), "bytes %d, got %s"
                % (len(self.data), js.get("bytes")), res)
        tus, tms = js.get("tail_us"), js.get("tail_ms")
        self.ck(name, isinstance(tus, int) and isinstance(tms, int) and tus // 1000 == tms,
                "tail_us %s is tail_ms %s in microseconds" % (tus, tms), res)
        el = js.get("elapsed_ms")
        self.ck(name, isinstance(el, int) and el < QUICK_MS,
                "no waiting: elapsed_ms %s < %d (timeout %d)" % (el, QUICK_MS, TIMEOUT_MS), res)
        self.ck(name, res.elapsed < QUICK_MS / 1000.0 + 2, "process took %.1f s" % res.elapsed)
        self.ck(name, dev.slot_holds("ota_0", self.image), "slot ota_0 holds the image exactly")
        od = dev.otadata() or []
        self.ck(name, any(e.get("state") == "NEW" and e.get("active") for e in od),
                "otadata entry NEW: %s" % od)
        b = dev.boot() or {}
        ok = self.ck(name, (b.get("partition"), b.get("state"), b.get("version")) ==
                     ("ota_0", "PENDING_VERIFY", self.new_version), "boot -> new app: %s" % b)
        c = dev.confirm() or {}
        self.ck(name, (c.get("partition"), c.get("state")) == ("ota_0", "VALID"),
                "confirm -> VALID: %s" % c)
        return "%s %s" % (b.get("partition"), b.get("state")) if ok else "WRONG %s" % b

    def after_fail(self, name, dev, res, errors, before):
        js = res.js or {}
        self.ck(name, js.get("result") == "error" and js.get("error") in errors,
                "error %s, got %s" % ("|".join(errors), js.get("error")), res)
        want_rc = EXIT["truncated"] if set(errors) <= set(TRUNC) else None
        if want_rc is not None:
            self.ck(name, res.rc == want_rc, "exit %d, got %s" % (want_rc, res.rc), res)
        self.ck(name, res.rc not in (0, None), "exit code is a failure: %s" % res.rc, res)
        return self.device_unchanged(name, dev, before)

    def device_unchanged(self, name, dev, before):
        after = dev.otadata()
        self.ck(name, after == before, "otadata unchanged: %s -> %s" % (before, after))
        b = dev.boot() or {}
        ok = self.ck(name, (b.get("partition"), b.get("version")) == ("factory", "v1"),
                     "boot still starts factory v1: %s" % b)
        return "%s %s" % (b.get("partition"), b.get("version")) if ok else "WRONG %s" % b


def test_real_servers(r, h, certs):
    port = real.start_s_server(h, certs.server, certs.server_key)
    r.run("s_server -WWW", "HTTP/1.0 + close_notify hold", "https://localhost:%d/v2.bin" % port,
          "ok")
    r.run("s_server -WWW", "half image", "https://localhost:%d/v2-half.bin" % port, TRUNC,
          bound=CUT_BOUND_S)
    www = h.path("www")
    pport = hotatest.start_python_https(h, certs, www)
    r.run("python http.server", "CL + FIN", "https://localhost:%d/v2.bin" % pport, "ok")
    r.run("python http.server", "half image", "https://localhost:%d/v2-half.bin" % pport, TRUNC,
          bound=CUT_BOUND_S)
    started = real.start_nginx(h, certs)
    if started is None:
        h.check(False, "nginx is required (%s not installed)" % real.NGINX)
        return
    nport, chunked = started
    r.run("nginx", "keep-alive CL", "https://localhost:%d/v2.bin" % nport, "ok")
    if chunked:
        r.run("nginx", "keep-alive chunked", "https://localhost:%d/chunked/v2.bin" % nport, "ok")
    r.run("nginx", "half image", "https://localhost:%d/v2-half.bin" % nport, TRUNC,
          bound=CUT_BOUND_S)


def test_hota_serve(r, h, certs, half_at):
    for framing in FRAMINGS:
        for ending in SERVE_ENDINGS:
            p, port, _ = start_hota_serve(h, certs, framing, ending)
            url = "https://localhost:%d/v2.bin" % port
            r.run("hota serve", "%s/%s" % (framing, ending), url, "ok")
            h.stop(p)
    for framing in FRAMINGS:
        for ending in SERVE_ENDINGS:
            p, port, _ = start_hota_serve(h, certs, framing, ending,
                                          ["--cut-at", str(half_at), "--no-range"])
            url = "https://localhost:%d/v2.bin" % port
            if ending == "keep-alive" and framing != "close":
                # cut, then the connection idles: every attempt ends in the read timeout
                r.run("hota serve", "%s/%s cut@%d no-range" % (framing, ending, half_at), url,
                      ("TIMEOUT",), bound=CUT_BOUND_S, timeout_ms=CUT_IDLE_TIMEOUT_MS)
            else:
                r.run("hota serve", "%s/%s cut@%d no-range" % (framing, ending, half_at), url,
                      TRUNC, bound=CUT_BOUND_S)
            h.stop(p)


def test_matrix(r, h, certs):
    srv = MatrixServer(certs.server, certs.server_key, hold=5.0, body=r.data).start()
    h.on_close(srv.stop)
    for framing in FRAMINGS:
        for ending in ENDINGS:
            url = "https://localhost:%d/%s/%s" % (srv.port, framing, ending)
            expect = TRUNC if ending.startswith("cut-") else "ok"
            r.run("matrix", "%s/%s" % (framing, ending), url, expect,
                  bound=CUT_BOUND_S if expect != "ok" else None)


def main():
    with Harness(NAME) as h:
        h.need_hota()
        certs = h.certs()
        v1 = make_image(h, "v1", 100000)
        v2 = make_image(h, "v2", IMAGE_SIZE)
        data = read_file(v2)
        os.makedirs(h.path("www"), exist_ok=True)
        h.write(os.path.join("www", "v2.bin"), data)
        h.write(os.path.join("www", "v2-half.bin"), data[:len(data) // 2])
        base = Device(h, "base", v1)
        r = Runner(h, certs, base, v2, "v2")
        test_real_servers(r, h, certs)
        test_hota_serve(r, h, certs, len(data) // 2)
        test_matrix(r, h, certs)
        log("")
        log(fmt_table(r.rows, ["server", "case", "expected", "got", "rc", "framing", "end",
                               "bytes", "requests", "tail_ms", "elapsed_ms", "boot after"]))
        log("")
    h.finish()


if __name__ == "__main__":
    main()
