#!/usr/bin/env python3
"""Reachability probes (src/server/prober.hpp) against the real daemon on loopback: a UDP phone
that answers OPTIONS stays reachable, one that goes silent is out of service within the timeout,
a REGISTER makes it reachable again; a TCP phone whose connection is gone is out of service; the
probe is a well-formed OPTIONS sent over the flow the phone registered on.

Usage: reachability_e2e.py <duet binary>. Bounded waits; the daemon is stopped by its PID."""
import os
import socket
import sys
import tempfile
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
import duet_harness as H  # noqa: E402

DUET = sys.argv[1]
TMP = tempfile.mkdtemp(prefix="duet-reach-")


def free_port(kind):
    return H.free_port("127.0.0.1", kind)


SIP, API = free_port(socket.SOCK_DGRAM), free_port(socket.SOCK_STREAM)
while True:  # TCP and UDP listen on the same port
    try:
        with socket.socket() as t:
            t.bind(("127.0.0.1", SIP))
        break
    except OSError:
        SIP = free_port(socket.SOCK_DGRAM)

cfg = os.path.join(TMP, "duet.toml")
open(cfg, "w").write(f"""
workers = 2
listen = ["udp:127.0.0.1:{SIP}", "tcp:127.0.0.1:{SIP}"]
[api]
listen = "127.0.0.1:{API}"
[continuity]
probe_interval_s = 1
probe_timeout_ms = 600
""")
proc = H.spawn([DUET, "-c", cfg], os.path.join(TMP, "duet.log"), mode="w", with_parent=False)


def fail(msg):
    print("FAIL:", msg, flush=True)
    H.stop(proc)
    print(open(os.path.join(TMP, "duet.log")).read()[-3000:])
    sys.exit(1)


def bindings():
    return {b["aor"]: b for b in H.get_json("127.0.0.1", API, "/api/v1/registrations", timeout=2)["registrations"]}


def wait_for(pred, secs, what):
    if not H.poll(pred, secs)[0]:
        fail("timed out waiting for " + what)


def register(send, user, port, proto, cseq, expires=300):
    send((f"REGISTER sip:127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/{proto} 127.0.0.1:{port};branch=z9hG4bKr{cseq}{user}\r\n"
          f"Max-Forwards: 70\r\nFrom: <sip:{user}@127.0.0.1>;tag=t{user}\r\nTo: <sip:{user}@127.0.0.1>\r\n"
          f"Call-ID: reach-{user}\r\nCSeq: {cseq} REGISTER\r\nContact: <sip:{user}@127.0.0.1:{port};transport={proto.lower()}>\r\n"
          f"Expires: {expires}\r\nUser-Agent: reach-test\r\nContent-Length: 0\r\n\r\n").encode())


def answer(sock, data, addr):
    """200 OK to an OPTIONS, with its Via/From/To/Call-ID/CSeq (To gets a tag)."""
    lines = data.decode().split("\r\n")
    keep = [l for l in lines if l.split(":", 1)[0] in ("Via", "From", "Call-ID", "CSeq")]
    to = [l for l in lines if l.startswith("To:")][0] + ";tag=ph"
    resp = ("SIP/2.0 200 OK\r\n" + "\r\n".join(keep + [to]) + "\r\nContent-Length: 0\r\n\r\n").encode()
    if addr is None:
        sock.sendall(resp)
    else:
        sock.sendto(resp, addr)


try:
    wait_for(lambda: bindings() is not None, 10, "the API")

    # --- UDP phone: answers, then silent, then registers again.
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    u.bind(("127.0.0.1", 0))
    uport = u.getsockname()[1]
    register(lambda b: u.sendto(b, ("127.0.0.1", SIP)), "2001", uport, "UDP", 1)
    u.settimeout(0.1)
    probes, end = [], time.time() + 3.5
    while time.time() < end:
        try:
            data, addr = u.recvfrom(8192)
        except socket.timeout:
            continue
        if data.startswith(b"OPTIONS "):
            probes.append(data.decode())
            answer(u, data, addr)
    if len(probes) < 2:
        fail(f"expected OPTIONS probes every second, got {len(probes)}")
    p = probes[0]
    for must in (f"OPTIONS sip:2001@127.0.0.1:{uport};transport=udp SIP/2.0\r\n", "Via: SIP/2.0/UDP 127.0.0.1:",
                 ";branch=z9hG4bK", "Max-Forwards: 70\r\n", "CSeq: 1 OPTIONS\r\n", "Content-Length: 0\r\n\r\n"):
        if must not in p:
            fail(f"probe lacks {must!r}:\n{p}")
    if bindings()["sip:2001@127.0.0.1"]["reachable"] is not True:
        fail("a phone that answers its probes is not reachable")
    # Silent now: out of service within interval + timeout (+ margin).
    wait_for(lambda: bindings()["sip:2001@127.0.0.1"]["reachable"] is False, 4, "the silent phone out of service")
    register(lambda b: u.sendto(b, ("127.0.0.1", SIP)), "2001", uport, "UDP", 2)
    wait_for(lambda: bindings()["sip:2001@127.0.0.1"]["reachable"] is True, 2, "a REGISTER to make it reachable")

    # --- TCP phone: answers over its connection, then the connection goes away.
    t = socket.create_connection(("127.0.0.1", SIP), timeout=2)
    tport = t.getsockname()[1]
    register(t.sendall, "3001", tport, "TCP", 1)
    t.settimeout(0.1)
    buf, seen, end = b"", 0, time.time() + 2.5
    while time.time() < end:
        try:
            chunk = t.recv(8192)
        except socket.timeout:
            continue
        buf += chunk
        while b"\r\n\r\n" in buf:
            msg, buf = buf.split(b"\r\n\r\n", 1)
            if msg.startswith(b"OPTIONS "):
                seen += 1
                answer(t, msg + b"\r\n\r\n", None)
    if seen == 0:
        fail("no OPTIONS probe over the TCP connection the phone registered on")
    if bindings()["sip:3001@127.0.0.1"]["reachable"] is not True:
        fail("the TCP phone answering its probes is not reachable")
    t.close()  # its flow is gone
    wait_for(lambda: bindings()["sip:3001@127.0.0.1"]["reachable"] is False, 4, "the closed TCP flow out of service")
    print(f"reachability e2e: ok ({len(probes)} UDP probes, {seen} TCP probes)")
finally:
    H.stop(proc, graceful=True, timeout=5)
if proc.returncode != 0:
    fail(f"duet exited with {proc.returncode} on SIGTERM")
