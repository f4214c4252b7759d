"""Network faults for the update tests (Python 3 standard library only).

FaultProxy: a TCP proxy in front of a TLS server. The bytes from the server to the client
(TLS records, counted raw on TCP) pass through a Rule chosen per connection:

    Rule()                                 pass everything through
    Rule(reset_at=N)                       RST to the client after N bytes
    Rule(fin_at=N)                         FIN to the client after N bytes (no close_notify)
    Rule(stall_at=N, stall_ms=T)           stop forwarding for T ms after N bytes
    Rule(drip=True[, drip_ms=D])           one byte per send (TCP_NODELAY), D ms apart
    Rule(rate=B)                           at most B bytes per second
    Rule(reset_resumption=True)            RST to the client when its ClientHello tries to
                                           resume a TLS session (a session id or a ticket)
    Rule(..., hook=fn)                     fn(conn_record) runs when the fault fires

Connection k (0-based) uses rules[k] when given, else `default`; both may be changed while
the proxy runs. Every connection is recorded (bytes each way, the fault applied, how it ended).

MisbehavingServer: an HTTPS server (ssl module, one thread per connection) whose path selects
how it misbehaves; NAME is a file of its directory:

    /ok/NAME            200, Content-Length, connection closed with close_notify + FIN
    /status/CODE/NAME   CODE (e.g. 503) with a short body, every time
    /slowloris/NAME     the response head one byte per `slow_interval` seconds
    /endless/NAME       200 chunked: the file, then random chunks without end
    /huge/NAME          200 with Content-Length `huge_length`, then the file, then it waits
    /auth/NAME          401 (WWW-Authenticate: Basic) unless the Basic credentials match

Everything is bounded in time: a connection lives at most `max_conn_s` seconds.

Run by hand (proxy only):
    python3 fault_proxy.py --upstream PORT [--port N] [--reset-at N | --fin-at N |
        --stall-at N --stall-ms T | --drip | --rate B] [--first-only] [--max-seconds S]
"""

import argparse
import array
import base64
import fcntl
import os
import random
import select
import socket
import ssl
import struct
import sys
import termios
import threading
import time

PIECE = 16384


class Rule:
    """What happens to the server->client bytes of one connection."""

    def __init__(self, reset_at=None, fin_at=None, stall_at=None, stall_ms=0, drip=False,
                 drip_ms=0, rate=None, hook=None, reset_resumption=False):
        self.reset_resumption = reset_resumption
        self.reset_at, self.fin_at = reset_at, fin_at
        self.stall_at, self.stall_ms = stall_at, stall_ms
        self.drip, self.drip_ms, self.rate, self.hook = drip, drip_ms, rate, hook

    def cut_point(self, stalled=False):
        """The byte count where the next fault fires (None: no fault by count)."""
        pts = [self.reset_at, self.fin_at] + ([] if stalled else [self.stall_at])
        pts = [p for p in pts if p is not None]
        return min(pts) if pts else None

    def __repr__(self):
        parts = ["%s=%s" % (k, v) for k, v in sorted(vars(self).items())
                 if v not in (None, 0, False) and k != "hook"]
        return "Rule(%s)" % ", ".join(parts)


def resumption_attempt(hello):
    """True when the bytes start a TLS ClientHello that offers a session: a pre_shared_key
    extension (41, TLS 1.3), a SessionTicket extension (35) that carries a ticket, or (TLS 1.2
    only: no supported_versions extension, 43) a non-empty session id. A TLS 1.3-capable hello
    always carries a random legacy session id, which offers nothing."""
    try:
        if len(hello) < 44 or hello[0] != 0x16 or hello[5] != 1:
            return False
        pos = 43
        sid_len = hello[pos]
        pos += 1 + sid_len
        pos += 2 + struct.unpack(">H", hello[pos:pos + 2])[0]   # cipher suites
        pos += 1 + hello[pos]                                  # compression methods
        end = pos + 2 + struct.unpack(">H", hello[pos:pos + 2])[0]
        pos += 2
        exts = {}
        while pos + 4 <= min(end, len(hello)):
            kind, size = struct.unpack(">HH", hello[pos:pos + 4])
            exts[kind] = size
            pos += 4 + size
    except (IndexError, struct.error):
        return False
    if 41 in exts or exts.get(35, 0) > 0:
        return True
    return sid_len > 0 and 43 not in exts


