#!/usr/bin/env python3
"""Business continuity end to end: two duet sites on 127.0.0.1 (a) and 127.0.0.2 (b), agent phones
registered by SIPp (real REGISTERs to duet's UDP port), agents driven through the HTTP API by a
small desktop client that keeps GET /api/v1/events open at both sites.

  1. dual phones (DN registered at both sites): agents log in at a, some go Ready; b shows them
     logged in at site a; a login at b for an agent logged in at a is 409, a DN outside the
     agent's Place is 409.
  2. a SIGKILLed: b declares it down and relogs all 5,000 dual agents within 2 s of the 'peer down'
     event on b's stream, one 'relogged' event each; none lost, none doubled, Ready kept.
  3. active-backup phones (registered at a only) are not relogged until they REGISTER at b; then
     they are, and they stay at b after a returns (manual failback).
  4. a restarted with the same config: both whole, a shows every agent at site b. All along, a
     sampler compares both APIs (a, b, a again) whenever both report the link up and whole: no
     agent is logged in at two different sites.
  5. drain of b: every agent handed to a (Ready kept), b drained, a login at b refused while
     drained, resume makes b active again.

Usage: e2e_business_continuity.py <duet binary> <sipp scenario dir>. Loopback only; every wait
is bounded; every process started here is stopped by its PID."""
import http.client as hc
import os
import shutil
import signal
import socket
import sys
import tempfile
import threading
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
import duet_harness as H  # noqa: E402

IP = {"a": "127.0.0.1", "b": "127.0.0.2"}
N_DUAL = 5000
N_AB = 200
DUAL = [str(70000 + i) for i in range(N_DUAL)]  # DN == AOR user part
AB = [str(80000 + i) for i in range(N_AB)]
ALL = DUAL + AB
DUAL_SET = set(DUAL)
CODE = {dn: "ag" + dn for dn in ALL}  # Agent Login code; its Place is p<dn>, its User u<dn>
READY = {CODE[dn] for i, dn in enumerate(ALL) if i % 2 == 0}  # these go Ready after login
RELOG_BUDGET_S = 2.0

TMP = tempfile.mkdtemp(prefix="duet-bc-e2e-")
PROCS = {}
T0 = time.monotonic()

SIP_PORT = H.free_port("127.0.0.1", socket.SOCK_DGRAM)
REPL = {s: H.free_port(IP[s]) for s in IP}
API = {s: H.free_port(IP[s]) for s in IP}
PHONE = {s: H.free_port(IP[s], socket.SOCK_DGRAM) for s in IP}  # SIPp's socket: the phones' contact


def log(msg):
    print(f"[{time.monotonic() - T0:6.1f}s] {msg}", flush=True)


class Failure(Exception):
    pass


def fail(msg):
    raise Failure(msg)


def wait(pred, seconds, what, every=0.05):
    if not H.poll(pred, seconds, every, (OSError, hc.HTTPException, ValueError, KeyError, TypeError))[0]:
        fail("timed out after %.1f s waiting for: %s" % (seconds, what))


# ------------------------------------------------------------------ processes and configs

def agents_toml():
    out = []
    for dn in ALL:
        mode = "dual" if dn in DUAL_SET else "active-backup"
        out.append(f'[[dns]]\nnumber = "{dn}"\ntype = "extension"\nmode = "{mode}"\n')
    for dn in ALL:
        out.append(f'[[places]]\nname = "p{dn}"\ndns = ["{dn}"]\n')
    for dn in ALL:
        out.append(f'[[users]]\nid = "u{dn}"\nname = "Agent {dn}"\n')
    for dn in ALL:
        out.append(f'[[agent_logins]]\ncode = "{CODE[dn]}"\nuser = "u{dn}"\nplace = "p{dn}"\ndn = "{dn}"\n')
    return "".join(out)


def write_config(site):
    peer = "b" if site == "a" else "a"
    cfg = H.two_site_config(site, IP[site], SIP_PORT, (peer, IP[peer]), f"{IP[peer]}:{REPL[peer]}",
                            f"{IP[site]}:{REPL[site]}", f"{IP[site]}:{API[site]}",
                            tail='[continuity]\nrelog_state = "keep"\nfailback = "manual"\n')
    if site == "a":  # the agent objects are loaded at a only; replication brings them to b
        cfg += agents_toml()
    return H.write_file(os.path.join(TMP, site + ".toml"), cfg)


