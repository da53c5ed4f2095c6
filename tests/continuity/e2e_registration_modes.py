#!/usr/bin/env python3
"""Registration modes and reachability end to end: two duet sites on 127.0.0.1 (a) and 127.0.0.2
(b), agent phones as raw UDP sockets (real REGISTERs with a User-Agent; they answer duet's OPTIONS
probes while told to), checked through GET /api/v1/registrations, /registrations/anomalies and
the event stream (GET /api/v1/events?types=...) of both sites.

DNs (loaded at a, replicated to b): 4001 dual, 4002 active-backup, 4003 single, 4004 and 4005
auto (no mode key).

  1. modes: 4001 registered at both sites is dual at both, not flagged; 4003 at a only is single;
     4004 with an Alcatel-Lucent 4028 User-Agent is active-backup by the built-in profile
     alcatel-4000; 4005 with a Yealink User-Agent is single. Each as seen by both sites.
  2. anomaly: 4002 (active-backup) registered at a, then at b while both are up: 200, flagged at
     b (where the second registration is local) and at a (which learns it by replication), one
     anomaly counted at each, a 'registration' event 'mode_anomaly' on both streams.
  3. reachability replicated: 4003 answers its probes (reachable at both sites), then goes
     silent: a marks it unreachable, b shows a's binding unreachable too, and a 'reachability'
     event (reachable false) comes on a's stream (and b's).
  4. backup release: 4002 registered at a; a SIGKILLed; b declares it down; 4002 registers at b
     (a backup registration); a restarted with the same config; both whole; 4002 registers at a
     again: b releases its backup binding (b lists 4002 only with site a, releases >= 1, a
     'backup_released' event on b's stream), and a ends with 4002 at a only, not flagged.

Usage: e2e_registration_modes.py <duet binary>. Loopback only; every wait is bounded; every
process started here is stopped by its PID."""
import http.client as hc
import os
import shutil
import signal
import socket
import sys
import tempfile
import threading
import time
import urllib.parse

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
import duet_harness as H  # noqa: E402

IP = {"a": "127.0.0.1", "b": "127.0.0.2"}
SITE_OF_IP = {v: k for k, v in IP.items()}
DOMAIN = "example.com"
MODES = {"4001": "dual", "4002": "active-backup", "4003": "single", "4004": None, "4005": None}
UA = {
    "4001": "duet-e2e dual phone",
    "4002": "duet-e2e active-backup phone",
    "4003": "duet-e2e single phone",
    "4004": "Alcatel-Lucent 4028 IP Touch 4.10.42",
    "4005": "Yealink SIP-T46S 66.86.0.15",
}

TMP = tempfile.mkdtemp(prefix="duet-modes-e2e-")
PROCS = {}
T0 = time.monotonic()


def free_udp_both():
    """A UDP port free on both addresses (duet listens on the same port at each site)."""
    for _ in range(50):
        p = H.free_port(IP["a"], socket.SOCK_DGRAM)
        try:
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
                s.bind((IP["b"], p))
            return p
        except OSError:
            continue
    raise RuntimeError("no UDP port free on both loopback addresses")


SIP_PORT = free_udp_both()
REPL = {s: H.free_port(IP[s]) for s in IP}
API = {s: H.free_port(IP[s]) for s in IP}


def log(msg):
    print(f"[{time.monotonic() - T0:6.1f}s] {msg}", flush=True)


class Failure(Exception):
    pass


def fail(msg):
    raise Failure(msg)


def wait(pred, seconds, what, every=0.05):
    ok, last = H.poll(pred, seconds, every, (OSError, hc.HTTPException, ValueError, KeyError, TypeError, IndexError))
    if not ok:
        fail("timed out after %.1f s waiting for: %s%s" % (seconds, what, f" (last error {last!r})" if last else ""))


# ------------------------------------------------------------------ processes and configs

