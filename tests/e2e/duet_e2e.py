#!/usr/bin/env python3
"""duet end-to-end tests: start the real daemon on loopback, drive it with SIPp (sipp-scenarios/) and
a small SIP client, check SIPp's exit codes and the bindings duet lists, stop duet by PID (SIGTERM,
exit 0). Every step is bounded in time and traffic stays on 127.0.0.0/8.

  duet_e2e.py --duet BIN --scenarios DIR scenarios --proto udp|tcp
  duet_e2e.py --duet BIN --scenarios DIR tls
  duet_e2e.py --duet BIN --scenarios DIR flood
"""

import argparse
import os
import random
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time

sys.dont_write_bytecode = True  # keep the source tree clean of __pycache__
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from duetctl import Duet, wait_until  # noqa: E402
from sipclient import Client  # noqa: E402

DOMAIN = "e2e.test"
REGISTRAR_TOML = f"""
[registrar]
domains = ["{DOMAIN}"]
min_expires = 60
"""


class Failure(Exception):
    pass


def check(cond, what):
    if not cond:
        raise Failure(what)
    print(f"  ok: {what}")


def read_users(scenarios):
    users = []
    with open(os.path.join(scenarios, "users.csv")) as f:
        for line in f:
            line = line.strip()
            if line and line not in ("SEQUENTIAL", "RANDOM", "USER"):
                users.append(line.split(";")[0])
    return users


def free_port(proto):
    kind = socket.SOCK_DGRAM if proto == "udp" else socket.SOCK_STREAM
    with socket.socket(socket.AF_INET, kind) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Sipp:
    """Runs one scenario over every user of users.csv, one call at a time, bounded by -m, -timeout,
    -max_non_invite_retrans and a process timeout."""

    def __init__(self, scenarios, workdir, proto, port):
        if not shutil.which("sipp"):
            raise Failure("sipp not found (Debian package sip-tester; scripts/deps installs it)")
        self.scenarios = scenarios
        self.workdir = workdir
        self.proto = proto
        self.port = port
        self.local_port = free_port(proto)  # same SIPp address across runs: query_one expects it
        self.users = read_users(scenarios)

    def run(self, scenario, expect_rc=0):
        cmd = [
            "sipp", f"127.0.0.1:{self.port}",
            "-sf", os.path.join(self.scenarios, scenario + ".xml"),
            "-inf", os.path.join(self.scenarios, "users.csv"),
            "-m", str(len(self.users)), "-l", "1", "-r", "200",
            "-t", "u1" if self.proto == "udp" else "t1",
            "-i", "127.0.0.1", "-p", str(self.local_port),
            "-nostdin", "-timeout", "20s", "-timeout_error", "-max_non_invite_retrans", "3",
            "-trace_err",
        ]
        try:
            r = subprocess.run(cmd, cwd=self.workdir, capture_output=True, text=True, timeout=30)
            rc, out = r.returncode, r.stdout + r.stderr
        except subprocess.TimeoutExpired:
            rc, out = "timeout", ""
        if rc != expect_rc:
            errs = [f for f in os.listdir(self.workdir) if f.startswith(scenario) and f.endswith("errors.log")]
            detail = out[-2500:]
            for e in errs:
                with open(os.path.join(self.workdir, e)) as f:
                    detail += "\n--- " + e + "\n" + f.read()[-3000:]
            print(detail)
        check(rc == expect_rc, f"sipp {scenario} over {self.proto.upper()}: exit {rc} (want {expect_rc})")


def expect_bindings(duet_port, proto, users, want):
    """Query each user with our own client; want(user) is the list of contact URIs expected."""
    c = Client(proto, "127.0.0.1", duet_port)
    try:
        for u in users:
            r = c.query(u, DOMAIN)
            got = sorted(uri for uri, _ in r.contacts())
            if r.status != 200 or got != sorted(want(u)):
                raise Failure(f"query {u}: status {r.status}, contacts {got}, want {sorted(want(u))}")
    finally:
        c.close()
    print(f"  ok: bindings of {len(users)} users as expected ({proto.upper()} query)")


def case_scenarios(args, work):
    proto = args.proto
    with Duet(args.duet, work, [f"{proto}:127.0.0.1:0"], REGISTRAR_TOML) as d:
        port = d.ports[proto]
        sipp = Sipp(args.scenarios, work, proto, port)
        users = sipp.users
        own = f"127.0.0.1:{sipp.local_port};transport={proto.upper()}"

        sipp.run("options")
        expect_bindings(port, proto, users, lambda u: [])
        sipp.run("query_none")
        sipp.run("register_new")
        expect_bindings(port, proto, users, lambda u: [f"sip:{u}@{own}"])
        sipp.run("query_one")
        sipp.run("register_refresh")
        sipp.run("query_one")
        sipp.run("unregister")
        sipp.run("query_none")
        expect_bindings(port, proto, users, lambda u: [])
        sipp.run("wildcard")
        sipp.run("query_none")
        sipp.run("interval_too_brief")
        sipp.run("query_one")
        # a scenario whose expectation is wrong must fail: the harness can see a failure
        sipp.run("query_none", expect_rc=1)
        expect_bindings(port, proto, users, lambda u: [f"sip:{u}@{own}"])
        check(d.alive(), "duet still running")
        d.stop()
        check(True, "duet stopped by SIGTERM with exit 0")


