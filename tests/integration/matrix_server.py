"""A TLS test server that controls TCP and TLS separately (ssl.SSLObject over MemoryBIO).

Every connection is one request, served according to its path:

    GET /<framing>/<ending>[?anything]

framing  content-length  HTTP/1.1 with Content-Length
         chunked         HTTP/1.1 with Transfer-Encoding: chunked
         close           HTTP/1.0 with no length: the body ends when the connection does
ending   notify-hold     close_notify, then TCP stays open until the client's close_notify
                         (or FIN) arrives, then close: what `openssl s_server -WWW` does
         notify-fin      close_notify, then FIN
         fin             FIN only (no close_notify)
         rst             RST right after the body (SO_LINGER 0)
         keepalive       nothing: the connection stays open (until the client ends it)
         cut-fin         FIN after half of the body
         cut-notify      close_notify after half of the body (then held as notify-hold)

Any other path gets a 404 with a short Content-Length body. The body is one fixed random
byte string per server (same for every connection). Nothing waits forever: every read and
write has a deadline, a held connection is closed after `hold` seconds at most.

For each connection the server records (see Conn.rec): the request (line and headers), what
it sent, and what the client did after the body, in milliseconds after the last byte left:
client_close_notify_ms (the client's TLS close_notify), client_fin_ms (TCP FIN),
client_reset_ms (TCP RST). The records are available in-process (MatrixServer.records,
wait_record) and, with status_path, as a JSON list rewritten after every connection.

Run by hand:  python3 matrix_server.py --cert server.pem --key server.key [--port N]
              [--status status.json] [--size BYTES] [--hold SECONDS] [--body-out body.bin]
"""

import argparse
import array
import fcntl
import json
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

FRAMINGS = ("content-length", "chunked", "close")
ENDINGS = ("notify-hold", "notify-fin", "fin", "rst", "keepalive", "cut-fin", "cut-notify")
CHUNK = 10000            # chunk size for the chunked framing
WRITE_PIECE = 16384      # body is written (and flushed to TCP) in pieces of this size
FIN_GRACE = 0.3          # after the client's close_notify: wait this long for its FIN
IO_TIMEOUT = 10.0        # bound on the handshake, the request and each send


class PeerGone(Exception):
    pass


