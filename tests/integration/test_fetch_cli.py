"""The `hota fetch` command-line contract.

- usage errors exit 2 and touch no file;
- --json prints exactly one JSON object, whatever happens;
- every error class has its own exit code (cli/cli.h);
- the body is written to FILE.part and renamed to FILE only when complete: a failure leaves
  neither a partial FILE nor FILE.part, and an existing FILE is left as it was;
- --header lines reach the server; --insecure skips certificate checks; --quiet is silent.
"""

import os
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from hotatest import EXIT, Harness, free_port, hota_bin, log, read_file  # noqa: E402
from matrix_server import MatrixServer  # noqa: E402

JSON_KEYS = ("result", "error", "status", "bytes", "framing", "end", "tail_ms", "elapsed_ms",
             "close_notify_sent")


def one_json(h, what, res):
    """--json output is exactly one object with the agreed keys."""
    ok = h.check(res.js is not None, "%s: exactly one JSON object on stdout (%s)"
                 % (what, res.json_error), res)
    if ok:
        missing = [k for k in JSON_KEYS if k not in res.js]
        h.check(not missing, "%s: JSON lacks %s" % (what, missing), res)
        h.check(res.js.get("result") in ("ok", "error"), "%s: result ok|error" % what, res)
    return ok


def test_usage(h):
    url = "https://localhost:1/x"
    out = h.path("usage.bin")
    cases = [
        ("no arguments", []),
        ("no -o", [url]),
        ("no URL", ["-o", out]),
        ("unknown option", [url, "-o", out, "--no-such-option"]),
        ("missing option value", [url, "-o", out, "--timeout-ms"]),
        ("bad --timeout-ms", [url, "-o", out, "--timeout-ms", "soon"]),
        ("--cert without --key", [url, "-o", out, "--cert", h.certs().client]),
        ("two URLs", [url, url + "2", "-o", out]),
    ]
    for what, args in cases:
        res = h.run_cli([hota_bin(), "fetch"] + args, out, timeout=10)
        h.check(res.rc == EXIT["usage"], "usage (%s): exit 2, got %s" % (what, res.rc), res)
        h.check(not os.path.exists(out) and not os.path.exists(out + ".part"),
                "usage (%s): no file created" % what)
        res = h.run_cli([hota_bin(), "fetch", "--json"] + args, out, timeout=10)
        h.check(res.rc == EXIT["usage"], "usage (%s) --json: exit 2, got %s"
                % (what, res.rc), res)
        if one_json(h, "usage (%s) --json" % what, res):
            h.check(res.js.get("result") == "error" and res.js.get("error") == "USAGE",
                    "usage (%s) --json: error USAGE, got %s" % (what, res.js.get("error")), res)
        log("usage: %-22s exit %s" % (what, res.rc))


def test_exit_codes(h, srv, untrusted_port):
    """One run per error class: the documented, distinct exit code and one JSON object."""
    ca = h.certs().ca
    base = "https://localhost:%d" % srv.port
    runs = {
        "ok": (base + "/content-length/notify-fin?ec", {}, None),
        "truncated": (base + "/close/fin?ec", {}, "TRUNCATED"),
        "timeout": (base + "/close/keepalive?ec", {"timeout_ms": 1000}, "TIMEOUT"),
        "tls": ("https://localhost:%d/content-length/notify-fin" % untrusted_port, {},
                "CERT_HOSTNAME"),
        "http": (base + "/no-such-file", {}, "HTTP_STATUS"),
        "connect": ("https://localhost:%d/x" % free_port(), {}, "CONNECT"),
        "io": (base + "/content-length/notify-fin?io", {"out": h.path("no-dir", "f.bin")},
               "FILE_OPEN"),
    }
    seen = {}
    for cls, (url, kw, err) in runs.items():
        kw.setdefault("timeout_ms", 5000)
        res = h.run_fetch(url, ca=ca, **kw)
        seen[cls] = res.rc
        h.check(res.rc == EXIT[cls], "class %s: exit %d, got %s" % (cls, EXIT[cls], res.rc), res)
        if one_json(h, "class %s" % cls, res):
            h.check(res.js.get("error") == err, "class %s: error %s, got %s"
                    % (cls, err, res.js.get("error")), res)
        log("class %-9s exit %s error %s" % (cls, res.rc, (res.js or {}).get("error")))
    h.check(len(set(seen.values())) == len(seen), "exit codes distinct per class: %s" % seen)