def start(site):
    return H.start_duet(PROCS, site, DUET, write_config(site), os.path.join(TMP, site + ".log"),
                        lambda: req(site, "GET", "/healthz")[0] == 200, 30, wait)


def stop_all():
    H.stop_all(PROCS)


CSEQ = [1]


def sipp(site, users, expires, rate=2500):
    """REGISTERs for `users` from SIPp's socket at `site` to duet at that site; bounded."""
    CSEQ[0] += 1
    t = time.monotonic()
    rc = H.sipp_csv(os.path.join(SCEN, "register.xml"), os.path.join(TMP, f"users-{site}-{CSEQ[0]}.csv"),
                    [f"{u};{expires};{CSEQ[0]}" for u in users], IP[site], PHONE[site], f"{IP[site]}:{SIP_PORT}",
                    rate, 40, TMP, rate_period=1000, run_timeout=50)
    if rc != 0:
        fail(f"sipp at {site} exited {rc} ({len(users)} REGISTERs)")
    return time.monotonic() - t


# ------------------------------------------------------------------ the desktop client

CLIENT = H.ApiClient({s: (IP[s], API[s]) for s in IP}, timeout=5)


def req(site, method, path, body=None):
    """One request over a keep-alive connection of this thread (thousands of logins: no
    connect per request). Returns (status, json)."""
    return CLIENT.req(site, method, path, body)


def agents_of(site):
    code, body = req(site, "GET", "/api/v1/agents")
    if code != 200:
        fail(f"GET /api/v1/agents at {site}: {code} {body}")
    return body["agents"]


def peer(site):
    return req(site, "GET", "/api/v1/peer")[1]


def site_info(site):
    return req(site, "GET", "/api/v1/site")[1]


class EventStream(H.EventStream):
    """GET /api/v1/events over a raw socket. The reader thread only stamps and stores what it reads
    (it must keep up with bursts of thousands of events: the server cuts a client whose backlog
    passes 4 MiB); `events` cuts frames and parses them into (receipt time, id, type, data)."""

    def __init__(self, site):
        super().__init__(IP[site], API[site])
        self.site = site

    def check(self, still_open=True):
        """No frame lost (ids consecutive: every type is streamed) and, if asked, still open (a
        client that reads is never cut)."""
        ids = [e[1] for e in self.events]
        if ids and ids != list(range(ids[0], ids[0] + len(ids))):
            gaps = [(x, y) for x, y in zip(ids, ids[1:]) if y != x + 1]
            fail(f"event stream at {self.site}: ids not consecutive, e.g. {gaps[:5]}")
        if still_open and self.closed.is_set():
            fail(f"event stream at {self.site} was closed by the server after {len(self.raw)} events")


class Desktop:
    """The agents' desktop: the API of both sites and their event streams, kept open."""

    def __init__(self):
        self.streams = {}

    def open(self, site):
        st = EventStream(site)
        st.start()
        if not st.connected.wait(5):
            fail(f"event stream at {site} did not connect")
        self.streams[site] = st

    def events(self, site, since=0, etype=None):
        return [e for e in self.streams[site].events[since:] if etype is None or e[2] == etype]

    def mark(self, site):
        return len(self.streams[site].events)  # parses what has arrived

    def close(self):
        for st in self.streams.values():
            st.stop()


# ------------------------------------------------------------------ the two-API sampler

class Sampler(threading.Thread):
    """Every ~0.4 s, while both sites report the link up and whole (before and after): agents at a,
    at b, at a again. An agent shown logged in at site X by b and at site Y != X by a in both of
    a's samples is logged in at two sites at once (a move between sites goes through a logout,
    so a real move never shows that way)."""

    def __init__(self):
        super().__init__(daemon=True)
        self.checked, self.violations, self.stopping = 0, [], False

    @staticmethod
    def whole():
        pa, pb = peer("a"), peer("b")
        return pa["state"] == "up" and pa["whole"] and pb["state"] == "up" and pb["whole"]

    def run(self):
        while not self.stopping:
            time.sleep(0.4)
            try:
                if not self.whole():
                    continue
                a1 = {x["login"]: x.get("site") for x in agents_of("a") if x["logged_in"]}
                b = {x["login"]: x.get("site") for x in agents_of("b") if x["logged_in"]}
                a2 = {x["login"]: x.get("site") for x in agents_of("a") if x["logged_in"]}
                if not self.whole():
                    continue
            except (OSError, hc.HTTPException, ValueError, KeyError, TypeError, Failure):
                continue
            self.checked += 1
            for code, where in b.items():
                if a1.get(code) not in (None, where) and a2.get(code) not in (None, where):
                    self.violations.append((code, where, a1[code], a2[code]))

    def stop(self):
        self.stopping = True
        if self.is_alive():
            self.join(timeout=10)