class Conn:
    """One accepted connection: a TCP socket with an SSLObject on memory BIOs."""

    def __init__(self, server, sock, cid):
        self.srv = server
        self.sock = sock
        self.sock.settimeout(IO_TIMEOUT)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.inc = ssl.MemoryBIO()
        self.out = ssl.MemoryBIO()
        self.tls = server.ctx.wrap_bio(self.inc, self.out, server_side=True)
        self.t_body = None
        self.fin_sent = False
        self.rec = {
            "id": cid, "target": None, "framing": None, "ending": None, "request": None,
            "headers": {}, "handshake": None, "tls_version": None, "status": None,
            "body_bytes_sent": 0, "server_close_notify": False, "server_fin": False,
            "server_rst": False, "client_close_notify": False, "client_close_notify_ms": None,
            "client_fin_ms": None, "client_reset_ms": None, "client_data_after_body": 0,
            "closed_ms": None, "error": None, "done": False,
        }

    # --- raw I/O ---------------------------------------------------------------------------
    def flush(self):
        data = self.out.read()
        if data:
            self.sock.sendall(data)

    def ms(self):
        return round((time.monotonic() - self.t_body) * 1000.0, 1) if self.t_body else None

    def pump(self, deadline):
        """Read once from TCP into the TLS input. False on timeout; PeerGone on FIN/RST."""
        left = deadline - time.monotonic()
        if left <= 0:
            return False
        r, _, _ = select.select([self.sock], [], [], left)
        if not r:
            return False
        try:
            data = self.sock.recv(65536)
        except (ConnectionResetError, ConnectionAbortedError):
            self.rec["client_reset_ms"] = self.ms()
            raise PeerGone()
        if not data:
            self.rec["client_fin_ms"] = self.ms()
            self.inc.write_eof()
            raise PeerGone()
        self.inc.write(data)
        return True

    # --- TLS steps -------------------------------------------------------------------------
    def handshake(self):
        deadline = time.monotonic() + IO_TIMEOUT
        while True:
            try:
                self.tls.do_handshake()
                break
            except ssl.SSLWantReadError:
                self.flush()
                if not self.pump(deadline):
                    raise TimeoutError("handshake timed out")
        self.flush()
        self.rec["tls_version"] = self.tls.version()

    def read_request(self):
        deadline = time.monotonic() + IO_TIMEOUT
        buf = b""
        while b"\r\n\r\n" not in buf:
            if len(buf) > 65536:
                raise ValueError("request head too long")
            try:
                buf += self.tls.read(65536)
            except ssl.SSLWantReadError:
                self.flush()
                if not self.pump(deadline):
                    raise TimeoutError("request timed out")
        head = buf.split(b"\r\n\r\n", 1)[0].decode("latin-1")
        lines = head.split("\r\n")
        self.rec["request"] = lines[0]
        for ln in lines[1:]:
            k, _, v = ln.partition(":")
            self.rec["headers"][k.strip().lower()] = v.strip()
        parts = lines[0].split(" ")
        return parts[1] if len(parts) >= 2 else "/"

    def send(self, data):
        self.tls.write(data)
        self.flush()

    def send_close_notify(self):
        try:
            self.tls.unwrap()
            self.rec["client_close_notify"] = True   # it had already arrived
        except ssl.SSLWantReadError:
            pass
        self.flush()
        self.rec["server_close_notify"] = True

    def send_fin(self):
        self.sock.shutdown(socket.SHUT_WR)
        self.fin_sent = True
        self.rec["server_fin"] = True

    def wait_delivered(self, timeout=2.0):
        """Wait (bounded) until the kernel send queue is empty, i.e. the client's TCP has the
        whole body; an RST would otherwise discard the bytes still queued here."""
        deadline = time.monotonic() + timeout
        queued = array.array("i", [0])
        while time.monotonic() < deadline:
            try:
                fcntl.ioctl(self.sock.fileno(), termios.TIOCOUTQ, queued)
            except OSError:
                time.sleep(0.2)
                return
            if queued[0] == 0:
                return
            time.sleep(0.002)

    def send_rst(self):
        self.wait_delivered()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.sock.close()
        self.rec["server_rst"] = True
        self.rec["closed_ms"] = self.ms()

    # --- response --------------------------------------------------------------------------
    def respond(self, framing, body, limit):
        """Send the head and body[:limit] in the given framing (limit < len: a cut)."""
        if framing == "content-length":
            head = "HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\n" \
                   "Content-Length: %d\r\n\r\n" % len(body)
        elif framing == "chunked":
            head = "HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\n" \
                   "Transfer-Encoding: chunked\r\n\r\n"
        else:
            head = "HTTP/1.0 200 OK\r\nContent-Type: application/octet-stream\r\n\r\n"
        self.rec["status"] = 200
        self.send(head.encode())
        if framing == "chunked":
            self.send_chunked(body, limit)
        else:
            for i in range(0, limit, WRITE_PIECE):
                self.send(body[i:min(i + WRITE_PIECE, limit)])
        self.rec["body_bytes_sent"] = limit

    def send_chunked(self, body, limit):
        for i in range(0, len(body), CHUNK):
            piece = body[i:i + CHUNK]
            if i + len(piece) > limit:      # cut inside this chunk's data
                self.send(b"%x\r\n" % len(piece) + piece[:limit - i])
                return
            self.send(b"%x\r\n" % len(piece) + piece + b"\r\n")
        self.send(b"0\r\n\r\n")

    def not_found(self):
        body = b"not found\n"
        self.rec["status"] = 404
        self.send(b"HTTP/1.1 404 Not Found\r\nContent-Type: text/plain\r\n"
                  b"Content-Length: %d\r\n\r\n%s" % (len(body), body))

    # --- after the body --------------------------------------------------------------------
    def observe(self, hold):
        """Watch what the client does after the body, for at most `hold` seconds.

        Ends on the client's FIN or RST, FIN_GRACE after its close_notify, or at the bound.
        """
        deadline = time.monotonic() + hold
        while True:
            if self.rec["client_close_notify"]:
                deadline = min(deadline, time.monotonic() + FIN_GRACE)
            try:
                if not self.pump(deadline):
                    return
            except PeerGone:
                self.poll_tls()   # a close_notify may come with the FIN
                return
            self.poll_tls()

    def poll_tls(self):
        """Consume what arrived: the client's close_notify (or stray data)."""
        if self.rec["client_close_notify"]:
            return
        try:
            if self.rec["server_close_notify"]:
                self.tls.unwrap()
            else:
                while True:
                    data = self.tls.read(65536)
                    if not data:      # SSLObject.read gives b"" on a clean close_notify
                        break
                    self.rec["client_data_after_body"] += len(data)
        except ssl.SSLWantReadError:
            return
        except ssl.SSLZeroReturnError:
            pass
        except ssl.SSLError:
            return   # TCP ended without close_notify: the FIN/RST is already recorded
        self.rec["client_close_notify"] = True
        self.rec["client_close_notify_ms"] = self.ms()

    # --- one connection --------------------------------------------------------------------
    def serve(self):
        try:
            self.handshake()
            self.rec["handshake"] = "ok"
        except Exception as e:
            self.rec["handshake"] = "failed: %s" % e
            return
        target = self.read_request()
        self.rec["target"] = target
        parts = target.split("?", 1)[0].strip("/").split("/")
        if len(parts) != 2 or parts[0] not in FRAMINGS or parts[1] not in ENDINGS:
            self.not_found()
            self.t_body = time.monotonic()
            self.observe(self.srv.hold)
            return
        framing, ending = parts
        self.rec["framing"], self.rec["ending"] = framing, ending
        body = self.srv.body
        limit = len(body) // 2 if ending.startswith("cut-") else len(body)
        self.respond(framing, body, limit)
        self.t_body = time.monotonic()
        self.finish(ending)

    def finish(self, ending):
        if ending == "rst":
            self.send_rst()
            return
        if ending in ("notify-hold", "notify-fin", "cut-notify"):
            self.send_close_notify()
        if ending in ("notify-fin", "fin", "cut-fin"):
            self.send_fin()
        self.observe(self.srv.hold)

    def run(self):
        try:
            self.serve()
        except PeerGone:
            pass
        except Exception as e:
            self.rec["error"] = "%s: %s" % (type(e).__name__, e)
        finally:
            if not self.rec["server_rst"]:
                try:
                    self.sock.close()
                except OSError:
                    pass
                self.rec["closed_ms"] = self.ms()
            self.rec["done"] = True
            self.srv.done(self)