def dns_toml():
    out = []
    for dn, mode in MODES.items():
        out.append(f'[[dns]]\nnumber = "{dn}"\ntype = "extension"\n' + (f'mode = "{mode}"\n' if mode else ""))
    return "".join(out)


def write_config(site):
    peer = "b" if site == "a" else "a"
    cfg = H.two_site_config(site, IP[site], SIP_PORT, (peer, IP[peer]), f"{IP[peer]}:{REPL[peer]}",
                            f"{IP[site]}:{REPL[site]}", f"{IP[site]}:{API[site]}",
                            tail='[continuity]\nrelog_state = "keep"\nfailback = "manual"\n'
                                 'probe_interval_s = 1\nprobe_timeout_ms = 600\n')
    if site == "a":  # the DNs are loaded at a only; replication brings them to b
        cfg += dns_toml()
    return H.write_file(os.path.join(TMP, site + ".toml"), cfg)


def start(site):
    return H.start_duet(PROCS, site, DUET, write_config(site), os.path.join(TMP, site + ".log"),
                        lambda: req(site, "GET", "/healthz")[0] == 200, 20, wait)


def stop_all():
    H.stop_all(PROCS)


# ------------------------------------------------------------------ HTTP API

CLIENT = H.ApiClient({s: (IP[s], API[s]) for s in IP}, timeout=5)


def req(site, method, path, body=None):
    """One request over a keep-alive connection of this thread. Returns (status, json)."""
    return CLIENT.req(site, method, path, body)


def get(site, path):
    code, body = req(site, "GET", path)
    if code != 200:
        fail(f"GET {path} at {site}: {code} {body}")
    return body


def regs(site, dn):
    """The bindings of sip:<dn>@DOMAIN that `site` lists (its own and the peer's)."""
    q = urllib.parse.quote(f"sip:{dn}@{DOMAIN}", safe="")
    rows = get(site, f"/api/v1/registrations?aor={q}")["registrations"]
    return [r for r in rows if r["aor"] == f"sip:{dn}@{DOMAIN}"]


def sites_of(site, dn):
    return sorted(r["site"] for r in regs(site, dn))


def anomalies(site):
    return get(site, "/api/v1/registrations/anomalies")


def flagged_aors(site):
    return {f["aor"]: f for f in anomalies(site)["flagged"]}


def peer(site):
    return get(site, "/api/v1/peer")


def both_whole():
    pa, pb = peer("a"), peer("b")
    return pa["state"] == "up" and pa["whole"] and pb["state"] == "up" and pb["whole"]


# ------------------------------------------------------------------ event streams

class EventStream(H.EventStream):
    """GET /api/v1/events?types=... over a raw socket; `events` parses the frames into
    (receipt time, id, type, data)."""

    def __init__(self, site, types):
        super().__init__(IP[site], API[site], f"/api/v1/events?types={types}", recv_size=1 << 16, poll_s=0.2)
        self.site, self.types = site, types

    def find(self, etype, since=0, **match):
        return [e[3] for e in self.events[since:]
                if e[2] == etype and all(e[3].get(k) == v for k, v in match.items())]

    def mark(self):
        return len(self.events)


STREAMS = {}


def open_stream(site, types="registration,reachability,peer"):
    old = STREAMS.get(site)
    if old is not None:
        old.stop()
    st = EventStream(site, types)
    st.start()
    if not st.connected.wait(5):
        fail(f"event stream at {site} did not connect")
    STREAMS[site] = st
    return st


# ------------------------------------------------------------------ phones