# ------------------------------------------------------------------ helpers on agent lists

def by_login(agents):
    seen = {}
    for x in agents:
        seen.setdefault(x["login"], []).append(x)
    return seen


def check_all_at(site_view, codes, where, what):
    """Every code listed once by site_view's API, logged in at `where`, Ready as it was set."""
    seen = by_login(agents_of(site_view))
    bad = []
    for c in codes:
        rows = seen.get(c, [])
        if len(rows) != 1:
            bad.append(f"{c} listed {len(rows)} times")
        elif not rows[0]["logged_in"] or rows[0].get("site") != where:
            bad.append(f"{c} {rows[0].get('state')} at {rows[0].get('site')}")
        elif rows[0]["ready"] != (c in READY):
            bad.append(f"{c} ready={rows[0]['ready']}, expected {c in READY}")
    if bad:
        fail(f"{what}: {len(bad)} agents wrong at {site_view}'s API, e.g. {bad[:5]}")


def all_at(site_view, codes, where):
    seen = by_login(agents_of(site_view))
    return all(len(seen.get(c, [])) == 1 and seen[c][0]["logged_in"] and seen[c][0].get("site") == where
               for c in codes)


def post_all(site, reqs, threads=2):
    """POST many (path, body) concurrently over keep-alive connections; every answer must be 200."""
    errors = CLIENT.post_all(site, reqs, threads, join_timeout=60)
    if errors:
        fail(f"{len(errors)} of {len(reqs)} POSTs at {site} failed, e.g. {errors[:3]}")


# ------------------------------------------------------------------ the scenarios

def main():
    desk = Desktop()
    sampler = Sampler()
    try:
        run(desk, sampler)
    finally:
        sampler.stop()
        desk.close()
        stop_all()
    if sampler.violations:
        fail(f"agents logged in at two sites at once: {sampler.violations[:5]}")
    log(f"ok: {sampler.checked} two-API samples while whole, no agent at two sites at once")
    if sampler.checked < 3:
        fail(f"only {sampler.checked} two-API samples were taken while both were whole")