def wait_delivered(sock, timeout=2.0):
    """Wait (bounded) until the kernel send queue of sock is empty."""
    deadline = time.monotonic() + timeout
    queued = array.array("i", [0])
    while time.monotonic() < deadline:
        try:
            fcntl.ioctl(sock.fileno(), termios.TIOCOUTQ, queued)
        except OSError:
            return
        if queued[0] == 0:
            return
        time.sleep(0.002)


def send_rst(sock):
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    sock.close()


class ProxyConn:
    """One proxied connection: client <-> upstream, faults on the downstream direction."""

    def __init__(self, proxy, client, cid, rule):
        self.p, self.c, self.rule = proxy, client, rule
        self.u = None
        self.rec = {"id": cid, "rule": repr(rule), "up_bytes": 0, "down_bytes": 0,
                    "fault": None, "ended": None, "t_start": time.monotonic(), "t_end": None,
                    "t_fault": None, "t_client_closed": None}
        self.stalled = False
        self.t0 = time.monotonic()

    def fire(self, what):
        self.rec["fault"] = what
        self.rec["t_fault"] = time.monotonic()
        if self.rule.hook:
            try:
                self.rule.hook(self.rec)
            except Exception as e:  # a hook must not kill the proxy
                self.rec["hook_error"] = str(e)

    def allowed(self):
        """How many downstream bytes may be forwarded now (0: wait)."""
        r, n = self.rule, self.rec["down_bytes"]
        cap = PIECE
        cut = r.cut_point(self.stalled)
        if cut is not None:
            cap = min(cap, max(cut - n, 0))
        if r.drip:
            cap = min(cap, 1)
        if r.rate:
            budget = int(r.rate * (time.monotonic() - self.t0)) - n
            cap = min(cap, max(budget, 0))
        return cap

    def at_fault(self):
        """Apply the fault due at the current byte count; returns 'stop' to end the link."""
        r, n = self.rule, self.rec["down_bytes"]
        if r.stall_at is not None and n >= r.stall_at and not self.stalled:
            self.stalled = True
            self.fire("stall %d ms at %d" % (r.stall_ms, n))
            self.sleep_watching(r.stall_ms / 1000.0)
            return None
        if r.reset_at is not None and n >= r.reset_at:
            self.fire("reset at %d" % n)
            wait_delivered(self.c)
            send_rst(self.c)
            self.rec["ended"] = "proxy reset"
            return "stop"
        if r.fin_at is not None and n >= r.fin_at:
            self.fire("fin at %d" % n)
            wait_delivered(self.c)
            self.c.shutdown(socket.SHUT_WR)
            self.rec["ended"] = "proxy fin"
            self.drain_client(self.p.max_conn_s)
            return "stop"
        return None

    def sleep_watching(self, seconds):
        """Sleep, but notice the client leaving (FIN/RST) meanwhile."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline and not self.p.stopping.is_set():
            r, _, _ = select.select([self.c], [], [], min(0.05, deadline - time.monotonic()))
            if r:
                data = self.recv(self.c)
                if not data:
                    self.rec["t_client_closed"] = time.monotonic()
                    return
                self.u.sendall(data)
                self.rec["up_bytes"] += len(data)

    def drain_client(self, bound):
        """After our FIN: wait (bounded) until the client closes too."""
        deadline = time.monotonic() + bound
        while time.monotonic() < deadline and not self.p.stopping.is_set():
            r, _, _ = select.select([self.c], [], [], 0.1)
            if r and not self.recv(self.c):
                return

    @staticmethod
    def recv(sock, n=PIECE):
        try:
            return sock.recv(n)
        except OSError:
            return b""

    def run(self):
        try:
            self.u = socket.create_connection((self.p.up_host, self.p.up_port), timeout=5)
            self.u.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            self.c.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            self.loop()
        except OSError as e:
            self.rec["ended"] = self.rec["ended"] or "error: %s" % e
        finally:
            for s in (self.c, self.u):
                try:
                    if s:
                        s.close()
                except OSError:
                    pass
            self.rec["t_end"] = time.monotonic()
            self.p.done()

    def loop(self):
        deadline = time.monotonic() + self.p.max_conn_s
        up_open, client_open = True, True
        while time.monotonic() < deadline and not self.p.stopping.is_set():
            if self.at_fault() == "stop":
                return
            room = self.allowed() if up_open else 0
            watch = [self.c] if client_open else []
            if room > 0:
                watch.append(self.u)
            if not watch:
                self.rec["ended"] = "both closed"
                return
            wait = 0.01 if (up_open and room == 0) else 0.2
            r, _, _ = select.select(watch, [], [], wait)
            if self.u in r:
                data = self.recv(self.u, room)
                if not data:
                    up_open = False
                    self.rec["ended"] = "server closed"
                    self.shut(self.c)
                else:
                    self.c.sendall(data)
                    self.rec["down_bytes"] += len(data)
                    if self.rule.drip_ms:
                        time.sleep(self.rule.drip_ms / 1000.0)
            if self.c in r:
                data = self.recv(self.c)
                if not data:
                    client_open = False
                    self.rec["t_client_closed"] = self.rec["t_client_closed"] or \
                        time.monotonic()
                    self.rec["ended"] = self.rec["ended"] or "client closed"
                    self.shut(self.u)
                    if not up_open:
                        return
                else:
                    if self.rule.reset_resumption and self.rec["up_bytes"] == 0 and \
                            resumption_attempt(data):
                        self.fire("reset on a resumption attempt")
                        send_rst(self.c)
                        self.rec["ended"] = "proxy reset"
                        return
                    self.u.sendall(data)
                    self.rec["up_bytes"] += len(data)
            if not up_open and not client_open:
                return
        self.rec["ended"] = self.rec["ended"] or "time bound"

    @staticmethod
    def shut(sock):
        try:
            sock.shutdown(socket.SHUT_WR)
        except OSError:
            pass


class LoopbackListener:
    """A listening socket on 127.0.0.1 and the thread that accepts on it: each accepted socket
    goes to self._handle(sock) (subclasses), which runs it on a thread of its own and returns
    that thread. stop() ends accepting and joins every thread (bounded)."""

    def __init__(self):
        self.stopping = threading.Event()
        self.threads = []
        self.ls = None
        self.port = None

    def start(self, port=0):
        self.ls = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.ls.bind(("127.0.0.1", port))
        self.ls.listen(64)
        self.port = self.ls.getsockname()[1]
        t = threading.Thread(target=self._accept, daemon=True)
        t.start()
        self.threads.append(t)
        return self

    def _accept(self):
        while not self.stopping.is_set():
            try:
                r, _, _ = select.select([self.ls], [], [], 0.2)
                if not r:
                    continue
                sock, _ = self.ls.accept()
            except (OSError, ValueError):
                return
            self.threads.append(self._handle(sock))

    def _handle(self, sock):
        raise NotImplementedError

    def stop(self):
        self.stopping.set()
        try:
            self.ls.close()
        except OSError:
            pass
        for t in list(self.threads):
            t.join(timeout=3)


class FaultProxy(LoopbackListener):
    """Listens on 127.0.0.1:port and forwards to up_host:up_port under the rules."""

    def __init__(self, up_port, up_host="127.0.0.1", rules=(), default=None, max_conn_s=120.0):
        super().__init__()
        self.up_host, self.up_port = up_host, up_port
        self.rules = list(rules)
        self.default = default or Rule()
        self.max_conn_s = max_conn_s
        self.conns = []
        self.lock = threading.Lock()
        self.cond = threading.Condition(self.lock)

    def set_rules(self, rules=(), default=None):
        """New rules, counted from the next connection on."""
        with self.lock:
            self.rules = [None] * len(self.conns) + list(rules)
            self.default = default or Rule()

    def _handle(self, sock):
        with self.lock:
            cid = len(self.conns)
            rule = self.rules[cid] if cid < len(self.rules) and self.rules[cid] else \
                self.default
            c = ProxyConn(self, sock, cid, rule)
            self.conns.append(c)
        t = threading.Thread(target=c.run, daemon=True)
        t.start()
        return t

    def done(self):
        with self.cond:
            self.cond.notify_all()

    def records(self):
        with self.lock:
            return [dict(c.rec) for c in self.conns]

    def down_bytes(self, since=0):
        """Bytes sent to clients over the connections from number `since` on."""
        return sum(r["down_bytes"] for r in self.records()[since:])

    def count(self):
        with self.lock:
            return len(self.conns)

    def wait_idle(self, timeout=10.0):
        """Wait (bounded) until every connection has ended."""
        deadline = time.monotonic() + timeout
        with self.cond:
            while any(c.rec["t_end"] is None for c in self.conns):
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self.cond.wait(min(left, 0.2))
        return True



# ------------------------------------------------------------------------------------------
class MisbehavingServer(LoopbackListener):
    """HTTPS server for the hostile cases (see the module doc)."""

    def __init__(self, certfile, keyfile, root, slow_interval=1.0, huge_length=1 << 34,
                 max_conn_s=60.0, credentials=("user", "secret")):
        super().__init__()
        self.ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.ctx.minimum_version = ssl.TLSVersion.TLSv1_2
        self.ctx.load_cert_chain(certfile, keyfile)
        self.root = root
        self.slow_interval = slow_interval
        self.huge_length = huge_length
        self.max_conn_s = max_conn_s
        self.credentials = credentials
        self.log = []          # one dict per request
        self.lock = threading.Lock()

    def requests(self, prefix=""):
        with self.lock:
            return [dict(r) for r in self.log if r["path"].startswith(prefix)]

    def _handle(self, sock):
        t = threading.Thread(target=self._serve, args=(sock,), daemon=True)
        t.start()
        return t

    def _serve(self, raw):
        deadline = time.monotonic() + self.max_conn_s
        raw.settimeout(10)
        try:
            tls = self.ctx.wrap_socket(raw, server_side=True)
        except (OSError, ssl.SSLError):
            raw.close()
            return
        try:
            while time.monotonic() < deadline and not self.stopping.is_set():
                head = self._read_head(tls)
                if head is None:
                    return
                if not self._respond(tls, head, deadline):
                    return
        except (OSError, ssl.SSLError, ValueError):
            return
        finally:
            try:
                tls.close()
            except OSError:
                pass

    @staticmethod
    def _read_head(tls):
        buf = b""
        while b"\r\n\r\n" not in buf:
            if len(buf) > 65536:
                return None
            d = tls.recv(4096)
            if not d:
                return None
            buf += d
        lines = buf.split(b"\r\n\r\n", 1)[0].decode("latin-1").split("\r\n")
        parts = lines[0].split(" ")
        hdrs = {}
        for ln in lines[1:]:
            k, _, v = ln.partition(":")
            hdrs[k.strip().lower()] = v.strip()
        return {"path": parts[1] if len(parts) > 1 else "/", "headers": hdrs,
                "t": time.monotonic(), "body_sent": 0, "status": None}

    def _file(self, name):
        p = os.path.join(self.root, os.path.basename(name))
        with open(p, "rb") as f:
            return f.read()

    def _respond(self, tls, req, deadline):
        with self.lock:
            self.log.append(req)
        parts = req["path"].split("?", 1)[0].strip("/").split("/")
        mode = parts[0]
        try:
            if mode == "status":
                return self._status(tls, req, int(parts[1]))
            data = self._file(parts[-1])
        except (OSError, ValueError, IndexError):
            return self._status(tls, req, 404)
        if mode == "ok":
            self._send_full(tls, req, data)
            return False
        if mode == "slowloris":
            return self._slowloris(tls, req, data, deadline)
        if mode == "endless":
            return self._endless(tls, req, data, deadline)
        if mode == "huge":
            return self._huge(tls, req, data, deadline)
        if mode == "auth":
            return self._auth(tls, req, data)
        return self._status(tls, req, 404)

    def _status(self, tls, req, code):
        body = b"status %d\n" % code
        req["status"] = code
        tls.sendall(b"HTTP/1.1 %d Status\r\nContent-Type: text/plain\r\nContent-Length: %d\r\n"
                    b"\r\n%s" % (code, len(body), body))
        return True

    def _send_full(self, tls, req, data):
        req["status"] = 200
        tls.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\nConnection: close\r\n\r\n"
                    % len(data))
        tls.sendall(data)
        req["body_sent"] = len(data)
        try:
            tls.unwrap()
        except (OSError, ssl.SSLError, ValueError):
            pass

    def _slowloris(self, tls, req, data, deadline):
        head = b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\nX-Slow: %s\r\n\r\n" % (
            len(data), b"s" * 64)
        req["status"] = 200
        for i in range(len(head)):
            if time.monotonic() > deadline or self.stopping.is_set():
                return False
            tls.sendall(head[i:i + 1])
            req["head_sent"] = i + 1
            time.sleep(self.slow_interval)
        tls.sendall(data)
        req["body_sent"] = len(data)
        return False

    def _endless(self, tls, req, data, deadline):
        req["status"] = 200
        tls.sendall(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n")
        for i in range(0, len(data), 8192):
            piece = data[i:i + 8192]
            tls.sendall(b"%x\r\n%s\r\n" % (len(piece), piece))
            req["body_sent"] += len(piece)
        rnd = random.Random(7)
        junk = rnd.randbytes(8192)
        req["trailing_sent"] = 0
        while time.monotonic() < deadline and not self.stopping.is_set():
            tls.sendall(b"%x\r\n%s\r\n" % (len(junk), junk))
            req["trailing_sent"] += len(junk)
        return False

    def _huge(self, tls, req, data, deadline):
        req["status"] = 200
        tls.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % self.huge_length)
        tls.sendall(data)
        req["body_sent"] = len(data)
        tls.settimeout(0.5)
        while time.monotonic() < deadline and not self.stopping.is_set():
            try:
                if not tls.recv(4096):
                    return False
            except socket.timeout:
                continue
        return False

    def _auth(self, tls, req, data):
        want = "Basic " + base64.b64encode(("%s:%s" % self.credentials).encode()).decode()
        if req["headers"].get("authorization") != want:
            body = b"unauthorized\n"
            req["status"] = 401
            tls.sendall(b"HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Basic realm=\"hota\""
                        b"\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body))
            return True
        self._send_full(tls, req, data)
        return False



def main(argv=None):
    ap = argparse.ArgumentParser(description="TCP fault proxy in front of a TLS server")
    ap.add_argument("--upstream", type=int, required=True, help="upstream port on 127.0.0.1")
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--reset-at", type=int)
    ap.add_argument("--fin-at", type=int)
    ap.add_argument("--stall-at", type=int)
    ap.add_argument("--stall-ms", type=int, default=0)
    ap.add_argument("--drip", action="store_true")
    ap.add_argument("--rate", type=int)
    ap.add_argument("--first-only", action="store_true", help="fault the first connection only")
    ap.add_argument("--max-seconds", type=float, default=600.0)
    a = ap.parse_args(argv)
    rule = Rule(reset_at=a.reset_at, fin_at=a.fin_at, stall_at=a.stall_at, stall_ms=a.stall_ms,
                drip=a.drip, rate=a.rate)
    proxy = FaultProxy(a.upstream, rules=[rule] if a.first_only else [],
                       default=Rule() if a.first_only else rule).start(a.port)
    print("listening on %d -> 127.0.0.1:%d %r" % (proxy.port, a.upstream, rule), flush=True)
    try:
        time.sleep(a.max_seconds)
    except KeyboardInterrupt:
        pass
    finally:
        proxy.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