class Phone(threading.Thread):
    """An agent phone: one UDP socket on 127.0.0.1 (its Contact), REGISTERs to either site with
    its User-Agent, a 200 to every OPTIONS probe while `answering`."""

    def __init__(self, dn):
        super().__init__(daemon=True)
        self.dn, self.ua = dn, UA[dn]
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.settimeout(0.1)
        self.port = self.sock.getsockname()[1]
        self.answering, self.stopping = True, False
        self.probes = {"a": 0, "b": 0}  # OPTIONS received from each site
        self.answered = {"a": 0, "b": 0}
        self.finals = {}  # (call-id, cseq) -> status
        self.cseq = 0
        self.cond = threading.Condition()

    def run(self):
        while not self.stopping:
            try:
                data, addr = self.sock.recvfrom(65536)
            except socket.timeout:
                continue
            except OSError:
                break
            if data.startswith(b"OPTIONS "):
                site = SITE_OF_IP.get(addr[0], "?")
                with self.cond:
                    self.probes[site] = self.probes.get(site, 0) + 1
                if self.answering:
                    self._answer(data, addr)
                    with self.cond:
                        self.answered[site] = self.answered.get(site, 0) + 1
            elif data.startswith(b"SIP/2.0 "):
                text = data.decode(errors="replace")
                status = int(text[8:11])
                hdr = {}
                for line in text.split("\r\n")[1:]:
                    k, _, v = line.partition(":")
                    hdr.setdefault(k.strip().lower(), v.strip())
                if status >= 200:
                    with self.cond:
                        self.finals[(hdr.get("call-id"), hdr.get("cseq", "").split(" ")[0])] = status
                        self.cond.notify_all()

    def _answer(self, data, addr):
        lines = data.decode().split("\r\n")
        keep = [l for l in lines if l.split(":", 1)[0] in ("Via", "From", "Call-ID", "CSeq")]
        to = [l for l in lines if l.startswith("To:")][0] + ";tag=ph" + self.dn
        self.sock.sendto(("SIP/2.0 200 OK\r\n" + "\r\n".join(keep + [to]) +
                          f"\r\nUser-Agent: {self.ua}\r\nContent-Length: 0\r\n\r\n").encode(), addr)

    def register(self, site, expires=300):
        """REGISTER at `site` (retransmitted every 0.5 s, 4 s at most); returns the final status."""
        self.cseq += 1
        call_id = f"modes-{self.dn}-{site}-{os.getpid()}"
        msg = (f"REGISTER sip:{DOMAIN} SIP/2.0\r\n"
               f"Via: SIP/2.0/UDP 127.0.0.1:{self.port};branch=z9hG4bK{self.dn}{site}{self.cseq}x{os.getpid()};rport\r\n"
               f"Max-Forwards: 70\r\nFrom: <sip:{self.dn}@{DOMAIN}>;tag=f{self.dn}\r\nTo: <sip:{self.dn}@{DOMAIN}>\r\n"
               f"Call-ID: {call_id}\r\nCSeq: {self.cseq} REGISTER\r\n"
               f"Contact: <sip:{self.dn}@127.0.0.1:{self.port}>\r\nExpires: {expires}\r\n"
               f"User-Agent: {self.ua}\r\nContent-Length: 0\r\n\r\n").encode()
        key = (call_id, str(self.cseq))
        end = time.monotonic() + 4
        while time.monotonic() < end:
            self.sock.sendto(msg, (IP[site], SIP_PORT))
            with self.cond:
                self.cond.wait_for(lambda: key in self.finals, timeout=0.5)
                if key in self.finals:
                    return self.finals[key]
        fail(f"phone {self.dn}: no final response to REGISTER at {site} within 4 s")

    def must_register(self, site, expires=300):
        st = self.register(site, expires)
        if st != 200:
            fail(f"phone {self.dn}: REGISTER (Expires {expires}) at {site} answered {st}")

    def stop(self):
        self.stopping = True
        if self.is_alive():
            self.join(timeout=2)
        self.sock.close()


# ------------------------------------------------------------------ the scenarios

