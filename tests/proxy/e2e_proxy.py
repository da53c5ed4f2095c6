#!/usr/bin/env python3
"""duet's stateful proxy (RFC 3261 section 16) end to end: one server on loopback (duet, or Kamailio
5.6 with bench/proxy/kamailio-proxy.cfg.in as the reference), SIPp callees that REGISTER and then
answer (sipp-scenarios/uas_register_*.xml) and SIPp callers (call_uac.xml, uac_*.xml).

Cases (each with its own users, fresh SIPp processes, bounded by -m, -timeout and process timeouts):
  basic_udp        call to a registered callee over UDP: 180, 200, ACK and BYE through the proxy
                   along the Record-Route set; the callee sees INVITE, ACK, BYE once each
  unregistered_404 call to a user nobody registered: 404 from the proxy, ACKed
  cancel_487       the caller CANCELs while the callee rings: 200 for the CANCEL, 487, ACK; the
                   callee sees INVITE, CANCEL, ACK
  fork             two contacts of one AOR (two SIPp callees, one port each); one answers, the other
                   rings: the caller gets the 200; the ringing one is CANCELled (INVITE, CANCEL,
                   ACK of its 487). duet only: both bindings listed by GET /api/v1/registrations
  busy_486         the callee answers 486: relayed and ACKed
  tcp_to_udp       caller over TCP, callee registered over UDP (two Record-Routes on Kamailio)
  tcp_both         caller and callee over TCP (the INVITE must reuse the callee's connection)
  retrans_udp      the caller retransmits its INVITE at once and again after the 200
                   (uac_retrans.xml): the call completes and the callee sees one INVITE. With duet,
                   a counter of absorbed retransmissions is checked if GET /api/v1/stats has one
                   (otherwise that check is skipped, and said so)
  relay_302, relay_603, relay_480
                   the callee answers 302 (with a Contact), 603 or 480 (uas_register_redirect,
                   _decline, _unavailable.xml): relayed to the caller (uac_302.xml checks the
                   Contact), ACKed

  e2e_proxy.py --duet BUILD/bin/duet [--scenarios DIR] [--case NAME ...] [--keep]
  e2e_proxy.py --kamailio [--scenarios DIR] [--case NAME ...] [--keep]

Exit status 0 when every case passed, 1 otherwise (each failure printed with SIPp's error log and
the server's log tail). Work files go to a temporary directory, kept on failure or with --keep.
Loopback only; every process started here is stopped by its PID.
"""
import argparse
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.parse

sys.dont_write_bytecode = True
HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "tests", "support"))
sys.path.insert(0, os.path.join(ROOT, "bench", "registrar"))
import duet_harness as H  # noqa: E402
import servers  # noqa: E402  (free_port for UDP+TCP, and the Kamailio runner)

IP = "127.0.0.1"
KAMAILIO_CFG = os.path.join(ROOT, "bench", "proxy", "kamailio-proxy.cfg.in")
T0 = time.monotonic()


class Failure(Exception):
    pass


def log(msg):
    print(f"[{time.monotonic() - T0:6.1f}s] {msg}", flush=True)


# ------------------------------------------------------------------ servers

