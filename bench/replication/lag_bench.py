#!/usr/bin/env python3
"""Replication lag under REGISTER load: from a REGISTER sent to site a until site b knows the binding.

    bench/replication/lag_bench.py <build-dir> [--rate 5000] [--seconds 20] [--probe-rate 50]
                                   [--rounds 3] [--idle-seconds 5] [--short]

Each round starts two fresh duet processes on loopback, a (127.0.0.1) with [peer] b (127.0.0.2),
2 workers each (as cpu_bench.py), waits until the link is whole at both, and opens b's
GET /api/v1/events?types=registration (b publishes a 'registration' event for each binding record
replicated from a, on its control loop as the record arrives, just before a worker applies it).

  idle   a probe thread sends REGISTERs over UDP to a at --probe-rate/s for new AORs
         'lagprobe-<n>' (one user each) for --idle-seconds, nothing else running
  load   SIPp (bench/registrar/register_load.xml) sends --rate REGISTER/s for new AORs to a for
         --seconds; the probe thread does the same as idle from 1 s after SIPp starts until 1 s
         before its nominal end

Lag = monotonic receipt at this script of b's 'registered' event for a probe's AOR minus the
monotonic time just before the probe's sendto (one process, one clock). The probe's 200 from a is
checked (and its delay printed: a's own share). Printed per round and as the median over rounds:
SIPp's achieved rate and failed count, probes sent / answered 200 / seen at b, lag p50/p90/p99/max.
Also checked: every load AOR that SIPp registered reached b as an event. --short (CI): 1 round,
8 s of load, 3 s idle. A failed check exits 1. Loopback only; every wait is bounded; duet and SIPp
are stopped by PID (and die with this script: PR_SET_PDEATHSIG). Python 3 standard library + sipp.
"""
import argparse
import json
import os
import select
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.dont_write_bytecode = True
sys.path.insert(0, os.path.join(HERE, "..", "..", "tests", "support"))
import duet_harness as H  # noqa: E402

SCENARIO = os.path.join(HERE, "..", "registrar", "register_load.xml")
IP = {"a": "127.0.0.1", "b": "127.0.0.2"}
DOMAIN = "bench.test"


class BenchError(Exception):
    pass


def wait(pred, seconds, what, every=0.05):
    if not H.poll(pred, seconds, every, (OSError, ValueError, KeyError))[0]:
        raise BenchError(f"timed out after {seconds:.0f} s waiting for: {what}")


def pct(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(p / 100 * (len(xs) - 1))))] if xs else float("nan")


class Site:
    def __init__(self, duet, tmp, name, sip_port):
        self.name, self.ip, self.duet, self.tmp, self.sip_port = name, IP[name], duet, tmp, sip_port
        self.api_port, self.repl_port = H.free_port(self.ip), H.free_port(self.ip)
        self.proc = None

    def start(self, peer):
        cfg = (f'workers = 2\nlisten = ["udp:{self.ip}:{self.sip_port}"]\nlog_level = "warn"\n'
               f'[site]\nname = "{self.name}"\n[api]\nlisten = "{self.ip}:{self.api_port}"\n'
               f'[peer]\nname = "{peer.name}"\nreplication = "{peer.ip}:{peer.repl_port}"\n'
               f'listen = "{self.ip}:{self.repl_port}"\n')
        path = H.write_file(os.path.join(self.tmp, self.name + ".toml"), cfg)
        try:
            self.proc = H.spawn([self.duet, "-c", path], os.path.join(self.tmp, self.name + ".log"))
        except OSError as e:  # e.g. the binary is being relinked right now
            raise BenchError(f"cannot start {self.duet}: {e}") from e
        wait(lambda: self.proc.poll() is None and H.get_json(self.ip, self.api_port, "/healthz") is not None, 10,
             f"{self.name} up")

    def peer(self):
        return H.get_json(self.ip, self.api_port, "/api/v1/peer")

    def stop(self):
        H.stop(self.proc, graceful=True, timeout=10)


