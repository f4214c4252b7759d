"""The closure matrix: every framing x every way a TLS server can end a response.

For each of the 3 x 7 cells, matrix_server.py serves one fixed random body over
TLS and ends the connection in the cell's way; `hota fetch --json --timeout-ms 3000` must
give the verdict below, without waiting when it has no reason to:

  framing            complete body, then              cut mid-body by
                     notify-hold notify-fin fin rst keepalive   cut-fin   cut-notify
  content-length     ok          ok         ok  ok  ok          TRUNCATED TRUNCATED
  chunked            ok          ok         ok  ok  ok          TRUNCATED TRUNCATED
  close              ok          ok         TR  TR  TIMEOUT     TRUNCATED ok (short!)

close + cut-notify: a close-delimited body that ends with close_notify is complete as far as
HTTP can tell, so hota returns ok with fewer bytes than served; the test asserts exactly that.
The server also tells whether it received hota's close_notify (asserted in every cell but the
RST ones, where the connection is gone) and when hota closed TCP.
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import hotatest  # noqa: E402
from hotatest import EXIT, Harness, fmt_table, log, read_file  # noqa: E402
from matrix_server import ENDINGS, FRAMINGS, MatrixServer  # noqa: E402

TIMEOUT_MS = 3000
NO_WAIT_MS = 1000       # a cell that has no reason to wait must finish well below the timeout
TAIL_MS = 500           # last body byte -> done
HOLD_S = 10.0           # server's bound on holding a connection open
JSON_KEYS = ("result", "error", "status", "bytes", "framing", "end", "tail_ms", "elapsed_ms",
             "close_notify_sent")
NATURAL_END = {"notify-hold": "close_notify", "notify-fin": "close_notify", "fin": "fin",
               "rst": "reset", "keepalive": "timeout", "cut-fin": "fin",
               "cut-notify": "close_notify"}


def expected(framing, ending):
    """(result, error, full_body) for one cell."""
    if ending.startswith("cut-"):
        if framing == "close" and ending == "cut-notify":
            return "ok", None, False
        return "error", "TRUNCATED", False
    if framing != "close" or ending in ("notify-hold", "notify-fin"):
        return "ok", None, True
    if ending == "keepalive":
        return "error", "TIMEOUT", True
    return "error", "TRUNCATED", True


def ends_allowed(framing, ending):
    """The `end` values hota may report. A complete length-framed body may finish before
    hota has seen how the server ends (then "none"); everything else must be read to its end."""
    natural = NATURAL_END[ending]
    if framing != "close" and not ending.startswith("cut-"):
        return ("none",) if ending == "keepalive" else ("none", natural)
    return (natural,)


class Cell:
    def __init__(self, h, srv, framing, ending, index):
        self.h, self.srv, self.framing, self.ending = h, srv, framing, ending
        self.name = "%s/%s" % (framing, ending)
        self.target = "/%s/%s?cell=%d" % (framing, ending, index)
        self.out = h.path("cell-%s-%s.bin" % (framing, ending))
        self.res = None
        self.rec = None

    def run(self):
        url = "https://localhost:%d%s" % (self.srv.port, self.target)
        self.res = self.h.run_fetch(url, out=self.out, ca=self.h.certs().ca,
                                    timeout_ms=TIMEOUT_MS)
        self.rec = self.srv.wait_record(self.target, HOLD_S + 5)
        self.check_verdict()
        self.check_timing()
        self.check_server_view()

    def ck(self, cond, what):
        return self.h.check(cond, "[%s] %s" % (self.name, what), self.res)

    def check_verdict(self):
        res, js = self.res, self.res.js
        want_result, want_error, full = expected(self.framing, self.ending)
        if not self.ck(res.rc is not None, "hota fetch finished (not killed)"):
            return
        if not self.ck(js is not None, "--json printed exactly one JSON object (%s)"
                       % res.json_error):
            return
        self.ck(all(k in js for k in JSON_KEYS), "JSON has all of %s" % (JSON_KEYS,))
        self.ck(js.get("result") == want_result and js.get("error") == want_error,
                "verdict %s/%s, got %s/%s" % (want_result, want_error, js.get("result"),
                                              js.get("error")))
        want_rc = EXIT["ok"] if want_result == "ok" else EXIT[want_error.lower()]
        self.ck(res.rc == want_rc, "exit code %d, got %s" % (want_rc, res.rc))
        self.ck(js.get("framing") == self.framing, "framing %s, got %s"
                % (self.framing, js.get("framing")))
        self.ck(js.get("end") in ends_allowed(self.framing, self.ending),
                "end in %s, got %s" % (ends_allowed(self.framing, self.ending), js.get("end")))
        if js.get("status") is not None:
            self.ck(js.get("status") == 200, "status 200, got %s" % js.get("status"))
        if want_result == "ok":
            self.check_body(full)
        else:
            hotatest.assert_no_file(self.h, self.out, self.name)

    def check_body(self, full):
        body = self.srv.body
        if not self.ck(os.path.exists(self.out), "output file exists"):
            return
        got = read_file(self.out)
        want = body if full else body[:len(body) // 2]
        self.ck(self.res.js.get("bytes") == len(want), "bytes %d, got %s"
                % (len(want), self.res.js.get("bytes")))
        self.ck(got == want, "file equals the %s body (%d bytes), got %d bytes"
                % ("served" if full else "first half of the", len(want), len(got)))
        if not full:
            self.ck(len(got) < len(body), "short body: fewer bytes than served")
            log("[%s] NOTE: a close-delimited body cut by close_notify is indistinguishable "
                "from a complete one: ok with %d of %d bytes (asserted)"
                % (self.name, len(got), len(body)))

    def check_timing(self):
        js = self.res.js
        if js is None:
            return
        el, tail = js.get("elapsed_ms"), js.get("tail_ms")
        if self.framing == "close" and self.ending == "keepalive":
            self.ck(isinstance(el, (int, float)) and 0.8 * TIMEOUT_MS <= el <= 1.2 * TIMEOUT_MS,
                    "waits for the timeout: elapsed_ms %s within %d +-20%%" % (el, TIMEOUT_MS))
            return
        self.ck(isinstance(el, (int, float)) and el < NO_WAIT_MS,
                "returns without waiting: elapsed_ms %s < %d" % (el, NO_WAIT_MS))
        self.ck(self.res.elapsed * 1000 < NO_WAIT_MS + 1000,
                "process done in %.0f ms" % (self.res.elapsed * 1000))
        if js.get("result") == "ok":
            self.ck(isinstance(tail, (int, float)) and tail < TAIL_MS,
                    "tail_ms %s < %d" % (tail, TAIL_MS))
        else:
            self.ck(tail is None or (isinstance(tail, (int, float)) and tail < TAIL_MS),
                    "tail_ms %s is null or < %d" % (tail, TAIL_MS))

    def check_server_view(self):
        rec = self.rec
        if not self.ck(rec is not None, "server finished the connection within %.0fs"
                       % (HOLD_S + 5)):
            return
        self.ck(rec["handshake"] == "ok" and rec["error"] is None,
                "server side clean: handshake %s, error %s" % (rec["handshake"], rec["error"]))
        if self.ending == "rst":
            return
        self.ck(rec["client_close_notify"], "server received hota's close_notify")
        if self.res.js:
            self.ck(self.res.js.get("close_notify_sent") is True, "close_notify_sent true")
        cn = rec["client_close_notify_ms"]
        bound = 1.2 * TIMEOUT_MS if self.framing == "close" and self.ending == "keepalive" \
            else NO_WAIT_MS
        self.ck(cn is not None and cn < bound,
                "hota's close_notify came %s ms after the body (< %d)" % (cn, bound))
        self.ck(rec["client_fin_ms"] is not None or rec["client_reset_ms"] is not None,
                "hota closed TCP before the server's %.0fs hold ran out" % HOLD_S)

    def row(self):
        js = self.res.js or {}
        rec = self.rec or {}
        verdict = js.get("result", "?") if js.get("result") == "ok" else js.get("error", "?")
        if self.framing == "close" and self.ending == "cut-notify" and verdict == "ok":
            verdict = "ok (short)"
        want_result, want_error, _ = expected(self.framing, self.ending)
        if self.ending == "rst":
            saw = "n/a (RST)"
        elif rec.get("client_close_notify"):
            saw = "yes +%sms" % rec.get("client_close_notify_ms")
            if rec.get("server_fin"):
                saw += " (after server FIN)"
        else:
            saw = "NO"
        if rec.get("client_fin_ms") is not None:
            tcp = "fin +%sms" % rec["client_fin_ms"]
        elif rec.get("client_reset_ms") is not None:
            tcp = "rst +%sms" % rec["client_reset_ms"]
        else:
            tcp = "-"
        return [self.name, want_error or want_result, verdict, self.res.rc, js.get("end"),
                js.get("bytes"), js.get("tail_ms"), js.get("elapsed_ms"), saw, tcp]


def main():
    with Harness("test_closure_matrix") as h:
        h.need_hota()
        certs = h.certs()
        srv = MatrixServer(certs.server, certs.server_key, hold=HOLD_S,
                           status_path=h.path("server-status.json")).start()
        h.on_close(srv.stop)
        log("matrix server on port %d, body %d bytes, --timeout-ms %d"
            % (srv.port, len(srv.body), TIMEOUT_MS))
        cells = []
        for framing in FRAMINGS:
            for ending in ENDINGS:
                cell = Cell(h, srv, framing, ending, len(cells))
                cell.run()
                cells.append(cell)
        log("")
        log(fmt_table([c.row() for c in cells],
                      ["cell", "expected", "verdict", "rc", "end", "bytes", "tail_ms",
                       "elapsed_ms", "server saw hota close_notify", "hota TCP close"]))
        log("")
    h.finish()


if __name__ == "__main__":
    main()