class DuetServer:
    """duet with two workers, UDP and TCP on one port, the API on another; the registrar takes
    any domain (the callees register <user>@127.0.0.1)."""
    name = "duet"

    def __init__(self, binary, work):
        self.binary, self.work = binary, work
        self.port = servers.free_port(udp_and_tcp=True)
        self.api = H.free_port(IP)
        self.log_path = os.path.join(work, "duet.log")
        self.proc = None

    def start(self):
        cfg = (f'site_name = "proxy-e2e"\nworkers = 2\nlog_level = "info"\n'
               f'listen = ["udp:{IP}:{self.port}", "tcp:{IP}:{self.port}"]\n'
               f'[registrar]\ndomains = []\n[api]\nlisten = "{IP}:{self.api}"\n')
        path = H.write_file(os.path.join(self.work, "duet.toml"), cfg)
        self.proc = H.spawn([self.binary, "--config", path], self.log_path, mode="w")
        ok, last = H.poll(lambda: self.proc.poll() is not None or H.get_json(IP, self.api, "/healthz")["status"] == "ok",
                          15, 0.1, (OSError, ValueError, KeyError))
        if not ok or self.proc.poll() is not None:
            self.stop()
            raise Failure(f"duet did not come up (last error {last!r}):\n{self.tail()}")
        return self

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def registrations(self, aor):
        q = urllib.parse.quote(aor, safe="")
        return H.get_json(IP, self.api, f"/api/v1/registrations?aor={q}")["registrations"]

    def absorbed_retransmissions(self):
        """A counter of absorbed request retransmissions if duet publishes one (GET /api/v1/stats,
        any key with 'absorbed' in its name, summed), else None."""
        try:
            stats = H.get_json(IP, self.api, "/api/v1/stats")
        except (OSError, ValueError):
            return None
        found = []

        def walk(o):
            if isinstance(o, dict):
                for k, v in o.items():
                    if "absorbed" in k and isinstance(v, (int, float)):
                        found.append(v)
                    else:
                        walk(v)
            elif isinstance(o, list):
                for v in o:
                    walk(v)
        walk(stats)
        return sum(found) if found else None

    def tail(self, lines=40):
        try:
            with open(self.log_path, errors="replace") as f:
                return "".join(f.readlines()[-lines:])
        except OSError:
            return ""

    def stop(self):
        H.stop(self.proc, graceful=True)


class KamailioServer:
    """Kamailio 5.6 as registrar + stateful proxy (bench/proxy/kamailio-proxy.cfg.in), started by
    bench/registrar/servers.py with -x tlsf -X tlsf -m 1024, UDP and TCP on one port."""
    name = "kamailio"

    def __init__(self, work):
        self.work = work
        self.k = servers.Kamailio(shm_mb=1024, cfg_template=KAMAILIO_CFG)
        self.port = None

    def start(self):
        if not shutil.which("kamailio"):
            raise Failure("kamailio not found (Debian package kamailio)")
        other = servers.foreign_kamailio()
        if other:
            log(f"warning: kamailio processes not started here are running: {other}")
        try:
            self.k.start()
        except RuntimeError as e:
            raise Failure(str(e))
        self.port = self.k.udp_port
        return self

    def alive(self):
        return self.k.proc is not None and self.k.proc.poll() is None

    def registrations(self, aor):
        return None  # no API here; the fork case proves both contacts by their INVITEs

    def absorbed_retransmissions(self):
        return None

    def tail(self, lines=40):
        return "\n".join(self.k.log[-lines:])

    def stop(self):
        self.k.stop(check=False)
        shutil.rmtree(self.k.work, ignore_errors=True)


# ------------------------------------------------------------------ SIPp

MSG_RE = re.compile(r"message received \[\d+\] bytes :\s*\n(\S+) ")


def sipp_base(scen, target, port, transport):
    return ["sipp", target, "-sf", scen, "-i", IP, "-p", str(port), "-t", "t1" if transport == "tcp" else "u1",
            "-nostdin"]