class Events(H.SseReader):
    """GET /api/v1/events?types=registration on a raw socket. The thread only stamps and stores
    what recv returns (it must keep up with thousands of events a second: the server cuts a client
    whose backlog passes 4 MiB); frames() cuts and parses afterwards, each frame stamped with the
    receipt of the read that completed it."""

    def __init__(self, ip, port):
        super().__init__(ip, port, "/api/v1/events?types=registration", poll_s=0.2)

    def frames(self, since=0, match=None):
        """[(receipt, data dict)] of the 'registration' frames in chunks[since:] (since: a chunk
        index at a quiet moment, so no frame straddles it) whose bytes contain `match`, if given."""
        try:
            frames = H.FrameCutter(head_done=since > 0).feed(self.chunks[since:])
        except H.SseHeadError as e:
            raise BenchError(f"event stream at b answered {e}") from e
        out = []
        for now, _, frame in frames:
            if match is not None and match not in frame:
                continue
            ev = H.parse_frame(frame)
            if ev.get("event") == "registration" and ev.get("data"):
                out.append((now, json.loads(ev["data"])))
        return out


class Prober(threading.Thread):
    """REGISTERs for new AORs lagprobe-<n> over UDP to a at `rate`/s until stopped or `seconds`
    passed. Keeps, per probe, the monotonic time just before sendto; answers are stamped and
    stored raw while waiting for the next send (parsed afterwards)."""

    def __init__(self, target, first, rate, seconds):
        super().__init__(daemon=True)
        self.target, self.first, self.rate, self.seconds = target, first, rate, seconds
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind((IP["a"], 0))
        self.sent = {}  # n -> monotonic send time
        self.answers = []  # (monotonic receipt, bytes)
        self.stopping = False

    def message(self, n):
        port = self.sock.getsockname()[1]
        u = f"lagprobe-{n}"
        return (f"REGISTER sip:{DOMAIN} SIP/2.0\r\n"
                f"Via: SIP/2.0/UDP {IP['a']}:{port};branch=z9hG4bK-{u}\r\n"
                f"Max-Forwards: 70\r\n"
                f"From: <sip:{u}@{DOMAIN}>;tag={u}\r\n"
                f"To: <sip:{u}@{DOMAIN}>\r\n"
                f"Call-ID: {u}@lag\r\n"
                f"CSeq: 1 REGISTER\r\n"
                f"Contact: <sip:{u}@{IP['a']}:{port};transport=udp>\r\n"
                f"Expires: 3600\r\nUser-Agent: lag-probe\r\nContent-Length: 0\r\n\r\n").encode()

    def run(self):
        step = 1.0 / self.rate
        t0 = time.monotonic()
        n, nxt, end = self.first, t0, t0 + self.seconds
        while not self.stopping and nxt < end:
            msg = self.message(n)
            while True:  # receive answers until it is time to send
                left = nxt - time.monotonic()
                if left <= 0:
                    break
                r, _, _ = select.select([self.sock], [], [], left)
                if r:
                    self.answers.append((time.monotonic(), self.sock.recv(65535)))
            self.sent[n] = time.monotonic()
            self.sock.sendto(msg, self.target)
            n += 1
            nxt += step
        self.done_at = time.monotonic()

    def drain(self, seconds):
        """After run(): collect answers still on the way, for at most `seconds`."""
        end = time.monotonic() + seconds
        while len(self.answers) < len(self.sent):
            left = end - time.monotonic()
            if left <= 0:
                break
            r, _, _ = select.select([self.sock], [], [], left)
            if r:
                self.answers.append((time.monotonic(), self.sock.recv(65535)))
        self.sock.close()

    def ok(self):
        """n -> monotonic receipt of its 200."""
        out = {}
        for now, d in self.answers:
            if not d.startswith(b"SIP/2.0 200"):
                continue
            i = d.find(b"Call-ID: lagprobe-")
            if i < 0:
                i = d.lower().find(b"call-id: lagprobe-")
            if i < 0:
                continue
            j = d.find(b"@", i)
            out.setdefault(int(d[i + 18:j]), now)
        return out


