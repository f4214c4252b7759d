"""TLS session resumption on the update's reconnect.

`hota update` keeps the TLS session of a connection that ends (here: reset by
fault_proxy.FaultProxy in the middle of the body) and offers it when it reconnects to the same
origin to go on with Range:

1. nginx (session tickets on by default) behind the proxy, one reset: the update succeeds, the
   second handshake resumed (`handshakes_resumed` >= 1 in `hota update --json`).
2. `hota serve` (no session cache, no tickets) behind the proxy, one reset: the server declines,
   the retry makes a full handshake (`handshakes_resumed` == 0) and the update succeeds.
3. nginx behind a proxy that resets the first connection mid-body and then every handshake
   that tries to resume: the first retry offers the session and is reset, the next one is a
   full handshake (the session was dropped) and the update succeeds. Were the session kept, every
   retry would offer it again and the update would run out of retries.
4. `hota fetch --json` reports `handshakes` 1 and `handshakes_resumed` 0 for one connection.
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from hotatest import (Device, Harness, log, make_image, read_file, run_update,  # noqa: E402
                      start_hota_serve)
from fault_proxy import FaultProxy, Rule  # noqa: E402
import test_real_servers as real  # noqa: E402

NAME = "test_tls_resume"
TIMEOUT_MS = 5000
SIZE = 400000            # image bytes
RESET_AT = 150000        # server->client bytes of the first connection before its reset


def update_through_reset(h, name, upstream_port, dev, image, certs, later=None):
    """One `hota update` through a proxy that resets its first connection mid-body; later
    connections get the rule `later` (default: pass everything)."""
    proxy = FaultProxy(upstream_port).start()
    h.on_close(proxy.stop)
    proxy.set_rules([Rule(reset_at=RESET_AT)], default=later or Rule())
    h.proxy = proxy
    res = run_update(h, "https://localhost:%d/fw.bin" % proxy.port, dev, ca=certs.ca,
                     timeout_ms=TIMEOUT_MS, proc_timeout=90)
    js = res.js or {}
    h.check(res.rc == 0 and js.get("result") == "ok", "[%s] update ok" % name, res)
    h.check((js.get("retries") or 0) >= 1, "[%s] retried after the reset (retries %s)"
            % (name, js.get("retries")), res)
    h.check((js.get("handshakes") or 0) >= 2, "[%s] handshakes %s >= 2"
            % (name, js.get("handshakes")), res)
    label = js.get("partition") or "ota_0"
    data = read_file(image)
    h.check(dev.read_slot(label)[:len(data)] == data, "[%s] slot %s holds the image"
            % (name, label))
    log("%-28s result=%s requests=%s retries=%s handshakes=%s handshakes_resumed=%s"
        % (name, js.get("result"), js.get("requests"), js.get("retries"), js.get("handshakes"),
           js.get("handshakes_resumed")))
    return js


def main():
    with Harness(NAME) as h:
        h.need_hota()
        certs = h.certs()
        www = h.path("www")
        os.makedirs(www, exist_ok=True)
        v1 = make_image(h, "v1", 100000)
        v2 = make_image(h, "v2", SIZE)
        with open(v2, "rb") as src, open(os.path.join(www, "fw.bin"), "wb") as dst:
            dst.write(src.read())
        base = Device(h, "base", v1)

        started = real.start_nginx(h, certs, www=www)
        if started is None:
            h.check(False, "nginx is required (%s not installed)" % real.NGINX)
        else:
            js = update_through_reset(h, "nginx, reset", started[0],
                                      Device.copy(h, base, "dev-nginx"), v2, certs)
            h.check((js.get("handshakes_resumed") or 0) >= 1,
                    "[nginx, reset] the reconnect resumed the TLS session "
                    "(handshakes_resumed %s >= 1)" % js.get("handshakes_resumed"))

        _, serve_port, _ = start_hota_serve(h, www, certs)
        js = update_through_reset(h, "hota serve, reset", serve_port,
                                  Device.copy(h, base, "dev-serve"), v2, certs)
        h.check(js.get("handshakes_resumed") == 0,
                "[hota serve, reset] the server keeps no sessions: full handshakes only "
                "(handshakes_resumed %s == 0)" % js.get("handshakes_resumed"))

        if started is not None:
            js = update_through_reset(h, "nginx, resumption refused", started[0],
                                      Device.copy(h, base, "dev-refused"), v2, certs,
                                      later=Rule(reset_resumption=True))
            refused = [r for r in h.proxy.records()
                       if r.get("fault") == "reset on a resumption attempt"]
            h.check(len(refused) == 1 and js.get("handshakes_resumed") == 0,
                    "[nginx, resumption refused] one resumption attempt, then full handshakes "
                    "(attempts reset %d, handshakes_resumed %s)"
                    % (len(refused), js.get("handshakes_resumed")))
            res = h.run_fetch("https://localhost:%d/fw.bin" % started[0], ca=certs.ca,
                              timeout_ms=TIMEOUT_MS)
            js = res.js or {}
            h.check(res.rc == 0 and js.get("handshakes") == 1 and
                    js.get("handshakes_resumed") == 0,
                    "fetch --json: handshakes 1, handshakes_resumed 0 (got %s, %s)"
                    % (js.get("handshakes"), js.get("handshakes_resumed")), res)
    h.finish()


if __name__ == "__main__":
    main()