class MatrixServer:
    """Listens on 127.0.0.1 (and ::1 on the same port when possible); one thread per client."""

    def __init__(self, certfile, keyfile, size=100003, seed=20240601, hold=10.0,
                 status_path=None, body=None):
        self.ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.ctx.minimum_version = ssl.TLSVersion.TLSv1_2
        self.ctx.load_cert_chain(certfile, keyfile)
        self.body = body if body is not None else random.Random(seed).randbytes(size)
        self.hold = hold
        self.status_path = status_path
        self.lock = threading.Lock()
        self.cond = threading.Condition(self.lock)
        self.conns = []
        self.threads = []
        self.listeners = []
        self.stopping = threading.Event()
        self.port = None
        self.acceptor = None

    def start(self, port=0):
        s4 = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s4.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s4.bind(("127.0.0.1", port))
        s4.listen(64)
        self.port = s4.getsockname()[1]
        self.listeners.append(s4)
        try:
            s6 = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
            s6.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
            s6.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            s6.bind(("::1", self.port))
            s6.listen(64)
            self.listeners.append(s6)
        except OSError:
            pass
        self.acceptor = threading.Thread(target=self._accept_loop, daemon=True)
        self.acceptor.start()
        return self

    def _accept_loop(self):
        while not self.stopping.is_set():
            try:
                r, _, _ = select.select(self.listeners, [], [], 0.2)
            except (OSError, ValueError):
                return
            for ls in r:
                try:
                    sock, _ = ls.accept()
                except OSError:
                    continue
                with self.lock:
                    c = Conn(self, sock, len(self.conns))
                    self.conns.append(c)
                t = threading.Thread(target=c.run, daemon=True)
                self.threads.append(t)
                t.start()

    def done(self, conn):
        with self.cond:
            self.cond.notify_all()
        self.write_status()

    def records(self):
        with self.lock:
            return [dict(c.rec) for c in self.conns]

    def write_status(self):
        if not self.status_path:
            return
        recs = self.records()
        tmp = self.status_path + ".tmp"
        with self.lock:
            with open(tmp, "w") as f:
                json.dump(recs, f, indent=1)
            os.replace(tmp, self.status_path)

    def wait_record(self, target, timeout, absent_timeout=2.0):
        """The finished record of the connection that requested `target`, or None (bounded).
        Gives up after absent_timeout when no connection has asked for `target` at all."""
        t0 = time.monotonic()
        deadline = t0 + timeout
        with self.cond:
            while True:
                mine = [c for c in self.conns if c.rec["target"] == target]
                for c in mine:
                    if c.rec["done"]:
                        return dict(c.rec)
                left = deadline - time.monotonic()
                if not mine and time.monotonic() - t0 > absent_timeout:
                    return None
                if left <= 0:
                    return None
                self.cond.wait(min(left, 0.2))

    def stop(self):
        self.stopping.set()
        for ls in self.listeners:
            try:
                ls.close()
            except OSError:
                pass
        if self.acceptor:
            self.acceptor.join(timeout=2)
        with self.lock:
            conns = list(self.conns)
        for c in conns:   # cut held connections short
            if not c.rec["done"] and not c.rec["server_rst"]:
                try:
                    c.sock.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
        for t in self.threads:
            t.join(timeout=2)


def main(argv=None):
    ap = argparse.ArgumentParser(description="TLS server for the closure matrix")
    ap.add_argument("--cert", required=True)
    ap.add_argument("--key", required=True)
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--size", type=int, default=100003)
    ap.add_argument("--hold", type=float, default=10.0)
    ap.add_argument("--status", help="JSON file rewritten after every connection")
    ap.add_argument("--body-out", help="write the served body to this file")
    ap.add_argument("--max-seconds", type=float, default=600.0, help="exit after this long")
    a = ap.parse_args(argv)
    srv = MatrixServer(a.cert, a.key, size=a.size, hold=a.hold, status_path=a.status).start(a.port)
    if a.body_out:
        with open(a.body_out, "wb") as f:
            f.write(srv.body)
    print("listening on port %d (body %d bytes); paths /<framing>/<ending> with framing in %s "
          "and ending in %s" % (srv.port, len(srv.body), ", ".join(FRAMINGS),
                                ", ".join(ENDINGS)), flush=True)
    try:
        time.sleep(a.max_seconds)
    except KeyboardInterrupt:
        pass
    finally:
        srv.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