def make_cert(work):
    cert, key = os.path.join(work, "cert.pem"), os.path.join(work, "key.pem")
    r = subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                        "-subj", "/CN=127.0.0.1", "-keyout", key, "-out", cert],
                       capture_output=True, text=True, timeout=30)
    if r.returncode != 0:
        raise Failure("openssl could not make a test certificate: " + r.stderr)
    return cert, key


def case_tls(args, work):
    # Debian's SIPp is built without TLS (no "l1" transport), so TLS is driven by the Python client.
    cert, key = make_cert(work)
    toml = REGISTRAR_TOML + f'\n[tls]\ncert_file = "{cert}"\nkey_file = "{key}"\n'
    with Duet(args.duet, work, ["tls:127.0.0.1:0", "udp:127.0.0.1:0"], toml) as d:
        port = d.ports["tls"]
        users = read_users(args.scenarios)
        c = Client("tls", "127.0.0.1", port)
        r = c.request("OPTIONS", f"sip:127.0.0.1:{port}", f"sip:127.0.0.1:{port}")
        check(r.status == 200 and "REGISTER" in ",".join(r.values("allow")), "OPTIONS over TLS: 200 with Allow")
        for u in users:
            contact = f"sip:{u}@127.0.0.1:{c.local[1]};transport=TLS"
            r = c.register(u, DOMAIN, [f"<{contact}>"], expires=3600)
            got = r.contacts()
            if r.status != 200 or [g for g, _ in got] != [contact] or not 3590 <= got[0][1] <= 3600:
                raise Failure(f"REGISTER {u} over TLS: {r.status} {got}")
        check(True, f"{len(users)} REGISTERs over one TLS connection, each 200 with its one binding")
        # refresh: same Call-ID, higher CSeq, shorter expiry; still one binding
        u = users[0]
        contact = f"sip:{u}@127.0.0.1:{c.local[1]};transport=TLS"
        r1 = c.register(u, DOMAIN, [f"<{contact}>"], expires=3600, call_id="tls-refresh", cseq=10)
        r2 = c.register(u, DOMAIN, [f"<{contact}>"], expires=1800, call_id="tls-refresh", cseq=11)
        check(r1.status == 200 and r2.status == 200 and len(r2.contacts()) == 1
              and 1790 <= r2.contacts()[0][1] <= 1800, "refresh over TLS updates the binding in place")
        r = c.register(u, DOMAIN, [f"<{contact}>"], expires=5)
        check(r.status == 423 and r.values("min-expires") == ["60"], "423 with Min-Expires 60 over TLS")
        # the bindings are visible from another transport too (shared registrar)
        expect_bindings(d.ports["udp"], "udp", users,
                        lambda u: [f"sip:{u}@127.0.0.1:{c.local[1]};transport=TLS"])
        r = c.register(users[1], DOMAIN, [f"<sip:{users[1]}@127.0.0.1:{c.local[1]};transport=TLS>;expires=0"])
        check(r.status == 200 and r.contacts() == [], "un-REGISTER over TLS")
        r = c.register(users[2], DOMAIN, ["*"], expires=0)
        check(r.status == 200 and r.contacts() == [], "Contact: * removal over TLS")
        c.close()
        check(d.alive(), "duet still running")
        d.stop()
        check(True, "duet stopped by SIGTERM with exit 0")


def malformed_datagrams(n, rng):
    good = ("REGISTER sip:e2e.test SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.2:5999;branch=z9hG4bKf{i}\r\n"
            "From: <sip:mallory@e2e.test>;tag={i}\r\nTo: <sip:mallory@e2e.test>\r\nCall-ID: f{i}\r\n"
            "CSeq: 1 REGISTER\r\nContact: <sip:mallory@127.0.0.2:5999>\r\nContent-Length: 0\r\n\r\n")
    for i in range(n):
        kind = i % 8
        msg = good.format(i=i).encode()
        if kind == 0:
            yield bytes(rng.getrandbits(8) for _ in range(rng.randint(1, 300)))
        elif kind == 1:
            yield msg[: rng.randint(1, len(msg) - 1)]  # truncated
        elif kind == 2:
            yield msg.replace(b"CSeq: 1 REGISTER", b"CSeq: x REGISTER")
        elif kind == 3:
            yield msg.replace(b"SIP/2.0\r\n", b"SIP/7.0\r\n", 1)
        elif kind == 4:
            yield msg.replace(b"Content-Length: 0", b"Content-Length: 99999")
        elif kind == 5:
            b = bytearray(msg)
            for _ in range(5):
                b[rng.randrange(len(b))] = rng.getrandbits(8)
            yield bytes(b)
        elif kind == 6:
            yield b"\r\n" * rng.randint(1, 10) + b"\x00" * rng.randint(0, 10)
        else:
            yield b"SIP/2.0 200 OK\r\nVia: garbage\r\n\r\n"


