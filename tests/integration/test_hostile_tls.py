#!/usr/bin/env python3
"""Hostile TLS servers: `hota fetch --json` against `openssl s_server` on loopback must refuse
each with its own error name and the TLS exit code, leave no output file, and never hang.

  unknown CA            -> CERT_VERIFY       (server chain not signed by the --ca given)
  wrong host name       -> CERT_HOSTNAME     (certificate for wrong.example, URL localhost)
  expired certificate   -> CERT_EXPIRED
  not yet valid         -> CERT_EXPIRED
  TLS 1.0 / 1.1 only    -> TLS_VERSION       (hota requires TLS 1.2)
  client cert required  -> TLS_CLIENT_CERT   (s_server -Verify, we have none)

Positive controls with the same servers' setup (right CA, right name, client certificate
given) succeed, so every refusal is caused by the one thing that differs."""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from hotatest import EXIT, Harness, assert_no_file, free_port, wait_port  # noqa: E402

BODY = bytes((i * 13 + 5) & 0xFF for i in range(3000))


def start_server(h, cert, key, *extra):
    """openssl s_server -WWW on a free loopback port serving body.bin; returns the port."""
    port = free_port()
    p = h.spawn(["openssl", "s_server", "-accept", "127.0.0.1:%d" % port, "-cert", cert,
                 "-key", key, "-WWW"] + list(extra), cwd=h.tmp, name="s_server")
    if not wait_port(port, timeout=10, proc=p):
        h.check(False, "s_server started (%s)" % " ".join(extra), h.proc_log(p))
        return None, p
    return port, p


def expect(h, what, port, error, **kw):
    """One fetch that must fail with `error` and exit code tls."""
    out = h.path("out-%s.bin" % what.replace(" ", "-"))
    res = h.run_fetch("https://localhost:%d/body.bin" % port, out=out, timeout_ms=5000, **kw)
    h.check(res.rc == EXIT["tls"], "%s: exit code %d (tls)" % (what, EXIT["tls"]), res)
    h.check(res.js is not None and res.get("result") == "error" and res.get("error") == error,
            "%s: JSON error %s" % (what, error), res)
    h.check(res.elapsed < 15, "%s: refused promptly" % what, res)
    assert_no_file(h, out, what)
    return res


def expect_ok(h, what, port, **kw):
    out = h.path("ok-%s.bin" % what.replace(" ", "-"))
    res = h.run_fetch("https://localhost:%d/body.bin" % port, out=out, timeout_ms=5000, **kw)
    ok = res.rc == 0 and res.get("result") == "ok"
    h.check(ok, "%s: control fetch succeeds" % what, res)
    if ok:
        with open(out, "rb") as f:
            h.check(f.read() == BODY, "%s: control body intact" % what)


def main():
    with Harness("test_hostile_tls") as h:
        h.need_hota()
        c = h.certs()
        h.write("body.bin", BODY)

        port, _ = start_server(h, c.server, c.server_key)
        if port:
            expect_ok(h, "trusted server", port, ca=c.ca)
            expect(h, "unknown CA", port, "CERT_VERIFY", ca=c.other_ca)

        port, _ = start_server(h, c.wronghost, c.wronghost_key)
        if port:
            expect(h, "wrong host name", port, "CERT_HOSTNAME", ca=c.ca)

        port, _ = start_server(h, c.expired, c.expired_key)
        if port:
            expect(h, "expired certificate", port, "CERT_EXPIRED", ca=c.ca)

        port, _ = start_server(h, c.notyet, c.notyet_key)
        if port:
            expect(h, "not yet valid certificate", port, "CERT_EXPIRED", ca=c.ca)

        # OpenSSL 3 refuses TLS < 1.2 at its default security level: lower it for the server.
        for ver in ("-tls1", "-tls1_1"):
            port, _ = start_server(h, c.server, c.server_key, ver,
                                   "-cipher", "DEFAULT:@SECLEVEL=0")
            if port:
                expect(h, "server limited to %s" % ver, port, "TLS_VERSION", ca=c.ca)

        port, _ = start_server(h, c.server, c.server_key, "-Verify", "1",
                               "-CAfile", c.client_ca)
        if port:
            expect(h, "client certificate required", port, "TLS_CLIENT_CERT", ca=c.ca)
            expect_ok(h, "client certificate given", port, ca=c.ca, cert=c.client,
                      key=c.client_key)
    h.finish()


if __name__ == "__main__":
    main()