class Uas:
    """A SIPp callee that registers <user>@127.0.0.1 at the server and then answers as its
    scenario says (uas_register_*.xml, its own out-of-call scenario). Stopped by PID."""

    def __init__(self, ctx, scenario, user, transport="udp"):
        self.ctx, self.user, self.transport = ctx, user, transport
        self.port = servers.free_port(udp_and_tcp=True)
        base = os.path.join(ctx.work, f"uas-{user}-{self.port}")
        self.msg_log, self.err_log, self.reg_log = base + "-messages.log", base + "-errors.log", base + "-logs.log"
        scen = os.path.join(ctx.scenarios, scenario)
        argv = sipp_base(scen, f"{IP}:{ctx.server.port}", self.port, transport)
        argv += ["-oocsf", scen, "-s", user, "-m", "1", "-d", "60000", "-nd", "-timeout", "90s",
                 "-trace_msg", "-message_file", self.msg_log, "-trace_err", "-error_file", self.err_log,
                 "-trace_logs", "-log_file", self.reg_log]
        self.proc = H.spawn(argv, base + "-stdout.log", mode="w")
        ctx.procs.append(self.proc)
        ok, _ = H.poll(lambda: "registered" in read(self.reg_log) or self.proc.poll() is not None, 5, 0.05)
        ok = ok and "registered" in read(self.reg_log)
        if not ok:
            self.stop()
            raise Failure(f"callee {user} ({scenario}, {transport}) did not register within 5 s "
                          f"(SIPp exit {self.proc.returncode}):\n{read(self.err_log)[-1500:]}")

    def received(self):
        """Requests this callee received, by method: {'INVITE': n, ...}."""
        out = {}
        for m in MSG_RE.findall(read(self.msg_log)):
            if not m.startswith("SIP/"):
                out[m] = out.get(m, 0) + 1
        return out

    def stop(self):
        H.stop(self.proc)


def read(path):
    try:
        with open(path, errors="replace") as f:
            return f.read()
    except OSError:
        return ""


def run_uac(ctx, scenario, user, transport="udp", extra=(), tag=None):
    """One call of scenario to user through the server; returns (exit status, SIPp error log, SIPp
    -trace_logs log)."""
    port = servers.free_port(udp_and_tcp=True)
    base = os.path.join(ctx.work, f"uac-{tag or scenario[:-4]}-{port}")
    argv = sipp_base(os.path.join(ctx.scenarios, scenario), f"{IP}:{ctx.server.port}", port, transport)
    argv += ["-s", user, "-m", "1", "-l", "1", "-timeout", "15s", "-timeout_error",
             "-max_invite_retrans", "4", "-max_non_invite_retrans", "4",
             "-trace_msg", "-message_file", base + "-messages.log", "-trace_err", "-error_file", base + "-errors.log",
             "-trace_logs", "-log_file", base + "-logs.log"] + list(extra)
    try:
        r = subprocess.run(argv, cwd=ctx.work, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=30,
                           preexec_fn=H.die_with_parent)
        rc = r.returncode
    except subprocess.TimeoutExpired:
        rc = "timeout"
    return rc, read(base + "-errors.log"), read(base + "-logs.log")


def expect_call(ctx, scenario, user, what, transport="udp", extra=()):
    rc, err, logs = run_uac(ctx, scenario, user, transport, extra)
    if rc != 0:
        raise Failure(f"{what}: sipp {scenario} -s {user} over {transport.upper()} exited {rc}, want 0\n"
                      f"--- SIPp errors:\n{err[-3000:]}")
    log(f"  ok: {what} ({scenario} over {transport.upper()}: SIPp exit 0)")
    return logs


def expect_received(uas, want, what):
    # The caller's SIPp may finish before the callee's has logged the last hop-by-hop request (the
    # ACK of a non-2xx leaves duet with the response, not before it): wait a little for it.
    H.poll(lambda: all(uas.received().get(m, 0) == n for m, n in want.items()), 2, 0.05)
    got = uas.received()
    if any(got.get(m, 0) != n for m, n in want.items()):
        raise Failure(f"{what}: callee {uas.user} (port {uas.port}) received {got}, want {want}")
    log(f"  ok: {what}: callee {uas.user}:{uas.port} received " + ", ".join(f"{m} x{n}" for m, n in want.items()))


# ------------------------------------------------------------------ cases

def case_basic_udp(ctx):
    uas = Uas(ctx, "uas_register_answer.xml", "alice")
    expect_call(ctx, "call_uac.xml", "alice", "call answered and hung up")
    expect_received(uas, {"INVITE": 1, "ACK": 1, "BYE": 1}, "the callee saw the whole call once")