def probe_stats(prober, seen):
    """seen: n -> monotonic receipt of b's 'registered' event for lagprobe-<n>."""
    ok = prober.ok()
    lags = [(seen[n] - t) * 1000 for n, t in prober.sent.items() if n in seen]
    ans = [(ok[n] - t) * 1000 for n, t in prober.sent.items() if n in ok]
    return {"sent": len(prober.sent), "ok": len(ok), "seen": len(lags),
            "p50": pct(lags, 50), "p90": pct(lags, 90), "p99": pct(lags, 99), "max": max(lags, default=float("nan")),
            "a50": pct(ans, 50), "a99": pct(ans, 99)}


def probe_seen(frames):
    seen = {}
    for now, j in frames:
        aor = j.get("aor", "")
        if aor.startswith("sip:lagprobe-") and j.get("event") == "registered" and j.get("site") == "a":
            seen.setdefault(int(aor[13:aor.index("@")]), now)
    return seen


def sipp_stats(path):
    """Last line of SIPp's -trace_stat file: (created, successful, failed, elapsed seconds)."""
    with open(path) as f:
        lines = [x.rstrip("\n").split(";") for x in f if x.strip()]
    if len(lines) < 2:
        raise BenchError(f"SIPp wrote no statistics to {path}")
    row = dict(zip(lines[0], lines[-1]))
    # times are "date<TAB>time<TAB>epoch"; ElapsedTime(C) has whole seconds only
    elapsed = float(row["CurrentTime"].split("\t")[-1]) - float(row["StartTime"].split("\t")[-1])
    return int(row["TotalCallCreated"]), int(row["SuccessfulCall(C)"]), int(row["FailedCall(C)"]), elapsed