def run(desk, sampler):
    start("a")
    start("b")
    wait(lambda: peer("a")["state"] == "up" and peer("b")["state"] == "up", 15, "link up")
    wait(lambda: len(req("b", "GET", "/api/v1/config/agent-logins")[1]["agent-logins"]) == len(ALL), 20,
         "the agent logins loaded at a replicated to b", every=0.2)
    desk.open("a")
    desk.open("b")
    sampler.start()
    log(f"ok: link up, {len(ALL)} agent logins (DNs, Places, Users) replicated from a to b")

    # ---- 1. dual phones, logins at a
    ta = sipp("a", ALL, 3600)
    tb = sipp("b", DUAL, 3600)
    log(f"ok: SIPp registered {len(ALL)} DNs at a ({ta:.1f} s) and the {len(DUAL)} dual ones at b ({tb:.1f} s)")

    code, body = req("a", "POST", f"/api/v1/agents/{CODE[DUAL[1]]}/login", {"dn": DUAL[2]})
    if code != 409 or "Place" not in (body or {}).get("error", ""):
        fail(f"login with a DN outside the agent's Place: {code} {body}")
    t = time.monotonic()
    post_all("a", [(f"/api/v1/agents/{CODE[dn]}/login", {}) for dn in ALL])
    post_all("a", [(f"/api/v1/agents/{c}/ready", None) for c in sorted(READY)])
    log(f"ok: {len(ALL)} logins and {len(READY)} Ready at a through the API ({time.monotonic() - t:.1f} s)")
    wait(lambda: all_at("b", CODE.values(), "a"), 15, "b shows every agent logged in at site a", every=0.3)
    check_all_at("b", CODE.values(), "a", "b's view of a's agents")
    code, body = req("b", "POST", f"/api/v1/agents/{CODE[DUAL[0]]}/login", {})
    if code != 409 or "site 'a'" not in (body or {}).get("error", ""):
        fail(f"login at b of an agent logged in at a: {code} {body}")
    code, body = req("b", "POST", f"/api/v1/agents/{CODE[DUAL[0]]}/ready", None)
    if code != 409:
        fail(f"ready at b of an agent logged in at a: {code} {body}")

    def told_b():  # the stream may trail the API a little: wait for it
        return {e[3]["login"] for e in desk.events("b", 0, "agent")
                if e[3].get("event") == "replicated" and e[3].get("site") == "a" and e[3].get("logged_in")}

    wait(lambda: told_b() == set(CODE.values()), 10, "b's stream tells of every login at a", every=0.2)
    for site in ("a", "b"):
        desk.streams[site].check()
    log("ok: b shows every agent logged in at site a with its Ready state, its stream told of each; "
        "login at b is 409, a DN outside the Place is 409")

    # ---- 2. a dies: dual agents relogged at b
    mark_b = desk.mark("b")
    PROCS["a"].send_signal(signal.SIGKILL)
    PROCS["a"].wait(timeout=5)
    t_kill = time.monotonic()
    desk.streams["a"].closed.wait(3)

    def down_event():
        for e in desk.events("b", mark_b, "peer"):
            if e[3].get("state") == "down":
                return e
        return None

    wait(lambda: down_event() is not None, 5, "'peer down' on b's stream")
    down = down_event()
    t_down = down[0]
    if down[3].get("agents_to_relog") != len(ALL):
        fail(f"peer down event: {down[3]}, expected agents_to_relog {len(ALL)}")
    dual_codes = {CODE[dn] for dn in DUAL}

    def relogged(codes):
        return [e for e in desk.events("b", mark_b, "agent")
                if e[3].get("event") == "relogged" and e[3].get("login") in codes]

    wait(lambda: len(relogged(dual_codes)) >= len(DUAL), 10, "relogged events for every dual agent")
    evs = relogged(dual_codes)
    last = max(e[0] for e in evs) - t_down
    per = {}
    for e in evs:
        per[e[3]["login"]] = per.get(e[3]["login"], 0) + 1
    if len(per) != len(DUAL) or any(n != 1 for n in per.values()):
        fail(f"relogged events: {len(per)} agents, doubled: {[c for c, n in per.items() if n != 1][:5]}")
    log(f"b declared a down {t_down - t_kill:.2f} s after the SIGKILL; last of {len(DUAL)} dual agents "
        f"relogged {last:.3f} s after the 'peer down' event")
    if last > RELOG_BUDGET_S:
        fail(f"relogging {len(DUAL)} dual agents took {last:.3f} s (budget {RELOG_BUDGET_S} s)")
    bad = [e[3]["login"] for e in evs if e[3].get("site") != "b" or e[3].get("ready") != (e[3]["login"] in READY)]
    if bad:
        fail(f"relogged events with the wrong site or Ready state: {bad[:5]}")
    check_all_at("b", dual_codes, "b", "dual agents after a's death")
    log(f"ok: all {len(DUAL)} dual agents relogged at b within {RELOG_BUDGET_S} s, once each, Ready kept")

    # ---- 3. active-backup phones: relogged only once registered at b
    ab_codes = {CODE[dn] for dn in AB}
    time.sleep(0.5)
    if relogged(ab_codes):
        fail("active-backup agents were relogged before their phones registered at b")
    check_all_at("b", ab_codes, "a", "active-backup agents before their phones moved")
    if site_info("b")["pending_relogs"] != len(AB):
        fail(f"b pending relogs: {site_info('b')}")
    mark_ab = desk.mark("b")
    sipp("b", AB, 3600, rate=1000)
    wait(lambda: len(relogged(ab_codes)) >= len(AB), 10, "active-backup agents relogged after REGISTER at b")
    if len({e[3]["login"] for e in relogged(ab_codes)}) != len(AB) or len(relogged(ab_codes)) != len(AB):
        fail("active-backup agents relogged more than once")
    if any(e[3].get("event") == "relogged" and e[3].get("login") in dual_codes
           for e in desk.events("b", mark_ab, "agent")):
        fail("a dual agent was relogged twice")
    check_all_at("b", CODE.values(), "b", "every agent after the phones moved")
    if site_info("b")["pending_relogs"] != 0:
        fail(f"b still has pending relogs: {site_info('b')}")
    log(f"ok: {len(AB)} active-backup agents waited for their phones, relogged once they registered at b")

    # ---- 4. a returns: syncs, agents stay at b
    t = time.monotonic()
    start("a")
    wait(lambda: peer("a")["whole"] and peer("b")["whole"] and peer("a")["state"] == "up"
         and peer("b")["state"] == "up", 30, "both whole after a's restart", every=0.1)
    log(f"ok: a restarted and both sites whole in {time.monotonic() - t:.1f} s")
    desk.streams["a"].check(still_open=False)
    desk.streams["a"].stop()
    desk.open("a")
    wait(lambda: all_at("a", CODE.values(), "b"), 10, "a shows every agent at site b", every=0.2)
    check_all_at("a", CODE.values(), "b", "a's view after its restart")
    time.sleep(1.0)
    check_all_at("b", CODE.values(), "b", "b after a returned (manual failback)")
    check_all_at("a", CODE.values(), "b", "a after a returned (manual failback)")
    log("ok: a shows every agent logged in at site b; they stay at b (manual failback)")

    # ---- 5. drain b: handoff to a
    mark_a, mark_b = desk.mark("a"), desk.mark("b")
    t = time.monotonic()
    code, body = req("b", "POST", "/api/v1/site/drain", None)
    if code != 200 or body.get("mode") not in ("draining", "drained"):
        fail(f"drain at b: {code} {body}")
    wait(lambda: site_info("b")["mode"] == "drained", 10, "b drained")
    wait(lambda: all_at("a", CODE.values(), "a"), 15, "every agent handed to a", every=0.2)
    log(f"drain of b: every agent logged in at a {time.monotonic() - t:.2f} s after POST drain")
    check_all_at("a", CODE.values(), "a", "a after b's drain")
    wait(lambda: all_at("b", CODE.values(), "a"), 10, "b sees every agent at a", every=0.2)

    def handoffs():
        return {e[3]["login"] for e in desk.events("a", mark_a, "agent") if e[3].get("event") == "handoff"}

    wait(lambda: handoffs() == set(CODE.values()), 10, "a's stream tells of every handoff", every=0.2)
    wait(lambda: [e[3].get("mode") for e in desk.events("b", mark_b, "site")][-2:] == ["draining", "drained"], 5,
         "b's stream tells of draining, then drained")
    site_evs = desk.events("b", mark_b, "site")
    log(f"b's drain: draining -> drained in {site_evs[-1][3]['since_ms'] - site_evs[0][3]['since_ms']} ms "
        "(site events' since_ms)")
    c0 = CODE[DUAL[0]]
    code, body = req("a", "POST", f"/api/v1/agents/{c0}/logout", {"reason": "end-of-shift"})
    if code != 200:
        fail(f"logout at a: {code} {body}")
    wait(lambda: not req("b", "GET", f"/api/v1/agents/{c0}")[1]["logged_in"], 5, "logout seen at b")
    code, body = req("b", "POST", f"/api/v1/agents/{c0}/login", {})
    if code != 409 or "drained" not in (body or {}).get("error", ""):
        fail(f"login at drained b: {code} {body}")
    code, body = req("b", "POST", "/api/v1/site/resume", None)
    if code != 200 or body.get("mode") != "active":
        fail(f"resume at b: {code} {body}")
    code, body = req("b", "POST", f"/api/v1/agents/{c0}/login", {})
    if code != 200 or body.get("site") != "b":
        fail(f"login at b after resume: {code} {body}")
    log(f"ok: drain of b handed all {len(ALL)} agents to a (Ready kept), b drained, login there 409; "
        "resume: active, login accepted")
    time.sleep(1.0)  # a last sample or two
    for site in ("a", "b"):
        desk.streams[site].check()
    log("ok: both event streams open, no frame lost (consecutive ids)")


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # cleanup runs (finally)
    DUET, SCEN = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
    try:
        main()
    except Exception as e:  # noqa: BLE001 - any surprise is a failure with the logs shown
        print(f"FAIL: {e if isinstance(e, Failure) else repr(e)}", flush=True)
        H.log_tails(TMP, ("a", "b"))
        stop_all()
        sys.exit(1)
    shutil.rmtree(TMP, ignore_errors=True)  # kept (configs, logs) only when the test fails
    log(f"PASS ({time.monotonic() - T0:.1f} s)")