def case_unregistered_404(ctx):
    expect_call(ctx, "uac_404.xml", "nobody", "call to an unregistered user answered 404")


def case_cancel_487(ctx):
    uas = Uas(ctx, "uas_register_ring.xml", "ringer")
    expect_call(ctx, "uac_cancel.xml", "ringer", "CANCEL while ringing: 200 for the CANCEL, 487, ACK")
    expect_received(uas, {"INVITE": 1, "CANCEL": 1, "ACK": 1}, "the CANCEL reached the callee")


def case_fork(ctx):
    answer = Uas(ctx, "uas_register_answer.xml", "forked")
    ring = Uas(ctx, "uas_register_ring.xml", "forked")
    regs = ctx.server.registrations(f"sip:forked@{IP}")
    if regs is not None:
        contacts = sorted(r.get("contact", "") for r in regs)
        if len(regs) != 2:
            raise Failure(f"two registrations for sip:forked@{IP} from ports {answer.port} and {ring.port}: "
                          f"the registrar lists {contacts}")
        log(f"  ok: both bindings of sip:forked@{IP} kept: {contacts}")
    expect_call(ctx, "call_uac.xml", "forked", "forked call answered by one contact")
    expect_received(answer, {"INVITE": 1, "ACK": 1, "BYE": 1}, "the answering contact had the call")
    expect_received(ring, {"INVITE": 1, "CANCEL": 1, "ACK": 1}, "the ringing contact was CANCELled")


def case_busy_486(ctx):
    uas = Uas(ctx, "uas_register_busy.xml", "busy")
    expect_call(ctx, "uac_486.xml", "busy", "486 from the callee relayed")
    expect_received(uas, {"INVITE": 1, "ACK": 1}, "the callee's 486 was ACKed")


def case_tcp_to_udp(ctx):
    uas = Uas(ctx, "uas_register_answer.xml", "tcpcallee", transport="udp")
    expect_call(ctx, "call_uac.xml", "tcpcallee", "caller over TCP, callee over UDP", transport="tcp")
    expect_received(uas, {"INVITE": 1, "ACK": 1, "BYE": 1}, "the UDP callee saw the whole call")


def case_tcp_both(ctx):
    uas = Uas(ctx, "uas_register_answer.xml", "tcpboth", transport="tcp")
    expect_call(ctx, "call_uac.xml", "tcpboth", "caller and callee over TCP", transport="tcp")
    expect_received(uas, {"INVITE": 1, "ACK": 1, "BYE": 1}, "the TCP callee saw the whole call")


def case_retrans_udp(ctx):
    uas = Uas(ctx, "uas_register_answer.xml", "retrans")
    before = ctx.server.absorbed_retransmissions()
    expect_call(ctx, "uac_retrans.xml", "retrans", "call with the INVITE retransmitted twice",
                extra=["-default_behaviors", "all,-abortunexp"])
    expect_received(uas, {"INVITE": 1, "ACK": 1, "BYE": 1}, "the retransmissions were absorbed by the proxy")
    # duet publishes its counters once a second: wait (bounded) for them to catch up.
    after = ctx.server.absorbed_retransmissions()
    deadline = time.monotonic() + 3.0
    while before is not None and after is not None and after - before < 2 and time.monotonic() < deadline:
        time.sleep(0.2)
        after = ctx.server.absorbed_retransmissions()
    if before is None or after is None:
        log(f"  skip: no counter of absorbed retransmissions reachable on {ctx.server.name} "
            "(GET /api/v1/stats with an '...absorbed...' key)")
    elif after - before < 2:
        raise Failure(f"absorbed retransmissions went from {before} to {after}, want at least +2")
    else:
        log(f"  ok: absorbed retransmissions counted: {before} -> {after}")


