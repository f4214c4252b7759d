#!/usr/bin/env python3
"""A one-connection TLS 1.2 server on loopback for the transport tests (stdlib only).

Prints "PORT <n>" once listening, then "PEER <fact>" lines the test waits for. Modes:
  notify   send b"hello", then our close_notify, then wait for the client's (unwrap)
  fin      send b"hello", then a bare TCP FIN (no close_notify); report what follows
  rst      send b"hello", then reset the connection (SO_LINGER 0)
  listen   read until the client ends; report whether it sent close_notify, answer with ours
  flood    send 256 KiB the client does not read, then act like `listen`
  hold     answer nothing; after the client's FIN keep TCP open one more second
Every wait is bounded by --timeout seconds.
"""
import argparse
import socket
import ssl
import struct
import sys
import time


def say(line):
    print(line, flush=True)


def client_ending(conn):
    """Read until the client ends; returns 1 if it ended with close_notify."""
    try:
        while conn.recv(4096):
            pass
        return 1
    except ssl.SSLZeroReturnError:
        return 1
    except (ssl.SSLEOFError, ssl.SSLError, OSError):
        return 0


def mode_listen(conn):
    notify = client_ending(conn)
    say("PEER client_notify=%d" % notify)
    if notify:
        try:
            conn.unwrap()
        except (ssl.SSLError, OSError):
            pass


def mode_notify(conn):
    conn.sendall(b"hello")
    try:
        conn.unwrap()
        say("PEER unwrap=ok")
    except (ssl.SSLError, OSError) as e:
        say("PEER unwrap=fail %s" % type(e).__name__)


def bare(conn):
    """The TCP socket under conn, TLS dropped without a close_notify."""
    timeout = conn.gettimeout()
    raw = socket.socket(fileno=conn.detach())
    raw.settimeout(timeout)
    return raw


def mode_fin(conn):
    conn.sendall(b"hello")
    raw = bare(conn)
    raw.shutdown(socket.SHUT_WR)
    got = 0
    try:
        while True:
            b = raw.recv(4096)
            if not b:
                break
            got += len(b)
    except OSError:
        pass
    say("PEER after_fin_bytes=%d" % got)
    raw.close()


def mode_rst(conn):
    conn.sendall(b"hello")
    raw = bare(conn)
    raw.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    raw.close()
    say("PEER reset")


def mode_flood(conn):
    conn.sendall(b"x" * (256 * 1024))
    mode_listen(conn)


def mode_hold(conn):
    raw = bare(conn)
    try:
        while raw.recv(4096):
            pass
    except OSError:
        pass
    say("PEER gone")
    time.sleep(1.0)  # no FIN of ours for a while: the client must not wait for it
    raw.close()


MODES = {"notify": mode_notify, "fin": mode_fin, "rst": mode_rst, "listen": mode_listen,
         "flood": mode_flood, "hold": mode_hold}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--cert", required=True)
    ap.add_argument("--key", required=True)
    ap.add_argument("--mode", choices=sorted(MODES), required=True)
    ap.add_argument("--timeout", type=float, default=5.0)
    a = ap.parse_args()
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    ctx.load_cert_chain(a.cert, a.key)
    srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind(("127.0.0.1", 0))
    srv.listen(1)
    srv.settimeout(a.timeout)
    say("PORT %d" % srv.getsockname()[1])
    try:
        sock, _ = srv.accept()
        sock.settimeout(a.timeout)
        conn = ctx.wrap_socket(sock, server_side=True)
    except (OSError, ssl.SSLError) as e:
        say("PEER handshake_failed %s" % type(e).__name__)
        return 1
    say("PEER handshake_ok")
    MODES[a.mode](conn)
    return 0


if __name__ == "__main__":
    sys.exit(main())
