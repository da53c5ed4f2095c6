#!/usr/bin/env python3
"""Two duet sites on 127.0.0.1 (a) and 127.0.0.2 (b), SIPp phones registering at each, checked
through the HTTP API: replication both ways with the right site, un-REGISTER and expiry as
removals, B SIGKILLed and restarted whole again, a link cut (TCP proxies stopped) and restored
by resume without a snapshot, config objects replicated and an invalid one refused at both.

Usage: e2e_two_sites.py <duet binary> <sipp scenario dir>. Every wait is bounded; every process
started here is stopped by its PID."""
import os
import signal
import socket
import sys
import tempfile
import threading

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
import duet_harness as H  # noqa: E402

DUET, SCEN = sys.argv[1], sys.argv[2]
TMP = tempfile.mkdtemp(prefix="duet-repl-e2e-")
PROCS = []


SIP_PORT = H.free_port("127.0.0.1", socket.SOCK_DGRAM)
REPL = {"a": H.free_port("127.0.0.1"), "b": H.free_port("127.0.0.2")}
PROXY = {"a": H.free_port("127.0.0.1"), "b": H.free_port("127.0.0.2")}  # a->b path, b->a path
API = {"a": H.free_port("127.0.0.1"), "b": H.free_port("127.0.0.2")}
IP = {"a": "127.0.0.1", "b": "127.0.0.2"}
# The phones' own address (and so their Contact) stays the same across SIPp runs.
PHONE = {"a": H.free_port("127.0.0.1", socket.SOCK_DGRAM), "b": H.free_port("127.0.0.2", socket.SOCK_DGRAM)}


def fail(msg):
    print("FAIL:", msg, flush=True)
    H.log_tails(TMP, ("a", "b"))
    cleanup()
    sys.exit(1)


def cleanup():
    for p in PROCS:
        H.stop(p)


def write_config(site):
    peer = "b" if site == "a" else "a"
    # Each site dials the peer through a proxy the test can stop (a link cut).
    cfg = H.two_site_config(site, IP[site], SIP_PORT, (peer, IP[peer]), f"{IP[site]}:{PROXY[site]}",
                            f"{IP[site]}:{REPL[site]}", f"{IP[site]}:{API[site]}")
    if site == "a":
        cfg += '[[dns]]\nnumber = "1001"\ntype = "extension"\n'
    return H.write_file(os.path.join(TMP, site + ".toml"), cfg)


def start(site):
    p = H.spawn([DUET, "-c", write_config(site)], os.path.join(TMP, site + ".log"), with_parent=False)
    PROCS.append(p)
    wait(lambda: api_ok(site), 10, f"{site} API up")
    return p


class Proxy:
    """TCP relay listen -> target, one thread per direction; stop() closes everything (a cut)."""

    def __init__(self, listen_ip, listen_port, target):
        self.addr, self.target, self.socks, self.running = (listen_ip, listen_port), target, [], False

    def start(self):
        self.srv = socket.socket()
        self.srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.srv.bind(self.addr)
        self.srv.listen(8)
        self.running = True
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while self.running:
            try:
                c, _ = self.srv.accept()
            except OSError:
                return
            try:
                u = socket.create_connection(self.target, timeout=2)
            except OSError:
                c.close()
                continue
            self.socks += [c, u]
            for x, y in ((c, u), (u, c)):
                threading.Thread(target=self._pipe, args=(x, y), daemon=True).start()

    @staticmethod
    def _pipe(x, y):
        try:
            while True:
                d = x.recv(65536)
                if not d:
                    break
                y.sendall(d)
        except OSError:
            pass
        for s in (x, y):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def stop(self):
        self.running = False
        try:
            self.srv.shutdown(socket.SHUT_RDWR)  # wakes the blocked accept() (Linux)
        except OSError:
            pass
        self.srv.close()
        for s in self.socks:
            try:
                s.shutdown(socket.SHUT_RDWR)
                s.close()
            except OSError:
                pass
        self.socks = []


CLIENT = H.ApiClient({s: (IP[s], API[s]) for s in IP}, timeout=3)


def http(site, method, path, body=None):
    """(status, JSON body or None), over a keep-alive connection."""
    return CLIENT.req(site, method, path, body)


def api_ok(site):
    try:
        return http(site, "GET", "/healthz")[0] == 200
    except OSError:
        return False


def regs(site):
    code, body = http(site, "GET", "/api/v1/registrations")
    if code != 200:
        fail(f"registrations at {site}: {code} {body}")
    return body["registrations"]


def count(site, origin):
    return sum(1 for r in regs(site) if r["site"] == origin)


def peer(site):
    return http(site, "GET", "/api/v1/peer")[1]


def wait(pred, seconds, what):
    if not H.poll(pred, seconds)[0]:
        fail("timed out waiting for: " + what)


CSEQ = [1]