def case_flood(args, work):
    toml = REGISTRAR_TOML + "\n[limits]\nidle_timeout_s = 3\nmax_connections_per_ip = 64\n"
    with Duet(args.duet, work, ["udp:127.0.0.1:0", "tcp:127.0.0.1:0"], toml) as d:
        udp, tcp = d.ports["udp"], d.ports["tcp"]
        rng = random.Random(3)
        # Half-open TCP connections from 127.0.0.3: some send nothing, some stop mid-header; more
        # of them than max_connections_per_ip, so the limit is hit as well.
        half_open = []
        for i in range(100):
            s = socket.socket()
            s.settimeout(5)
            s.bind(("127.0.0.3", 0))
            try:
                s.connect(("127.0.0.1", tcp))
                if i % 2:
                    s.sendall(b"REGISTER sip:e2e.test SIP/2.0\r\nVia: SIP/2.0/TCP 127.0.0.3:1;bra")
            except OSError:
                pass
            half_open.append(s)
        check(len(half_open) == 100, "100 half-open TCP connections made from 127.0.0.3")

        stop = threading.Event()
        sent = [0]

        def flood():
            s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            s.bind(("127.0.0.2", 0))
            s.setblocking(False)
            # bounded: at most 200,000 datagrams or until SIPp is done
            for i, dgram in enumerate(malformed_datagrams(200_000, rng)):
                if stop.is_set():
                    break
                try:
                    s.sendto(dgram, ("127.0.0.1", udp))
                    sent[0] += 1
                except BlockingIOError:
                    time.sleep(0.001)
                if i % 500 == 499:
                    time.sleep(0.005)  # leave the two cores some room for SIPp
            s.close()

        t = threading.Thread(target=flood, daemon=True)
        t.start()
        time.sleep(0.5)
        try:
            for proto, port in (("udp", udp), ("tcp", tcp)):
                sipp = Sipp(args.scenarios, work, proto, port)
                sipp.run("register_new")
                sipp.run("query_one")
                sipp.run("unregister")
        finally:
            stop.set()
            t.join(30)
        check(sent[0] >= 2000, f"{sent[0]} malformed datagrams sent while SIPp registered")
        users = read_users(args.scenarios)
        expect_bindings(udp, "udp", users, lambda u: [])
        # the idle timeout (3 s) closes the half-open connections: each sees EOF or a reset
        def all_closed():
            for s in half_open:
                try:
                    s.setblocking(False)
                    if s.recv(4096) == b"":
                        continue
                except BlockingIOError:
                    return False
                except OSError:
                    continue
            return True

        check(wait_until(all_closed, 10, 0.2), "duet closed every half-open connection (idle timeout)")
        for s in half_open:
            s.close()
        c = Client("tcp", "127.0.0.1", tcp)
        r = c.register("zoe", DOMAIN, ["<sip:zoe@127.0.0.1:5999;transport=TCP>"], expires=600)
        check(r.status == 200 and len(r.contacts()) == 1, "a valid REGISTER over a new TCP connection after all that")
        c.close()
        check(d.alive(), "duet still running")
        d.stop()
        check(True, "duet stopped by SIGTERM with exit 0")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--duet", required=True)
    ap.add_argument("--scenarios", required=True)
    sub = ap.add_subparsers(dest="case", required=True)
    s = sub.add_parser("scenarios")
    s.add_argument("--proto", choices=["udp", "tcp"], required=True)
    sub.add_parser("tls")
    sub.add_parser("flood")
    args = ap.parse_args()
    # SIPp runs in a work directory: relative paths would not resolve there.
    args.duet, args.scenarios = os.path.abspath(args.duet), os.path.abspath(args.scenarios)
    cases = {"scenarios": case_scenarios, "tls": case_tls, "flood": case_flood}
    work = tempfile.mkdtemp(prefix=f"duet-e2e-{args.case}-")
    t0 = time.monotonic()
    try:
        cases[args.case](args, work)
    except Exception as e:  # noqa: BLE001 - every failure ends the test with its reason
        print(f"FAIL: {type(e).__name__}: {e}")
        print(f"(work dir kept: {work})")
        return 1
    shutil.rmtree(work, ignore_errors=True)
    print(f"PASS ({time.monotonic() - t0:.1f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
