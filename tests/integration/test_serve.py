"""hota serve and hota image create, checked from the wire.

A TLS 1.2 client built on ssl.MemoryBIO over a raw socket sees exactly what the server does:
the bytes, the framing, whether a close_notify came, whether TCP ended with FIN or RST, and
whether TCP stays open (the close_notify hold of `openssl s_server -WWW`). Every framing is
combined with every ending. The status file must agree with what the client saw.
"""

import email.utils
import hashlib
import json
import os
import random
import select
import signal
import socket
import ssl
import struct
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from hotatest import Harness, hota_bin, log, run  # noqa: E402

FRAMINGS = ["content-length", "chunked", "close"]
ENDINGS = ["close_notify", "close_notify+fin", "fin", "reset", "keep-alive"]
HOLD_MS = 4000


class Server:
    """One `hota serve` process; port read from its "listening on N" line."""

    def __init__(self, h, root, args, pki=None, gen_pki=None):
        self.h = h
        self.status = h.path("status-%d.jsonl" % time.monotonic_ns())
        cmd = [hota_bin(), "serve", root, "--port", "0", "--status-file", self.status,
               "--hold-timeout", str(HOLD_MS)]
        cmd += ["--gen-pki", gen_pki] if gen_pki else ["--cert", pki[0], "--key", pki[1]]
        self.p = h.spawn(cmd + list(args), name="serve")
        self.port = None
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and self.p.poll() is None:
            for line in h.proc_log(self.p).splitlines():
                if line.startswith("listening on "):
                    self.port = int(line.split()[2])
                    return
            time.sleep(0.05)
        raise RuntimeError("server did not start: %s" % h.proc_log(self.p))

    def lines(self, n, timeout=10.0):
        """The first n status lines (waits until the server wrote them)."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                with open(self.status) as f:
                    got = [json.loads(x) for x in f if x.strip()]
            except FileNotFoundError:
                got = []
            if len(got) >= n or time.monotonic() > deadline:
                return got
            time.sleep(0.05)

    def terminate(self):
        """SIGTERM: must exit 0 promptly. Returns the exit code."""
        self.p.send_signal(signal.SIGTERM)
        try:
            return self.p.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.p.kill()
            self.p.wait(timeout=5)
            return None


class Tls:
    """TLS client over ssl.MemoryBIO: full control of close_notify and of the TCP socket."""

    def __init__(self, port, ctx, host="localhost", timeout=10.0):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        self.sock.setblocking(False)
        self.inc, self.out = ssl.MemoryBIO(), ssl.MemoryBIO()
        self.obj = ctx.wrap_bio(self.inc, self.out, server_hostname=host)
        self.tcp = "open"           # "open", "fin" or "reset" as seen on the raw socket
        self.buf = b""
        self._io(self.obj.do_handshake, timeout)

    def _flush(self):
        data = self.out.read()
        while data:
            select.select([], [self.sock], [], 5)
            n = self.sock.send(data)
            data = data[n:]

    def _pull(self, timeout):
        """Move raw bytes into the TLS object; False when nothing came within timeout."""
        if self.tcp != "open":
            return False
        r, _, _ = select.select([self.sock], [], [], timeout)
        if not r:
            return False
        try:
            data = self.sock.recv(65536)
        except ConnectionResetError:
            self.tcp = "reset"
            self.inc.write_eof()
            return True
        if not data:
            self.tcp = "fin"
            self.inc.write_eof()
        else:
            self.inc.write(data)
        return True

    def _io(self, fn, timeout):
        deadline = time.monotonic() + timeout
        while True:
            try:
                r = fn()
                self._flush()
                return r
            except ssl.SSLWantReadError:
                self._flush()
                left = deadline - time.monotonic()
                if left <= 0 or not self._pull(left):
                    raise TimeoutError("TLS operation timed out")

    def send(self, data):
        self.obj.write(data)
        self._flush()

    def read_more(self, timeout):
        """Append what arrives to self.buf. Returns None (data came) or how the stream ended:
        "close_notify", "fin" (TCP end without close_notify), "reset", "timeout"."""
        try:
            data = self._io(lambda: self.obj.read(65536), timeout)
            if not data:  # SSLObject.read returns b"" once the peer's close_notify arrived
                return "close_notify"
            self.buf += data
            return None
        except ssl.SSLZeroReturnError:
            return "close_notify"
        except (ssl.SSLEOFError, ssl.SSLSyscallError):
            return "reset" if self.tcp == "reset" else "fin"
        except TimeoutError:
            return "timeout"
        except ssl.SSLError:
            return "reset" if self.tcp == "reset" else "tls_error"

    def read_until(self, pred, timeout=10.0):
        deadline = time.monotonic() + timeout
        while not pred(self.buf):
            end = self.read_more(max(0.01, deadline - time.monotonic()))
            if end:
                return end
        return None

    def read_to_end(self, timeout=10.0):
        """Read until the stream ends; returns how it ended."""
        deadline = time.monotonic() + timeout
        while True:
            end = self.read_more(max(0.01, deadline - time.monotonic()))
            if end:
                return end

    def close_notify(self):
        """Send our close_notify (unwrap may wait for the peer's: that is fine here)."""
        try:
            self.obj.unwrap()
        except (ssl.SSLWantReadError, ssl.SSLError):
            pass
        self._flush()

    def tcp_end(self, timeout):
        """Wait for the raw TCP end: "fin", "reset" or "open" (still open after timeout).
        Any TLS bytes arriving meanwhile are kept in the TLS object."""
        deadline = time.monotonic() + timeout
        while self.tcp == "open":
            left = deadline - time.monotonic()
            if left <= 0 or not self._pull(left):
                return "open"
        return self.tcp

    def close(self):
        self.sock.close()


def request(path, method="GET", headers=()):
    lines = ["%s %s HTTP/1.1" % (method, path), "Host: localhost"] + list(headers)
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def split_head(buf):
    """(status, version, headers dict lower-case, rest) or None while incomplete."""
    i = buf.find(b"\r\n\r\n")
    if i < 0:
        return None
    lines = buf[:i].decode("latin-1").split("\r\n")
    version, status = lines[0].split(" ")[0], int(lines[0].split(" ")[1])
    hdrs = {}
    for ln in lines[1:]:
        k, v = ln.split(":", 1)
        hdrs[k.strip().lower()] = v.strip()
    return status, version, hdrs, buf[i + 4:]


def parse_chunked(data):
    """(body, chunk sizes, complete, bytes consumed)."""
    body, sizes, pos = b"", [], 0
    while True:
        j = data.find(b"\r\n", pos)
        if j < 0:
            return body, sizes, False, pos
        n = int(data[pos:j].split(b";")[0], 16)
        if n == 0:
            return body, sizes, data[j + 2:j + 4] == b"\r\n", j + 4
        if len(data) < j + 2 + n + 2:
            return body + data[j + 2:j + 2 + n], sizes, False, len(data)
        body += data[j + 2:j + 2 + n]
        sizes.append(n)
        pos = j + 2 + n + 2


def response_complete(framing):
    """Predicate on the client buffer: one whole response (for framings that have an end)."""
    def pred(buf):
        sp = split_head(buf)
        if not sp:
            return False
        status, _, hdrs, rest = sp
        if framing == "chunked":
            return parse_chunked(rest)[2]
        return len(rest) >= int(hdrs.get("content-length", "-1"))
    return pred


def get(h, port, ctx, path, headers=(), method="GET", end_with_close_notify=True):
    """One request on a fresh connection, read to the server's end; returns
    (status, hdrs, body, end)."""
    c = Tls(port, ctx)
    c.send(request(path, method, headers))
    end = c.read_to_end(15)
    if end == "close_notify" and end_with_close_notify:
        c.close_notify()
        c.tcp_end(5)
    c.close()
    sp = split_head(c.buf)
    if not sp:
        return None, {}, b"", end
    status, _, hdrs, rest = sp
    if hdrs.get("transfer-encoding") == "chunked":
        rest = parse_chunked(rest)[0]
    return status, hdrs, rest, end


# ----- framing x ending ---------------------------------------------------------------------

def check_body(h, tag, framing, buf, data, complete=True):
    sp = split_head(buf)
    if not h.check(sp is not None, "%s: response head received" % tag, buf[:200]):
        return None
    status, version, hdrs, rest = sp
    h.check(status == 200, "%s: status 200" % tag, status)
    if framing == "content-length":
        h.check(version == "HTTP/1.1" and hdrs.get("content-length") == str(len(data)),
                "%s: HTTP/1.1 with Content-Length" % tag, hdrs)
        body = rest[:len(data)]
    elif framing == "chunked":
        h.check(version == "HTTP/1.1" and hdrs.get("transfer-encoding") == "chunked" and
                "content-length" not in hdrs, "%s: chunked head" % tag, hdrs)
        body, sizes, done, _ = parse_chunked(rest)
        h.check(done == complete, "%s: terminating chunk %s" % (tag, complete))
        h.check(len(set(sizes)) >= 4, "%s: several chunk sizes" % tag, sizes[:12])
    else:
        h.check(version == "HTTP/1.0" and "content-length" not in hdrs and
                "transfer-encoding" not in hdrs, "%s: HTTP/1.0 without length" % tag, hdrs)
        body = rest
    h.check(body == data, "%s: body bytes identical (%d of %d)" % (tag, len(body), len(data)))
    return hdrs


def run_ending(h, srv, ctx, framing, ending, data):
    tag = "%s/%s" % (framing, ending)
    c = Tls(srv.port, ctx)
    c.send(request("/data.bin"))
    if ending == "keep-alive":
        return run_keep_alive(h, srv, c, framing, tag, data)
    end = c.read_to_end(15)
    check_body(h, tag, framing, c.buf, data)
    st = None
    if ending == "close_notify":
        h.check(end == "close_notify", "%s: close_notify received" % tag, end)
        h.check(c.tcp_end(1.0) == "open", "%s: server holds TCP open after close_notify" % tag)
        c.close_notify()
        h.check(c.tcp_end(5) == "fin", "%s: FIN once our close_notify arrived" % tag, c.tcp)
        st = "close_notify_exchanged"
    elif ending == "close_notify+fin":
        h.check(end == "close_notify", "%s: close_notify received" % tag, end)
        h.check(c.tcp_end(3) == "fin", "%s: FIN right after close_notify" % tag, c.tcp)
        st = "close_notify+fin"
    elif ending == "fin":
        h.check(end == "fin", "%s: TCP FIN without close_notify" % tag, end)
        st = "fin"
    elif ending == "reset":
        h.check(end == "reset" and c.tcp == "reset", "%s: RST" % tag, (end, c.tcp))
        st = "reset"
    c.close()
    line = srv.lines(1)
    if h.check(len(line) == 1, "%s: one status line" % tag, line):
        s = line[0]
        h.check(s["ended"] == st and s["requests"] == 1 and s["statuses"] == [200] and
                s["body_bytes"] == len(data) and s["framing"] == framing and
                s["end"] == ending, "%s: status line" % tag, s)
        h.check(s["close_notify_sent"] == ending.startswith("close_notify"),
                "%s: status close_notify_sent" % tag, s)
        if ending == "close_notify":
            h.check(s["peer_close_notify"] is True, "%s: status saw our close_notify" % tag, s)
        if ending in ("fin", "reset"):
            h.check(s["peer_close_notify"] is False, "%s: no peer close_notify yet" % tag, s)


def run_keep_alive(h, srv, c, framing, tag, data):
    if framing == "close":
        end = c.read_until(lambda b: len(b) >= len(data) + 100 and
                           (split_head(b) and len(split_head(b)[3]) >= len(data)), 15)
        h.check(end is None, "%s: whole body arrived" % tag, end)
        end = c.read_more(1.5)
        h.check(end == "timeout", "%s: body never ends (connection kept)" % tag, end)
        check_body(h, tag, framing, c.buf, data)
        n_req = 1
    else:
        end = c.read_until(response_complete(framing), 15)
        h.check(end is None, "%s: first response complete" % tag, end)
        check_body(h, tag, framing, c.buf, data)
        h.check(split_head(c.buf)[2].get("connection") == "keep-alive",
                "%s: Connection: keep-alive" % tag)
        h.check(c.read_more(0.5) == "timeout", "%s: connection stays open" % tag)
        c.buf = b""
        c.send(request("/data.bin", headers=["Range: bytes=5-9"]))
        end = c.read_until(response_complete(framing), 15)
        sp = split_head(c.buf)
        h.check(end is None and sp and sp[0] == 206, "%s: second request on one connection"
                % tag, c.buf[:300])
        n_req = 2
    c.close_notify()
    end = c.read_to_end(5)
    h.check(end == "close_notify", "%s: server answers our close_notify" % tag, end)
    h.check(c.tcp_end(5) == "fin", "%s: then FIN" % tag, c.tcp)
    c.close()
    line = srv.lines(1)
    if h.check(len(line) == 1, "%s: one status line" % tag, line):
        s = line[0]
        h.check(s["requests"] == n_req and s["ended"] == "peer_close_notify" and
                s["peer_close_notify"] and s["close_notify_sent"], "%s: status line" % tag, s)


def test_matrix(h, www, pki, ctx, data):
    for framing in FRAMINGS:
        for ending in ENDINGS:
            srv = Server(h, www, ["--framing", framing, "--end", ending], pki=pki)
            run_ending(h, srv, ctx, framing, ending, data)
            h.check(srv.terminate() == 0, "%s/%s: SIGTERM exits 0" % (framing, ending))


# ----- HTTP semantics ------------------------------------------------------------------------

def test_http(h, www, pki, ctx, data):
    srv = Server(h, www, ["--end", "close_notify+fin"], pki=pki)
    p, n = srv.port, len(data)
    st, hd, body, _ = get(h, p, ctx, "/data.bin")
    h.check(st == 200 and body == data and hd.get("accept-ranges") == "bytes",
            "GET 200 with Accept-Ranges", hd)
    mtime = int(os.stat(os.path.join(www, "data.bin")).st_mtime)
    lm = hd.get("last-modified", "")
    h.check(lm and int(email.utils.parsedate_to_datetime(lm).timestamp()) == mtime,
            "Last-Modified is the file mtime", lm)
    etag = hd.get("etag", "")
    h.check(etag.startswith('"') and etag.endswith('"') and len(etag) > 2, "ETag quoted", etag)
    st2, hd2, _, _ = get(h, p, ctx, "/data.bin", method="HEAD")
    h.check(st2 == 200 and hd2.get("etag") == etag and hd2.get("content-length") == str(n),
            "HEAD: same ETag, Content-Length, no body")
    cases = [("bytes=100-199", 100, 199), ("bytes=%d-" % (n - 10), n - 10, n - 1),
             ("bytes=-500", n - 500, n - 1), ("bytes=0-%d" % (n + 1000), 0, n - 1),
             ("bytes=7-7", 7, 7)]
    for rng, a, b in cases:
        st, hd, body, _ = get(h, p, ctx, "/data.bin", ["Range: " + rng])
        h.check(st == 206 and hd.get("content-range") == "bytes %d-%d/%d" % (a, b, n) and
                body == data[a:b + 1] and hd.get("content-length") == str(b - a + 1),
                "Range %s -> 206 %d-%d" % (rng, a, b), (st, hd, len(body)))
    for rng in ("bytes=%d-" % n, "bytes=%d-%d" % (n + 5, n + 10)):
        st, hd, _, _ = get(h, p, ctx, "/data.bin", ["Range: " + rng])
        h.check(st == 416 and hd.get("content-range") == "bytes */%d" % n,
                "Range %s -> 416" % rng, (st, hd))
    st, _, body, _ = get(h, p, ctx, "/data.bin", ["Range: bytes=5-2"])
    h.check(st == 200 and body == data, "invalid Range ignored -> 200")
    st, _, body, _ = get(h, p, ctx, "/sub/inner.txt")
    h.check(st == 200 and body == b"inner\n", "file in a subdirectory")
    for path in ("/missing.bin", "/", "/sub", "/sub/"):
        st, _, _, _ = get(h, p, ctx, path)
        h.check(st == 404, "GET %s -> 404" % path, st)
    for path in ("/../secret.txt", "/sub/../../secret.txt", "/%2e%2e/secret.txt",
                 "/sub/%2E%2E/%2e%2e/secret.txt", "/..%2fsecret.txt", "/..\\secret.txt"):
        st, _, body, _ = get(h, p, ctx, path)
        h.check(st in (400, 403) and b"TOP SECRET" not in body,
                "traversal %s refused" % path, (st, body[:40]))
    st, hd, _, _ = get(h, p, ctx, "/data.bin", method="POST")
    h.check(st == 405 and "GET" in hd.get("allow", ""), "POST -> 405 with Allow", (st, hd))
    c = Tls(p, ctx)
    c.send(b"GET /data.bin HTTP/1.1\r\nX-Big: " + b"a" * 9000 + b"\r\n\r\n")
    c.read_to_end(10)
    c.close()
    h.check(split_head(c.buf) and split_head(c.buf)[0] == 431, "oversized head -> 431",
            c.buf[:100])
    srv.terminate()
    srv = Server(h, www, ["--no-range", "--end", "close_notify+fin"], pki=pki)
    st, hd, body, _ = get(h, srv.port, ctx, "/data.bin", ["Range: bytes=100-199"])
    h.check(st == 200 and body == data and "accept-ranges" not in hd and
            "content-range" not in hd, "--no-range: Range ignored, 200 full", (st, hd))
    srv.terminate()


def test_cut(h, www, pki, ctx, data):
    for framing, ending in (("content-length", "fin"), ("chunked", "close_notify+fin"),
                            ("close", "close_notify+fin")):
        srv = Server(h, www, ["--framing", framing, "--end", ending, "--cut-at", "1000"],
                     pki=pki)
        c = Tls(srv.port, ctx)
        c.send(request("/data.bin"))
        end = c.read_to_end(10)
        c.close()
        tag = "cut-at 1000 %s/%s" % (framing, ending)
        sp = split_head(c.buf)
        rest = sp[3] if sp else b""
        body, _, done, _ = parse_chunked(rest) if framing == "chunked" else (rest, 0, 0, 0)
        h.check(body == data[:1000] and not done, "%s: exactly 1000 body bytes" % tag,
                len(body))
        h.check(end == ("fin" if ending == "fin" else "close_notify"), "%s: ending" % tag, end)
        if framing == "content-length":
            h.check(sp and sp[2].get("content-length") == str(len(data)),
                    "%s: head still announces the full length" % tag)
        s = srv.lines(1)
        h.check(s and s[0]["cut"] and s[0]["body_bytes"] == 1000, "%s: status cut" % tag, s)
        srv.terminate()


def test_hold_timeout_and_once(h, www, pki, ctx, data):
    srv = Server(h, www, ["--once"], pki=pki)
    c = Tls(srv.port, ctx)
    c.send(request("/small.txt"))
    t0 = time.monotonic()
    end = c.read_to_end(10)
    tcp = c.tcp_end(HOLD_MS / 1000.0 + 5)
    held = time.monotonic() - t0
    c.close()
    h.check(end == "close_notify" and tcp == "fin" and held >= HOLD_MS / 1000.0 - 0.5,
            "hold gives up after --hold-timeout without our close_notify",
            (end, tcp, round(held, 2)))
    s = srv.lines(1)
    h.check(s and s[0]["ended"] == "hold_timeout" and not s[0]["peer_close_notify"],
            "status: hold_timeout", s)
    try:
        rc = srv.p.wait(timeout=10)
    except subprocess.TimeoutExpired:
        rc = None
    h.check(rc == 0, "--once: exits 0 after one connection", rc)


def test_gen_pki_and_ip(h, www, data):
    d = h.path("genpki")
    os.mkdir(d)
    srv = Server(h, www, ["--end", "close_notify+fin"], gen_pki=d)
    for f in ("ca.pem", "ca.key", "server.pem", "server.key"):
        h.check(os.path.getsize(os.path.join(d, f)) > 100, "--gen-pki wrote %s" % f)
    ctx = ssl.create_default_context(cafile=os.path.join(d, "ca.pem"))
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    for host in ("localhost", "127.0.0.1"):
        c = Tls(srv.port, ctx, host=host)
        h.check(c.obj.version() == "TLSv1.2", "TLS 1.2 negotiated", c.obj.version())
        c.send(request("/small.txt"))
        c.read_to_end(10)
        c.close()
        sp = split_head(c.buf)
        h.check(sp and sp[0] == 200 and sp[3] == b"hello\n", "verified as %s" % host)
    bad = ssl.create_default_context()
    try:
        Tls(srv.port, bad)
        ok = False
    except ssl.SSLCertVerificationError:
        ok = True
    h.check(ok, "a client without the CA refuses the certificate")
    with socket.create_connection(("127.0.0.1", srv.port), timeout=10) as raw:
        raw.sendall(b"GET /small.txt HTTP/1.0\r\n\r\n")
        try:
            while raw.recv(4096):
                pass
        except ConnectionResetError:
            pass
    s = srv.lines(4)
    h.check(len(s) == 4 and all(not x["handshake"] and x["ended"] == "handshake_failed" and
                                x["requests"] == 0 for x in s[2:]),
            "refused certificate and plain HTTP: handshake_failed", s[2:])
    c = Tls(srv.port, ctx)
    c.send(request("/small.txt"))
    c.read_to_end(10)
    c.close()
    h.check(split_head(c.buf) and split_head(c.buf)[0] == 200, "still serving afterwards")
    srv.p.send_signal(signal.SIGINT)
    try:
        rc = srv.p.wait(timeout=10)
    except subprocess.TimeoutExpired:
        rc = None
    h.check(rc == 0, "SIGINT exits 0", rc)


def test_cli_errors(h, www, pki):
    base = [hota_bin(), "serve", www, "--cert", pki[0], "--key", pki[1]]
    for extra, want, what in (
            (["--port", "0", "--framing", "bogus"], 2, "unknown framing"),
            (["--port", "0", "--end", "bogus"], 2, "unknown end"),
            (["--framing", "close"], 2, "--port missing"),
            (["--port", "70000"], 2, "port out of range"),
            (["--port", "0", "--bind", "not-an-address"], 2, "bad --bind"),
            (["--port", "0", "--key", pki[0]], None, "certificate as key")):
        cp = run(base + extra, check=False, timeout=20)
        ok = cp.returncode == want if want is not None else cp.returncode not in (0, 2)
        h.check(ok and "listening" not in cp.stdout, "serve refuses: %s" % what,
                (cp.returncode, cp.stderr.strip()))
    srv = Server(h, www, ["--bind", "127.0.0.1"], pki=pki)
    cp = run(base + ["--port", str(srv.port)], check=False, timeout=20)
    h.check(cp.returncode not in (0, 2) and "listening" not in cp.stdout,
            "serve refuses a port in use", (cp.returncode, cp.stderr.strip()))
    srv.terminate()


# ----- hota image create ---------------------------------------------------------------------

def parse_image(d):
    """Parse an ESP32 app image; returns a dict of facts (raises on structural errors)."""
    magic, nseg, mode, spd, entry = struct.unpack_from("<BBBBI", d, 0)
    chip_id, = struct.unpack_from("<H", d, 12)
    off, segs, csum = 24, [], 0xEF
    for _ in range(nseg):
        addr, ln = struct.unpack_from("<II", d, off)
        segs.append((addr, ln, off + 8))
        for b in d[off + 8:off + 8 + ln]:
            csum ^= b
        off += 8 + ln
    cpos = off + (15 - off % 16)
    desc = d[segs[0][2]:segs[0][2] + 256]
    cstr = lambda b: b.split(b"\0")[0].decode()
    return {
        "magic": magic, "nseg": nseg, "entry": entry, "chip_id": chip_id,
        "hash_appended": d[23], "wp": d[8], "segs": segs, "csum_ok": d[cpos] == csum,
        "pad_zero": d[off:cpos] == b"\0" * (cpos - off),
        "sha_ok": hashlib.sha256(d[:cpos + 1]).digest() == d[cpos + 1:cpos + 33],
        "end": cpos + 33, "desc_magic": struct.unpack_from("<I", desc, 0)[0],
        "secure_version": struct.unpack_from("<I", desc, 4)[0],
        "version": cstr(desc[16:48]), "project": cstr(desc[48:80]), "time": cstr(desc[80:96]),
        "date": cstr(desc[96:112]), "idf": cstr(desc[112:144]), "elf_sha": desc[144:176],
    }


def create(h, out, *args):
    cp = run([hota_bin(), "image", "create", "-o", out] + list(args), check=False)
    return cp


def test_image_create(h):
    out = h.path("img-a.bin")
    cp = create(h, out, "--project", "demo-app", "--version", "1.2.3", "--secure-version", "3")
    h.check(cp.returncode == 0, "image create exits 0", cp.stderr)
    js = json.loads(cp.stdout)
    d = open(out, "rb").read()
    im = parse_image(d)
    h.check(len(d) == 256 * 1024 and js["size"] == len(d), "default size 256 KiB", len(d))
    h.check(im["magic"] == 0xE9 and im["nseg"] == 5 and im["chip_id"] == 0 and
            im["hash_appended"] == 1 and im["wp"] == 0xEE, "header fields", im)
    h.check(im["end"] == len(d), "segments + padding + checksum + SHA-256 fill the file")
    h.check(im["csum_ok"] and im["pad_zero"], "XOR checksum at the end of a 16-byte block")
    h.check(im["sha_ok"] and js["sha256"] == d[-32:].hex(), "appended SHA-256 valid")
    kinds = [s[0] >> 16 for s in im["segs"]]
    h.check(im["segs"][0][0] == 0x3F400020 and im["segs"][0][2] == 0x20,
            "first segment is DROM 0x3F400020 with data at 0x20", im["segs"][0])
    h.check(kinds == [0x3F40, 0x3FFB, 0x4008, 0x400D, 0x4008], "DROM DRAM IRAM IROM IRAM",
            [hex(k) for k in kinds])
    h.check(all(s[1] % 4 == 0 for s in im["segs"]), "segment lengths are multiples of 4")
    for a, ln, doff in im["segs"]:
        if a >> 16 in (0x3F40, 0x400D):
            h.check(a % 0x10000 == doff % 0x10000, "mapped segment %#x congruent to its file "
                    "offset modulo 64 KiB" % a)
    iram = [s for s in im["segs"] if s[0] >> 16 == 0x4008]
    h.check(any(a <= im["entry"] < a + ln for a, ln, _ in iram), "entry inside IRAM",
            hex(im["entry"]))
    h.check(im["desc_magic"] == 0xABCD5432 and im["project"] == "demo-app" and
            im["version"] == "1.2.3" and im["secure_version"] == 3 and im["idf"] == "hota" and
            im["time"] and im["date"], "app description fields", im)
    h.check(im["elf_sha"].hex() == js["app_elf_sha256"] and any(im["elf_sha"]),
            "app_elf_sha256 set")
    create(h, h.path("img-a2.bin"), "--project", "demo-app", "--version", "1.2.3",
           "--secure-version", "3")
    h.check(open(h.path("img-a2.bin"), "rb").read() == d, "same inputs give the same bytes")
    create(h, h.path("img-b.bin"), "--project", "demo-app", "--version", "1.2.4",
           "--secure-version", "3")
    b = open(h.path("img-b.bin"), "rb").read()
    ib = parse_image(b)
    h.check(ib["sha_ok"] and ib["csum_ok"] and ib["version"] == "1.2.4", "second version valid")
    h.check(b[0x20 + 256:] != d[0x20 + 256:] and ib["elf_sha"] != im["elf_sha"],
            "different versions differ in content")
    for req, want in (("100000", 100000), ("100001", 100000), ("100009", 100016),
                      ("1M", 1 << 20), ("4100", 4096)):
        p = h.path("img-size-%s.bin" % req)
        cp = create(h, p, "--project", "p", "--version", "v", "--size", req)
        got = os.path.getsize(p) if cp.returncode == 0 else None
        ok = got == want and parse_image(open(p, "rb").read())["sha_ok"]
        h.check(ok, "--size %s -> %d bytes" % (req, want), (cp.returncode, got, cp.stderr))
    for bad in (["--size", "1000"], ["--size", "5M"], ["--chip", "esp32s3"]):
        cp = create(h, h.path("bad.bin"), "--project", "p", "--version", "v", *bad)
        h.check(cp.returncode == 2 and not os.path.exists(h.path("bad.bin")),
                "refused: %s" % " ".join(bad), (cp.returncode, cp.stderr))
    cp = create(h, h.path("bad.bin"), "--project", "x" * 32, "--version", "v")
    h.check(cp.returncode == 2, "project name longer than 31 characters refused")
    image_info_accepts(h, out, im)


def image_info_accepts(h, path, im):
    """The image engineer's verifier must accept the image (when this build has it)."""
    cp = run([hota_bin(), "image", "--help"], check=False)
    if " info " not in cp.stdout:
        log("note: `hota image info` not in this build; verifier check not run")
        return
    cp = run([hota_bin(), "image", "info", path, "--json"], check=False)
    if cp.returncode == 2:
        cp = run([hota_bin(), "image", "info", path], check=False)
    h.check(cp.returncode == 0, "hota image info accepts the created image",
            cp.stdout + cp.stderr)
    h.check("demo-app" in cp.stdout and "1.2.3" in cp.stdout,
            "hota image info shows the app description", cp.stdout[:400])


def main():
    with Harness("test_serve") as h:
        if not os.access(hota_bin(), os.X_OK):
            h.check(False, "hota binary not found at %s" % hota_bin())
            h.finish()
        www = h.path("www")
        os.makedirs(os.path.join(www, "sub"))
        data = random.Random(7).randbytes(150000)
        h.write("www/data.bin", data)
        h.write("www/small.txt", b"hello\n")
        h.write("www/sub/inner.txt", b"inner\n")
        h.write("secret.txt", b"TOP SECRET\n")
        d = h.path("pki")
        os.mkdir(d)
        first = Server(h, www, ["--end", "fin"], gen_pki=d)
        first.terminate()
        pki = (os.path.join(d, "server.pem"), os.path.join(d, "server.key"))
        ctx = ssl.create_default_context(cafile=os.path.join(d, "ca.pem"))
        test_image_create(h)
        test_gen_pki_and_ip(h, www, data)
        test_cli_errors(h, www, pki)
        test_http(h, www, pki, ctx, data)
        test_cut(h, www, pki, ctx, data)
        test_matrix(h, www, pki, ctx, data)
        test_hold_timeout_and_once(h, www, pki, ctx, data)
        h.finish()


if __name__ == "__main__":
    main()