def sipp(site, users, expires):
    CSEQ[0] += 1
    rc = H.sipp_csv(os.path.join(SCEN, "register.xml"), os.path.join(TMP, "users.csv"),
                    [f"{u};{expires};{CSEQ[0]}" for u in users], IP[site], PHONE[site], f"{IP[site]}:{SIP_PORT}",
                    500, 20, TMP, run_timeout=30, with_parent=False)
    if rc != 0:
        fail(f"sipp at {site} exited {rc}")


def main():
    prox = {"a": Proxy(IP["a"], PROXY["a"], (IP["b"], REPL["b"])),
            "b": Proxy(IP["b"], PROXY["b"], (IP["a"], REPL["a"]))}
    for p in prox.values():
        p.start()
    start("a")
    b = start("b")
    wait(lambda: peer("a")["state"] == "up" and peer("b")["state"] == "up", 10, "link up")
    print("ok: link up", flush=True)

    a_users = [str(100000 + i) for i in range(200)]
    b_users = [str(200000 + i) for i in range(100)]
    sipp("a", a_users, 3600)
    sipp("b", b_users, 3600)
    wait(lambda: count("b", "a") == 200 and count("a", "b") == 100, 10, "bindings replicated both ways")
    row = [r for r in regs("b") if r["aor"] == "sip:100007@example.com"]
    if len(row) != 1 or row[0]["site"] != "a" or not row[0]["contact"].startswith("sip:100007@127.0.0.1"):
        fail(f"replicated row at b: {row}")
    print("ok: bindings at a appear at b (site a) and the reverse", flush=True)

    sipp("a", a_users[:10], 0)
    wait(lambda: count("b", "a") == 190, 10, "un-REGISTER seen at b")
    sipp("a", ["300001", "300002"], 1)
    wait(lambda: count("b", "a") == 192, 10, "short registrations at b")
    wait(lambda: count("b", "a") == 190, 10, "expiry seen at b")
    print("ok: un-REGISTER and expiry appear as removals at the peer", flush=True)

    b.send_signal(signal.SIGKILL)
    b.wait(timeout=5)
    wait(lambda: peer("a")["state"] == "down", 5, "a declares b down")
    extra = [str(400000 + i) for i in range(50)]
    sipp("a", extra, 3600)
    b = start("b")
    wait(lambda: peer("b")["whole"] and peer("b")["state"] == "up", 10, "restarted b whole again")
    want = sorted((r["aor"], r["contact"]) for r in regs("a") if r["site"] == "a")
    got = sorted((r["aor"], r["contact"]) for r in regs("b") if r["site"] == "a")
    if len(want) != 240 or want != got:
        fail(f"b after restart holds {len(got)} of a's bindings, a has {len(want)}")
    wait(lambda: count("a", "b") == 0, 5, "a drops what the restarted b no longer has")
    print("ok: b SIGKILLed and restarted is whole with the same 240 records", flush=True)

    snapshots_before = open(os.path.join(TMP, "a.log")).read().count("sending a snapshot")
    for p in prox.values():
        p.stop()
    wait(lambda: peer("a")["state"] == "down" and peer("b")["state"] == "down", 5, "cut detected at both")
    sipp("a", [str(500000 + i) for i in range(20)], 3600)
    sipp("a", extra[:5], 0)
    sipp("b", b_users[:30], 3600)
    for p in prox.values():
        p.start()
    wait(lambda: count("b", "a") == 255 and count("a", "b") == 30, 10, "changes during the cut arrive")
    wait(lambda: peer("a")["whole"] and peer("b")["whole"], 5, "whole after the cut")
    log_a = open(os.path.join(TMP, "a.log")).read()
    if log_a.count("sending a snapshot") != snapshots_before or "resuming after version" not in log_a:
        fail("the restored link did not resume from the change log")
    print("ok: link cut and restored by resume, no snapshot, nothing lost", flush=True)

    code, body = http("a", "POST", "/api/v1/config/dns", {"number": "1002", "type": "extension"})
    if code not in (200, 201):
        fail(f"POST dn at a: {code} {body}")
    wait(lambda: any(d["number"] == "1002" for d in http("b", "GET", "/api/v1/config/dns")[1]["dns"]), 5,
         "dn 1002 at b")
    if not any(d["number"] == "1001" for d in http("b", "GET", "/api/v1/config/dns")[1]["dns"]):
        fail("dn 1001 from a's file is missing at b")
    bad = {"name": "place-x", "dns": ["9999"]}  # a Place naming a DN that exists nowhere
    for site in ("a", "b"):
        code, body = http(site, "POST", "/api/v1/config/places", bad)
        if code not in (400, 404, 409) or "error" not in (body or {}):
            fail(f"invalid place at {site}: {code} {body}")
    print("ok: config object replicated; invalid one refused at both with an error", flush=True)
    cleanup()
    print("PASS", flush=True)


try:
    main()
except SystemExit:
    raise
except Exception as e:  # noqa: BLE001 - any surprise is a failure with the logs shown
    fail(repr(e))
