#!/usr/bin/env python3
"""How fast the surviving site relogs the agents of a dead one, and how late the desktops hear it.

    bench/continuity/relog_bench.py <build-dir> [--short] [--strict] [--rounds K] [--agents N]
                                    [--ab-rate R]

Each round starts two fresh duet processes on loopback, a (127.0.0.1) and b (127.0.0.2), with
N dual agents (phone registered at both sites) and N active-backup agents (phone registered at a
only), loaded at a and replicated to b. SIPp registers the phones (real REGISTERs over UDP), the
agents log in at a through the HTTP API, and a desktop client keeps GET /api/v1/events open at b.
Then a is SIGKILLed and the round measures, on b's event stream:

  dual relog   from b's 'peer down' event to the last of the N dual agents' 'relogged' events
               (their phones are registered at b already: relogged at once; target <= 1 s)
  a-b relog    from the start of SIPp registering the N active-backup phones at b at R/s (1,000)
               to the last of their 'relogged' events; the pacing alone takes (N-1)/R
  SSE delay    receipt time minus the event's since_ms (wall clock, ms), p50 / p99, for the dual
               burst and for the active-backup trickle

Checked every round: each agent relogged exactly once, and b's GET /api/v1/agents lists each
once, logged in at site b. Medians over the rounds. --short (CI): N = 2,000, one round.
Targets are reported, not enforced: --strict makes a miss exit with status 3. Loopback only; every
wait is bounded; every process started here is stopped by its PID. Python 3 standard library + sipp.
"""
import argparse
import http.client
import json
import os
import signal
import socket
import statistics
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.dont_write_bytecode = True
sys.path.insert(0, os.path.join(HERE, "..", "..", "tests", "support"))
import duet_harness as H  # noqa: E402

SCENARIO = os.path.join(HERE, "..", "..", "tests", "continuity", "sipp", "register.xml")
IP = {"a": "127.0.0.1", "b": "127.0.0.2"}
DUAL_TARGET_S = 1.0


class BenchError(Exception):
    pass


def wait(pred, seconds, what, every=0.05):
    if not H.poll(pred, seconds, every, (OSError, http.client.HTTPException, ValueError, KeyError, TypeError))[0]:
        raise BenchError(f"timed out after {seconds:.0f} s waiting for: {what}")


def pct(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(p / 100 * (len(xs) - 1))))]


class Events(H.SseReader):
    """GET /api/v1/events on a raw socket; the reader thread only stamps and stores what it reads.
    What has arrived is cut and parsed on demand (down_at, relogged, count): keeps the 'peer down'
    receipt and, per agent, the receipt (monotonic and wall ms) of its 'relogged' events;
    everything else is only counted."""

    def __init__(self, ip, port):
        super().__init__(ip, port, "/api/v1/events?types=agent,peer", accept=False)
        self._down_at = None
        self._relogged = {}  # login -> [(monotonic receipt, wall ms receipt, since_ms)]
        self.frames = 0
        self._cutter, self._fed = H.FrameCutter(), 0

    def _pump(self):
        n = len(self.chunks)
        try:
            frames = self._cutter.feed(self.chunks[self._fed:n])
        except H.SseHeadError as e:
            raise BenchError(f"event stream at b answered {e}") from e
        self._fed = n
        for mono, wall_ms, frame in frames:
            self._frame(frame, mono, wall_ms)

    def _frame(self, frame, mono, wall_ms):
        ev = H.parse_frame(frame)
        etype, data = ev.get("event"), ev.get("data")
        if etype is None:
            return
        self.frames += 1
        if etype == "peer":
            j = json.loads(data)
            if j.get("state") == "down" and self._down_at is None:
                self._down_at = mono
        elif etype == "agent" and '"relogged"' in data:
            j = json.loads(data)
            if j.get("event") == "relogged":
                self._relogged.setdefault(j["login"], []).append((mono, wall_ms, j["since_ms"]))

    @property
    def down_at(self):
        self._pump()
        return self._down_at

    @property
    def relogged(self):
        self._pump()
        return self._relogged

    def count(self, codes):
        if self.closed.is_set():
            raise BenchError(f"the event stream was closed by the server after {self.frames} frames")
        relogged = self.relogged
        return sum(1 for c in codes if c in relogged)