def relay_case(code, reason, callee, scenario, user):
    def case(ctx):
        uas = Uas(ctx, callee, user)
        logs = expect_call(ctx, scenario, user, f"{code} {reason} from the callee relayed")
        if code == 302:
            m = re.search(r"302 Contact (\S+)", logs)
            want = f"sip:moved-{user}@{IP}:{uas.port}"
            if not m or m.group(1) != want:
                raise Failure(f"302 relayed with Contact {m.group(1) if m else None}, want {want}")
            log(f"  ok: the 302 kept the callee's Contact {want}")
        expect_received(uas, {"INVITE": 1, "ACK": 1}, f"the callee's {code} was ACKed")
    return case


CASES = {
    "basic_udp": case_basic_udp,
    "unregistered_404": case_unregistered_404,
    "cancel_487": case_cancel_487,
    "fork": case_fork,
    "busy_486": case_busy_486,
    "tcp_to_udp": case_tcp_to_udp,
    "tcp_both": case_tcp_both,
    "retrans_udp": case_retrans_udp,
    "relay_302": relay_case(302, "Moved Temporarily", "uas_register_redirect.xml", "uac_302.xml", "moved"),
    "relay_603": relay_case(603, "Decline", "uas_register_decline.xml", "uac_603.xml", "decliner"),
    "relay_480": relay_case(480, "Temporarily Unavailable", "uas_register_unavailable.xml", "uac_480.xml", "away"),
}


class Ctx:
    def __init__(self, server, scenarios, work):
        self.server, self.scenarios, self.work, self.procs = server, scenarios, work, []

    def stop_procs(self):
        for p in self.procs:
            H.stop(p)
        self.procs = []


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    who = ap.add_mutually_exclusive_group(required=True)
    who.add_argument("--duet", help="the duet binary")
    who.add_argument("--kamailio", action="store_true", help="run against Kamailio (the reference)")
    ap.add_argument("--scenarios", default=os.path.join(ROOT, "sipp-scenarios"))
    ap.add_argument("--case", action="append", choices=sorted(CASES), help="run only these (repeatable)")
    ap.add_argument("--keep", action="store_true", help="keep the work directory")
    args = ap.parse_args()
    if not shutil.which("sipp"):
        print("FAIL: sipp not found (Debian package sip-tester)")
        return 1
    work = tempfile.mkdtemp(prefix="duet-proxy-e2e-")
    server = KamailioServer(work) if args.kamailio else DuetServer(os.path.abspath(args.duet), work)
    names = args.case or list(CASES)
    failed = []
    try:
        server.start()
        log(f"{server.name} up on {IP}:{server.port} (UDP and TCP); work dir {work}")
        for name in names:
            ctx = Ctx(server, os.path.abspath(args.scenarios), os.path.join(work, name))
            os.makedirs(ctx.work)
            log(f"case {name}")
            try:
                CASES[name](ctx)
            except Failure as e:
                failed.append(name)
                log(f"  FAIL {name}: {e}")
            finally:
                ctx.stop_procs()
            if not server.alive():
                failed.append("server")
                log(f"  FAIL: {server.name} is no longer running:\n{server.tail()}")
                break
    except Failure as e:
        failed.append("setup")
        log(f"FAIL: {e}")
    finally:
        if failed:
            print(f"--- {server.name} log (tail)\n{server.tail()}")
        server.stop()
    if failed:
        print(f"FAIL: {len(failed)} of {len(names)} case(s) failed against {server.name}: {', '.join(failed)} "
              f"(work dir kept: {work})")
        return 1
    if args.keep:
        print(f"(work dir kept: {work})")
    else:
        shutil.rmtree(work, ignore_errors=True)
    print(f"PASS: {len(names)} case(s) against {server.name} ({time.monotonic() - T0:.1f} s)")
    return 0


if __name__ == "__main__":
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # a CTest timeout: clean up (finally)
    sys.exit(main())