def test_part_file(h, srv):
    ca = h.certs().ca
    base = "https://localhost:%d" % srv.port
    out = h.path("part-ok.bin")
    res = h.run_fetch(base + "/chunked/notify-fin?part-ok", out=out, ca=ca)
    h.check(res.rc == 0 and os.path.exists(out) and read_file(out) == srv.body,
            ".part: a complete body ends up under the final name", res)
    h.check(not os.path.exists(out + ".part"), ".part: no FILE.part after success")

    out = h.path("part-wait.bin")
    url = base + "/close/keepalive?part-wait"
    cmd_res = {}
    th = threading.Thread(target=lambda: cmd_res.update(r=h.run_fetch(
        url, out=out, ca=ca, timeout_ms=2500)), daemon=True)
    th.start()
    seen_part = final_early = False
    deadline = time.monotonic() + 2.0
    while time.monotonic() < deadline and not seen_part:
        seen_part = os.path.exists(out + ".part")
        final_early = os.path.exists(out)
        time.sleep(0.02)
    time.sleep(0.3)
    part_size = os.path.getsize(out + ".part") if os.path.exists(out + ".part") else -1
    h.check(seen_part and not final_early,
            ".part: while the body streams, FILE.part exists and FILE does not")
    h.check(0 <= part_size <= len(srv.body), ".part: FILE.part holds at most the %d bytes "
            "received so far, got %d" % (len(srv.body), part_size))
    th.join(timeout=20)
    res = cmd_res.get("r")
    h.check(res is not None and res.rc == EXIT["timeout"], ".part: that fetch times out", res)
    h.check(not os.path.exists(out) and not os.path.exists(out + ".part"),
            ".part: after the failure neither FILE nor FILE.part is left")

    out = h.path("part-old.bin")
    with open(out, "wb") as f:
        f.write(b"previous contents\n")
    res = h.run_fetch(base + "/content-length/cut-fin?part-old", out=out, ca=ca)
    h.check(res.rc == EXIT["truncated"], ".part: truncated fetch over an existing FILE fails",
            res)
    h.check(read_file(out) == b"previous contents\n" and not os.path.exists(out + ".part"),
            ".part: an existing FILE is left as it was and FILE.part removed")
    log(".part handling checked")


def test_headers(h, srv):
    target = "/content-length/notify-hold?headers"
    res = h.run_fetch("https://localhost:%d%s" % (srv.port, target), ca=h.certs().ca,
                      headers=["X-Hota-Test: value with spaces", "X-Second: 2"])
    h.check(res.rc == 0, "--header: fetch ok", res)
    rec = srv.wait_record(target, 15)
    hdrs = rec["headers"] if rec else {}
    h.check(hdrs.get("x-hota-test") == "value with spaces" and hdrs.get("x-second") == "2",
            "--header: the server received both headers, got %s" % hdrs)
    h.check(hdrs.get("host") in ("localhost:%d" % srv.port, "localhost"),
            "--header: Host header names the server, got %s" % hdrs.get("host"))
    h.check(rec is not None and rec["request"] == "GET %s HTTP/1.1" % target,
            "request line GET ... HTTP/1.1, got %s" % (rec or {}).get("request"))
    log("--header: server saw %s" % hdrs)


def test_insecure(h, bad):
    url = "https://localhost:%d/content-length/notify-fin" % bad.port
    res = h.run_fetch(url + "?strict", ca=h.certs().ca)
    h.check(res.rc == EXIT["tls"] and (res.js or {}).get("error") == "CERT_HOSTNAME",
            "--insecure absent: wrong-host certificate refused", res)
    res = h.run_fetch(url + "?system-store")
    h.check(res.rc == EXIT["tls"], "--insecure absent, system CAs: refused", res)
    res = h.run_fetch(url + "?insecure", insecure=True)
    h.check(res.rc == 0 and read_file(res.out) == bad.body,
            "--insecure: the same server is accepted and the body is complete", res)
    log("--insecure checked")


def test_quiet(h, srv):
    url = "https://localhost:%d/content-length/notify-fin" % srv.port
    res = h.run_fetch(url + "?quiet", ca=h.certs().ca, json_out=False, quiet=True)
    h.check(res.rc == 0 and res.stdout == "" and res.stderr == "",
            "--quiet: success prints nothing", res)
    res = h.run_fetch(url + "?quiet-json", ca=h.certs().ca, quiet=True)
    h.check(res.rc == 0 and res.js is not None and res.stderr == "",
            "--quiet --json: only the JSON object", res)
    res = h.run_fetch(url + "?plain", ca=h.certs().ca, json_out=False)
    h.check(res.rc == 0 and res.stdout == "", "without --json nothing goes to stdout", res)
    log("--quiet checked")


def main():
    with Harness("test_fetch_cli") as h:
        h.need_hota()
        certs = h.certs()
        srv = MatrixServer(certs.server, certs.server_key, size=40009, hold=5.0).start()
        h.on_close(srv.stop)
        bad = MatrixServer(certs.wronghost, certs.wronghost_key, size=12345, hold=5.0).start()
        h.on_close(bad.stop)
        test_usage(h)
        test_exit_codes(h, srv, bad.port)
        test_part_file(h, srv)
        test_headers(h, srv)
        test_insecure(h, bad)
        test_quiet(h, srv)
    h.finish()


if __name__ == "__main__":
    main()