class Round:
    def __init__(self, args, tmp):
        self.args, self.tmp = args, tmp
        self.dual = [str(1_000_000 + i) for i in range(args.agents)]  # DN == AOR user part
        self.ab = [str(2_000_000 + i) for i in range(args.ab_agents)]
        self.dual_set = set(self.dual)
        self.code = {dn: "ag" + dn for dn in self.dual + self.ab}
        self.sip_port = H.free_port("127.0.0.1", socket.SOCK_DGRAM)
        self.repl = {s: H.free_port(IP[s]) for s in IP}
        self.api = {s: H.free_port(IP[s]) for s in IP}
        self.phone = {s: H.free_port(IP[s], socket.SOCK_DGRAM) for s in IP}
        self.procs = {}
        self.client = H.ApiClient({s: (IP[s], self.api[s]) for s in IP}, timeout=10)
        self.req = self.client.req

    # ---- processes
    def config(self, site):
        peer = "b" if site == "a" else "a"
        cfg = H.two_site_config(site, IP[site], self.sip_port, (peer, IP[peer]), f"{IP[peer]}:{self.repl[peer]}",
                                f"{IP[site]}:{self.repl[site]}", f"{IP[site]}:{self.api[site]}", min_expires=None,
                                log_level="warn", tail='[continuity]\nrelog_state = "keep"\nfailback = "manual"\n')
        if site == "a":
            parts = [cfg]
            for dn in self.dual + self.ab:
                mode = "dual" if dn in self.dual_set else "active-backup"
                parts.append(f'[[dns]]\nnumber = "{dn}"\ntype = "extension"\nmode = "{mode}"\n')
            parts += [f'[[places]]\nname = "p{dn}"\ndns = ["{dn}"]\n' for dn in self.code]
            parts += [f'[[users]]\nid = "u{dn}"\nname = "Agent {dn}"\n' for dn in self.code]
            parts += [f'[[agent_logins]]\ncode = "{c}"\nuser = "u{dn}"\nplace = "p{dn}"\ndn = "{dn}"\n'
                      for dn, c in self.code.items()]
            cfg = "".join(parts)
        return H.write_file(os.path.join(self.tmp, site + ".toml"), cfg)

    def start(self, site):
        try:
            p = H.spawn([self.args.duet, "-c", self.config(site)], os.path.join(self.tmp, site + ".log"))
        except OSError as e:  # e.g. the binary is being relinked right now
            raise BenchError(f"cannot start {self.args.duet}: {e}") from e
        self.procs[site] = p
        wait(lambda: p.poll() is None and self.req(site, "GET", "/healthz")[0] == 200, 20, f"{site} up")

    def stop(self):
        for p in self.procs.values():
            H.stop(p)

    def sipp(self, site, users, rate):
        budget = len(users) / rate + 30
        rc = H.sipp_csv(SCENARIO, os.path.join(self.tmp, f"phones-{site}-{len(users)}-{rate}.csv"),
                        [f"{u};3600;2" for u in users], IP[site], self.phone[site], f"{IP[site]}:{self.sip_port}",
                        rate, int(budget), self.tmp, rate_period=1000, run_timeout=budget + 10)
        if rc != 0:
            raise BenchError(f"sipp at {site} exited {rc} ({len(users)} REGISTERs at {rate}/s)")

    def post_all(self, site, paths, threads=2):
        errors = self.client.post_all(site, [(p, {}) for p in paths], threads, join_timeout=120)
        if errors:
            raise BenchError(f"{len(errors)} of {len(paths)} POSTs at {site} failed, e.g. {errors[:3]}")

    def agents_at(self, site):
        code, body = self.req(site, "GET", "/api/v1/agents")
        if code != 200:
            raise BenchError(f"GET /api/v1/agents at {site}: {code}")
        return body["agents"]

    def all_at(self, view, codes, where):
        rows = {}
        for x in self.agents_at(view):
            rows.setdefault(x["login"], []).append(x)
        return [c for c in codes if len(rows.get(c, [])) != 1 or not rows[c][0]["logged_in"]
                or rows[c][0].get("site") != where]

    # ---- the round
    def run(self, say):
        a = self.args
        every = list(self.code.values())
        self.start("a")
        self.start("b")
        wait(lambda: self.req("a", "GET", "/api/v1/peer")[1]["state"] == "up"
             and self.req("b", "GET", "/api/v1/peer")[1]["state"] == "up", 20, "link up")
        wait(lambda: len(self.req("b", "GET", "/api/v1/config/agent-logins")[1]["agent-logins"]) == len(every),
             60, "agent logins replicated to b", every=0.2)
        ev = Events(IP["b"], self.api["b"])
        ev.start()
        if not ev.connected.wait(5):
            raise BenchError("event stream at b did not connect")
        self.events = ev
        t = time.monotonic()
        self.sipp("a", self.dual + self.ab, a.setup_rate)
        self.sipp("b", self.dual, a.setup_rate)
        self.post_all("a", [f"/api/v1/agents/{c}/login" for c in every])
        wait(lambda: not self.all_at("b", every, "a"), 60, "b shows every agent at site a", every=0.3)
        say(f"  setup: {len(self.dual) + len(self.ab)} phones at a, {len(self.dual)} at b, "
            f"{len(every)} logins at a, seen at b: {time.monotonic() - t:.1f} s")

        self.procs["a"].send_signal(signal.SIGKILL)
        self.procs["a"].wait(timeout=5)
        dual_codes = [self.code[dn] for dn in self.dual]
        wait(lambda: ev.down_at is not None, 10, "'peer down' on b's stream", every=0.01)
        wait(lambda: ev.count(dual_codes) == len(dual_codes), 30, "every dual agent relogged", every=0.05)
        time.sleep(0.3)  # room for a doubled event to show
        res = {}
        relogged = ev.relogged
        recs = [relogged[c] for c in dual_codes]
        if any(len(r) != 1 for r in recs):
            raise BenchError("a dual agent was relogged more than once")
        res["dual_s"] = max(r[0][0] for r in recs) - ev.down_at
        res["dual_first_s"] = min(r[0][0] for r in recs) - ev.down_at
        res["dual_spread_ms"] = max(r[0][2] for r in recs) - min(r[0][2] for r in recs)  # since_ms: at b
        res["dual_sse"] = [r[0][1] - r[0][2] for r in recs]

        ab_codes = [self.code[dn] for dn in self.ab]
        if ev.count(ab_codes):
            raise BenchError("active-backup agents relogged before their phones registered at b")
        t_ab = time.monotonic()
        self.sipp("b", self.ab, a.ab_rate)
        wait(lambda: ev.count(ab_codes) == len(ab_codes), 30, "every active-backup agent relogged")
        time.sleep(0.3)
        relogged = ev.relogged
        recs = [relogged[c] for c in ab_codes]
        doubled = sum(len(r) for r in relogged.values()) != len(every)
        if any(len(r) != 1 for r in recs) or doubled:
            raise BenchError("an agent was relogged more than once")
        res["ab_s"] = max(r[0][0] for r in recs) - t_ab
        res["ab_sse"] = [r[0][1] - r[0][2] for r in recs]
        bad = self.all_at("b", every, "b")
        if bad:
            raise BenchError(f"{len(bad)} agents not logged in exactly once at b, e.g. {bad[:5]}")
        ev.stop()
        return res


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("build_dir", nargs="?", default=os.path.join(HERE, "..", "..", "build"))
    ap.add_argument("--short", action="store_true", help="CI version: N = 2,000, one round")
    ap.add_argument("--strict", action="store_true", help="exit 3 when a target is missed")
    ap.add_argument("--rounds", type=int, default=0, help="rounds (default 3; 1 with --short)")
    ap.add_argument("--agents", type=int, default=0, help="N dual and N active-backup agents (default 10,000)")
    ap.add_argument("--ab-agents", type=int, default=None, help="active-backup agents (default N)")
    ap.add_argument("--ab-rate", type=int, default=1000, help="REGISTERs/s of the active-backup phones at b")
    ap.add_argument("--setup-rate", type=int, default=5000, help="REGISTERs/s while setting up")
    args = ap.parse_args()
    args.rounds = args.rounds or (1 if args.short else 3)
    args.agents = args.agents or (2000 if args.short else 10_000)
    args.ab_agents = args.agents if args.ab_agents is None else args.ab_agents
    if args.agents < 1 or args.ab_agents < 1 or args.rounds < 1 or args.ab_rate < 1:
        sys.exit("relog_bench: --agents, --ab-agents, --rounds and --ab-rate must be at least 1")
    args.duet = os.path.abspath(os.path.join(args.build_dir, "bin", "duet"))
    if not os.access(args.duet, os.X_OK):
        sys.exit(f"relog_bench: {args.duet} is not built")

    def say(m):
        print(m, flush=True)

    say(f"relog_bench: N = {args.agents} dual + {args.ab_agents} active-backup agents, {args.rounds} round(s), "
        f"active-backup phones at b at {args.ab_rate}/s")
    def report(i, res, secs):
        say(f"round {i}: dual {res['dual_s'] * 1000:.0f} ms, active-backup {res['ab_s']:.2f} s, SSE p99 "
            f"{pct(res['dual_sse'], 99):.0f} / {pct(res['ab_sse'], 99):.0f} ms (round: {secs:.0f} s)")

    results = H.run_rounds("relog_bench", args.rounds, "duet-relog-bench-", lambda tmp, i: Round(args, tmp), say,
                           BenchError, report)

    n, nab, rate = args.agents, args.ab_agents, args.ab_rate

    def row(name, vals, fmt, target=""):
        cells = " ".join(f"{fmt.format(v):>9}" for v in vals)
        print(f"| {name:<44} | {cells} | {fmt.format(statistics.median(vals)):>9} | {target:<14} |")

    rounds = " ".join(f"{'round ' + str(i + 1):>9}" for i in range(args.rounds))
    print(f"\n| {'N = ' + format(n, ',') + ' dual, ' + format(nab, ',') + ' active-backup':<44} | {rounds} | "
          f"{'median':>9} | {'target':<14} |")
    print("|" + "-" * 46 + "|" + "-" * (10 * args.rounds + 1) + "|" + "-" * 11 + "|" + "-" * 16 + "|")
    dual = [r["dual_s"] * 1000 for r in results]
    row("'peer down' -> last dual agent relogged (ms)", dual, "{:.0f}", f"<= {DUAL_TARGET_S * 1000:.0f} ms")
    row("  'peer down' -> first relogged (ms)", [r["dual_first_s"] * 1000 for r in results], "{:.0f}")
    row("  first -> last relog at b (since_ms, ms)", [r["dual_spread_ms"] for r in results], "{:.0f}")
    row(f"AB phones at b, {rate}/s -> last relogged (s)", [r["ab_s"] for r in results], "{:.2f}",
        f"pacing {(nab - 1) / rate:.2f} s")
    row("SSE delay, dual burst, p50 (ms)", [pct(r["dual_sse"], 50) for r in results], "{:.1f}")
    row("SSE delay, dual burst, p99 (ms)", [pct(r["dual_sse"], 99) for r in results], "{:.1f}")
    row(f"SSE delay, AB at {rate}/s, p50 (ms)", [pct(r["ab_sse"], 50) for r in results], "{:.1f}")
    row(f"SSE delay, AB at {rate}/s, p99 (ms)", [pct(r["ab_sse"], 99) for r in results], "{:.1f}")
    met = statistics.median(dual) <= DUAL_TARGET_S * 1000
    print(f"\ndual relog target (<= {DUAL_TARGET_S:.0f} s): {'met' if met else 'MISSED'}")
    if args.strict and not met:
        sys.exit(3)


if __name__ == "__main__":
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # cleanup runs (finally)
    main()