def expect_rows(site, dn, want_sites, mode, profile, flagged, what):
    rows = regs(site, dn)
    got = sorted(r["site"] for r in rows)
    if got != sorted(want_sites):
        fail(f"{what}: {site} lists {dn} at sites {got}, expected {sorted(want_sites)}: {rows}")
    for r in rows:
        if r.get("mode") != mode or r.get("profile") != profile or r.get("flagged") is not flagged:
            fail(f"{what}: {site} shows {dn} as mode={r.get('mode')} profile={r.get('profile')} "
                 f"flagged={r.get('flagged')}, expected mode={mode} profile={profile} flagged={flagged}: {r}")
        if r.get("user_agent") != UA[dn]:
            fail(f"{what}: {site} shows {dn} with User-Agent {r.get('user_agent')!r}")


def main():
    phones = {dn: Phone(dn) for dn in MODES}
    for p in phones.values():
        p.start()
    try:
        run(phones)
    finally:
        for st in STREAMS.values():
            st.stop()
        for p in phones.values():
            p.stop()
        stop_all()


def run(phones):
    start("a")
    start("b")
    wait(lambda: both_whole(), 15, "link up and whole at both sites")
    wait(lambda: len(get("b", "/api/v1/config/dns")["dns"]) == len(MODES), 10, "the DNs replicated to b")
    open_stream("a")
    open_stream("b")
    log("ok: both sites up and whole, DNs replicated to b, event streams open")

    # ---- 1. modes as configured and by User-Agent profile
    p1, p3, p4, p5 = phones["4001"], phones["4003"], phones["4004"], phones["4005"]
    p1.must_register("a")
    p1.must_register("b")
    for p in (p3, p4, p5):
        p.must_register("a")
    for site in ("a", "b"):
        wait(lambda: sites_of(site, "4001") == ["a", "b"] and all(sites_of(site, d) == ["a"] for d in
                                                                 ("4003", "4004", "4005")),
             5, f"{site} lists every phone at its sites")
        expect_rows(site, "4001", ["a", "b"], "dual", None, False, "dual phone")
        expect_rows(site, "4003", ["a"], "single", None, False, "single phone")
        expect_rows(site, "4004", ["a"], "active-backup", "alcatel-4000", False, "Alcatel phone on an auto DN")
        expect_rows(site, "4005", ["a"], "single", None, False, "Yealink phone on an auto DN")
        an = anomalies(site)
        if an["flagged"] or an["anomalies"] != 0 or an["releases"] != 0:
            fail(f"anomalies at {site} with every phone registering as its mode says: {an}")
    log("ok: 4001 dual at both sites; 4003 single; 4004 (Alcatel-Lucent 4028) active-backup by profile "
        "alcatel-4000; 4005 (Yealink) single; none flagged; as seen by both sites")

    # ---- 2. an active-backup phone at both sites while both are up: accepted, flagged, counted
    p2 = phones["4002"]
    mark = {s: STREAMS[s].mark() for s in STREAMS}
    p2.must_register("a")
    wait(lambda: sites_of("b", "4002") == ["a"], 5, "b lists 4002 at a")
    expect_rows("b", "4002", ["a"], "active-backup", None, False, "4002 at a only")
    st = p2.register("b")
    if st != 200:
        fail(f"REGISTER at b of the active-backup phone already at a: {st}, expected 200 (accepted, flagged)")
    # a flags it when b's newer binding arrives (its own is not a backup one). b's registration is
    # the newer: b gives a the grace (RegistrationModes::kReleaseGraceMs, 3 s) to release an older
    # backup binding, and flags it when a keeps it past that.
    for site in ("a", "b"):
        wait(lambda: sites_of(site, "4002") == ["a", "b"] and all(r["flagged"] for r in regs(site, "4002")),
             9, f"{site} lists 4002 at both sites, flagged")
        expect_rows(site, "4002", ["a", "b"], "active-backup", None, True, "4002 at both sites")
        an = anomalies(site)
        aor = f"sip:4002@{DOMAIN}"
        fl = {f["aor"]: f for f in an["flagged"]}
        if an["anomalies"] != 1 or list(fl) != [aor] or fl[aor]["mode"] != "active-backup" or an["releases"] != 0:
            fail(f"anomalies at {site} after 4002 registered at both sites: {an}")
        wait(lambda: STREAMS[site].find("registration", mark[site], aor=aor, event="mode_anomaly"), 5,
             f"a 'mode_anomaly' registration event on {site}'s stream")
        ev = STREAMS[site].find("registration", mark[site], aor=aor, event="mode_anomaly")
        if len(ev) != 1 or ev[0].get("site") != "b" or (site == "a" and ev[0].get("user_agent") != UA["4002"]):
            fail(f"mode_anomaly events on {site}'s stream: {ev}")
    for dn in ("4001", "4003", "4004", "4005"):
        if any(r["flagged"] for s in ("a", "b") for r in regs(s, dn)):
            fail(f"{dn} flagged after 4002's anomaly")
    log("ok: 4002 (active-backup) registered at b while at a: 200, flagged at both sites, one anomaly "
        "counted at each, 'mode_anomaly' (site b) on both streams")

    # clear 4002 at both sites: the flag goes with it
    p2.must_register("b", expires=0)
    p2.must_register("a", expires=0)
    for site in ("a", "b"):
        wait(lambda: regs(site, "4002") == [] and not anomalies(site)["flagged"], 5,
             f"4002 gone and unflagged at {site}")
    log("ok: 4002 unregistered at both sites, no longer flagged")

    # ---- 3. reachability, replicated
    aor3 = f"sip:4003@{DOMAIN}"
    with p3.cond:
        base = p3.answered["a"]
    wait(lambda: p3.answered["a"] >= base + 2, 5, "4003 answered two of a's probes")
    for site in ("a", "b"):
        r = regs(site, "4003")
        if len(r) != 1 or r[0]["reachable"] is not True:
            fail(f"4003 answering its probes is not reachable at {site}: {r}")
    mark = {s: STREAMS[s].mark() for s in STREAMS}
    t_silent = time.monotonic()
    p3.answering = False
    wait(lambda: regs("a", "4003")[0]["reachable"] is False, 5, "a marks the silent 4003 unreachable")
    t_a = time.monotonic() - t_silent
    wait(lambda: regs("b", "4003")[0]["reachable"] is False, 3, "b shows a's binding of 4003 unreachable")
    t_b = time.monotonic() - t_silent
    wait(lambda: STREAMS["a"].find("reachability", mark["a"], aor=aor3, reachable=False), 3,
         "a 'reachability' event (reachable false) on a's stream")
    ev = STREAMS["a"].find("reachability", mark["a"], aor=aor3)
    if len(ev) != 1 or ev[0].get("site") != "a" or ev[0].get("contact") != f"sip:4003@127.0.0.1:{p3.port}":
        fail(f"reachability events for 4003 on a's stream: {ev}")
    wait(lambda: STREAMS["b"].find("reachability", mark["b"], aor=aor3, reachable=False), 3,
         "a 'reachability' event (reachable false) on b's stream (a's probes, replicated)")
    evb = STREAMS["b"].find("reachability", mark["b"], aor=aor3)
    if len(evb) != 1 or evb[0].get("site") != "a":
        fail(f"reachability events for 4003 on b's stream: {evb}")
    for dn in ("4001", "4004", "4005"):  # the others still answer
        for site in ("a", "b"):
            if not all(r["reachable"] for r in regs(site, dn)):
                fail(f"{dn}, answering its probes, shown unreachable at {site}: {regs(site, dn)}")
    log(f"ok: 4003 silent: unreachable at a after {t_a:.2f} s, at b (replicated) after {t_b:.2f} s; "
        "'reachability' events (reachable false, site a) on both streams")

    # ---- 4. backup release
    p2.must_register("a")
    wait(lambda: sites_of("b", "4002") == ["a"], 5, "b lists 4002 at a")
    mark_b = STREAMS["b"].mark()
    PROCS["a"].send_signal(signal.SIGKILL)
    PROCS["a"].wait(timeout=5)
    t_kill = time.monotonic()
    STREAMS["a"].stop()
    wait(lambda: STREAMS["b"].find("peer", mark_b, state="down"), 5, "'peer down' on b's stream")
    wait(lambda: get("b", "/api/v1/site")["peer_up"] is False, 2, "b's site shows the peer down")
    log(f"b declared a down {time.monotonic() - t_kill:.2f} s after the SIGKILL")
    p2.must_register("b")  # the backup registration
    wait(lambda: "b" in sites_of("b", "4002"), 3, "b lists its backup binding of 4002")
    for r in regs("b", "4002"):
        if r["flagged"]:
            fail(f"4002 flagged at b while a is down: {r}")
    down_view = sites_of("b", "4002")
    releases_before = anomalies("b")["releases"]
    t = time.monotonic()
    start("a")
    wait(lambda: both_whole(), 15, "both whole after a's restart")
    wait(lambda: get("a", "/api/v1/site")["peer_up"] and get("b", "/api/v1/site")["peer_up"], 5,
         "both sites' boards see the peer up")
    open_stream("a")
    wait(lambda: sites_of("a", "4002") == ["b"], 5, "restarted a lists b's backup binding of 4002")
    log(f"ok: a restarted, both whole in {time.monotonic() - t:.2f} s; b listed 4002 at {down_view} while a "
        f"was down, at {sites_of('b', '4002')} once a was back")
    mark = {s: STREAMS[s].mark() for s in STREAMS}
    p2.must_register("a")  # back at its primary
    aor2 = f"sip:4002@{DOMAIN}"
    wait(lambda: sites_of("b", "4002") == ["a"], 5, "b's backup binding of 4002 released (b lists it at a only)")
    an_b = anomalies("b")
    if an_b["releases"] < 1 or an_b["releases"] != releases_before + 1:
        fail(f"anomalies at b after the release: {an_b} (releases before: {releases_before})")
    expect_rows("b", "4002", ["a"], "active-backup", None, False, "4002 after the release, at b")
    wait(lambda: STREAMS["b"].find("registration", mark["b"], aor=aor2, event="backup_released"), 3,
         "a 'backup_released' registration event on b's stream")
    wait(lambda: sites_of("a", "4002") == ["a"] and not any(r["flagged"] for r in regs("a", "4002")), 5,
         "a lists 4002 at a only, not flagged (the release replicated)")
    expect_rows("a", "4002", ["a"], "active-backup", None, False, "4002 after the release, at a")
    if aor2 in flagged_aors("b") or aor2 in flagged_aors("a"):
        fail(f"4002 still listed as flagged: a {anomalies('a')}, b {anomalies('b')}")
    an_a = anomalies("a")
    transient = STREAMS["a"].find("registration", mark["a"], aor=aor2, event="mode_anomaly")
    # The phone's return to its primary is what active-backup prescribes: no anomaly at a.
    if an_a["anomalies"] != 0 or transient:
        fail(f"a counted the phone's return as an anomaly: {an_a}, events {transient}")
    log(f"ok: 4002 back at a: b released its backup binding (releases {an_b['releases']}, "
        f"'backup_released' on b's stream); a: 4002 at a only, not flagged "
        f"[a counted {an_a['anomalies']} anomalies, {len(transient)} 'mode_anomaly' events while b released]")
    if PROCS["b"].poll() is not None:
        fail(f"b exited with {PROCS['b'].returncode}")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # cleanup runs (finally)
    DUET = os.path.abspath(sys.argv[1])
    try:
        main()
    except Exception as e:  # noqa: BLE001 - any surprise is a failure with the logs shown
        print(f"FAIL: {e if isinstance(e, Failure) else repr(e)}", flush=True)
        H.log_tails(TMP, ("a", "b"))
        stop_all()
        sys.exit(1)
    shutil.rmtree(TMP, ignore_errors=True)  # kept (configs, logs) only when the test fails
    log(f"PASS ({time.monotonic() - T0:.1f} s)")