class Round:
    def __init__(self, args, tmp, index):
        self.args, self.tmp, self.index = args, tmp, index
        self.sip_port = H.free_port(IP["a"], socket.SOCK_DGRAM)
        self.a = Site(args.duet, tmp, "a", self.sip_port)
        self.b = Site(args.duet, tmp, "b", H.free_port(IP["b"], socket.SOCK_DGRAM))
        self.sipp = self.events = None
        self.next_probe = 1

    def stop(self):
        H.stop(self.sipp)
        if self.events is not None:
            self.events.stop()
        self.a.stop()
        self.b.stop()

    def probe(self, seconds, until=None):
        p = Prober((IP["a"], self.sip_port), self.next_probe, self.args.probe_rate, seconds)
        p.start()
        if until is not None:  # stop early when SIPp ends
            end = time.monotonic() + seconds + 1
            while p.is_alive() and time.monotonic() < end:
                if until.poll() is not None:
                    p.stopping = True
                p.join(timeout=0.1)
        p.join(timeout=seconds + 5)
        if p.is_alive():
            p.stopping = True
            p.join(timeout=2)
            raise BenchError("the probe thread did not finish")
        p.drain(2)
        self.next_probe += len(p.sent)
        return p

    def wait_probes_seen(self, prober, since, seconds):
        """Until b's stream shows every probe that a answered (bounded)."""
        want = set(prober.ok())
        end = time.monotonic() + seconds
        while True:
            if self.events.closed.is_set():
                raise BenchError(f"b's event stream was closed by the server ({len(self.events.chunks)} reads)")
            seen = probe_seen(self.events.frames(since, b"lagprobe-"))
            if want <= set(seen) or time.monotonic() > end:
                return seen
            time.sleep(0.2)

    def run(self, say):
        a, b, args = self.a, self.b, self.args
        b.start(a)
        a.start(b)
        wait(lambda: a.peer()["whole"] and b.peer()["whole"], 10, "link whole at a and b")
        self.events = ev = Events(b.ip, b.api_port)
        ev.start()
        if not ev.connected.wait(5):
            raise BenchError("b's event stream did not connect")
        res = {}

        # idle: probes only
        since = len(ev.chunks)
        p = self.probe(args.idle_seconds)
        seen = self.wait_probes_seen(p, since, 5)
        res["idle"] = probe_stats(p, seen)
        if not seen:
            raise BenchError("b published no 'registration' event for any probe replicated from a (does this "
                             "build publish every replicated binding? src/daemon/api_bridge.cpp)")

        # load: SIPp at --rate, probes from 1 s after its start until 1 s before its nominal end
        time.sleep(0.3)
        since = len(ev.chunks)
        count = args.rate * args.seconds
        stf = os.path.join(self.tmp, f"sipp-{self.index}.csv")
        budget = args.seconds * 3 + 30
        prefix = f"r{self.index}l"
        self.sipp = subprocess.Popen(
            ["sipp", f"{IP['a']}:{self.sip_port}", "-sf", SCENARIO, "-key", "prefix", prefix, "-key", "seq", "1",
             "-cid_str", f"{prefix}%u@bench", "-m", str(count), "-r", str(args.rate), "-l", str(count),
             "-t", "u1", "-i", IP["a"], "-p", str(H.free_port(IP["a"], socket.SOCK_DGRAM)), "-nostdin",
             "-timeout", f"{budget}s", "-max_non_invite_retrans", "5", "-trace_stat", "-stf", stf, "-fd", "1"],
            cwd=self.tmp, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, preexec_fn=H.die_with_parent)
        t_load = time.monotonic()
        time.sleep(1.0)
        p = self.probe(max(1.0, args.seconds - 2.0), until=self.sipp)
        try:
            rc = self.sipp.wait(timeout=budget + 10)
        except subprocess.TimeoutExpired:
            raise BenchError(f"SIPp still running after {budget + 10} s")
        load_wall = time.monotonic() - t_load
        if rc not in (0, 1):  # 1: some calls failed (counted below)
            raise BenchError(f"SIPp exited {rc}")
        try:
            created, ok, failed, elapsed = sipp_stats(stf)
        except (OSError, KeyError, ValueError) as e:
            raise BenchError(f"cannot read SIPp's statistics {stf}: {e!r}")
        wait(lambda: a.peer()["queue_depth"] == 0 and b.peer()["lag_versions"] == 0, 30, "b caught up", every=0.1)
        seen = self.wait_probes_seen(p, since, 10)
        res["load"] = probe_stats(p, seen)
        res["load"].update(created=created, sipp_ok=ok, sipp_failed=failed, rate=ok / elapsed if elapsed else 0,
                           sipp_s=elapsed, wall_s=load_wall)
        # every load AOR SIPp registered reached b as an event
        load_aors = {j["aor"] for _, j in ev.frames(since)
                     if j.get("event") == "registered" and j.get("aor", "").startswith(f"sip:{prefix}")}
        res["load"]["load_seen"] = len(load_aors)
        if len(load_aors) < ok:
            raise BenchError(f"b saw 'registered' events for {len(load_aors)} load AORs, SIPp registered {ok}")
        if ev.closed.is_set():
            raise BenchError("b's event stream was closed by the server")
        res["queue_full"] = a.peer().get("queue_full", 0)
        return res


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("build_dir", nargs="?", default=os.path.join(HERE, "..", "..", "build"))
    ap.add_argument("--rate", type=int, default=5000, help="SIPp REGISTERs/s to a (new AORs)")
    ap.add_argument("--seconds", type=float, default=None, help="seconds of load (default 20; 8 with --short)")
    ap.add_argument("--probe-rate", type=float, default=50, help="probe REGISTERs/s")
    ap.add_argument("--rounds", type=int, default=None, help="rounds (default 3; 1 with --short)")
    ap.add_argument("--idle-seconds", type=float, default=None, help="seconds of probes alone (default 5; 3 with --short)")
    ap.add_argument("--short", action="store_true", help="CI version: 1 round, 8 s of load")
    args = ap.parse_args()
    args.seconds = args.seconds or (8.0 if args.short else 20.0)
    args.rounds = args.rounds or (1 if args.short else 3)
    args.idle_seconds = args.idle_seconds or (3.0 if args.short else 5.0)
    if args.rate < 1 or args.seconds < 3 or args.probe_rate <= 0 or args.rounds < 1 or args.idle_seconds <= 0:
        sys.exit("lag_bench: --rate, --probe-rate, --rounds must be positive and --seconds at least 3")
    args.seconds = int(args.seconds)
    args.duet = os.path.abspath(os.path.join(args.build_dir, "bin", "duet"))
    if not os.access(args.duet, os.X_OK):
        sys.exit(f"lag_bench: {args.duet} is not built")
    if shutil.which("sipp") is None:
        sys.exit("lag_bench: sipp (sip-tester) is not installed")
    sys.setswitchinterval(0.0005)  # the stamping threads wait less for the GIL

    def say(m):
        print(m, flush=True)

    t_all = time.monotonic()
    say(f"lag_bench: {args.rate} REGISTER/s to a for {args.seconds} s, probes {args.probe_rate:g}/s, "
        f"idle {args.idle_seconds:g} s, {args.rounds} round(s); load average {os.getloadavg()[0]:.2f}")
    def report(i, res, secs):
        L, I = res["load"], res["idle"]
        say(f"round {i}: {L['rate']:.0f}/s achieved, SIPp failed {L['sipp_failed']}, lag p50/p99 "
            f"{L['p50']:.1f}/{L['p99']:.1f} ms under load, {I['p50']:.1f}/{I['p99']:.1f} ms idle "
            f"(round: {secs:.1f} s)")

    results = H.run_rounds("lag_bench", args.rounds, "duet-repl-lag-", lambda tmp, i: Round(args, tmp, i), say,
                           BenchError, report)

    def row(name, vals, fmt):
        cells = " ".join(f"{fmt.format(v):>9}" for v in vals)
        print(f"| {name:<40} | {cells} | {fmt.format(statistics.median(vals)):>9} |")

    rounds = " ".join(f"{'round ' + str(i + 1):>9}" for i in range(args.rounds))
    print(f"\n| {'':<40} | {rounds} | {'median':>9} |")
    print("|" + "-" * 42 + "|" + "-" * (10 * args.rounds + 1) + "|" + "-" * 11 + "|")
    Ls, Is = [r["load"] for r in results], [r["idle"] for r in results]
    row(f"load: REGISTER/s achieved (asked {args.rate})", [x["rate"] for x in Ls], "{:.0f}")
    row("load: SIPp REGISTERs answered 200", [x["sipp_ok"] for x in Ls], "{:d}")
    row("load: SIPp failed", [x["sipp_failed"] for x in Ls], "{:d}")
    row("load: SIPp run (s)", [x["sipp_s"] for x in Ls], "{:.1f}")
    row("load: replication queue_full at a", [r["queue_full"] for r in results], "{:d}")
    for name, xs in (("load", Ls), ("idle", Is)):
        row(f"{name}: probes sent", [x["sent"] for x in xs], "{:d}")
        row(f"{name}: probes answered 200 by a", [x["ok"] for x in xs], "{:d}")
        row(f"{name}: probes seen at b", [x["seen"] for x in xs], "{:d}")
        row(f"{name}: probe 200 from a p50 (ms)", [x["a50"] for x in xs], "{:.2f}")
        row(f"{name}: probe 200 from a p99 (ms)", [x["a99"] for x in xs], "{:.2f}")
        for k in ("p50", "p90", "p99", "max"):
            row(f"{name}: lag a -> b {k} (ms)", [x[k] for x in xs], "{:.2f}")
    say(f"\nlag_bench: done in {time.monotonic() - t_all:.1f} s")
    bad = [r for r in results if r["load"]["seen"] < r["load"]["ok"] or r["idle"]["seen"] < r["idle"]["ok"]]
    if bad:
        say("lag_bench: a probe answered 200 by a never reached b")
        sys.exit(1)


if __name__ == "__main__":
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # cleanup runs
    main()
