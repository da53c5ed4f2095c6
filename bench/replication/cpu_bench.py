#!/usr/bin/env python3
"""CPU per REGISTER at the registering site with replication on versus off (issue 4 target: at most
1.3x; Kamailio with dmq_usrloc: 3.2x), and CPU at the receiving peer per replicated binding.

    bench/replication/cpu_bench.py <build-dir> [--count N] [--rate R] [--rounds K] [--workers W]

Each round starts fresh processes on loopback: "off" is duet alone (no [peer]); "on" is duet A with
[peer] B (127.0.0.2) connected and whole. SIPp sends N REGISTERs for new AORs then N refreshes at R/s
over UDP to A (bench/registrar/register_load.xml). CPU = utime+stime of the process from
/proc/PID/stat, after minus before (for "on", after B holds every record), divided by 2N. Medians
over the rounds; the order alternates. Processes are stopped by PID; every wait is bounded."""
import argparse
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.dont_write_bytecode = True
sys.path.insert(0, os.path.join(HERE, "..", "..", "tests", "support"))
import duet_harness as H  # noqa: E402

SCENARIO = os.path.join(HERE, "..", "registrar", "register_load.xml")
TICK = os.sysconf("SC_CLK_TCK")


def cpu_s(pid):
    f = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(f[11]) + int(f[12])) / TICK


def thread_cpu_s(pid):
    """CPU seconds per thread name (duet-w0, duet-control, ...; threads of one name summed)."""
    out = {}
    for tid in os.listdir(f"/proc/{pid}/task"):
        try:
            name = open(f"/proc/{pid}/task/{tid}/comm").read().strip()
            f = open(f"/proc/{pid}/task/{tid}/stat").read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        out[name] = out.get(name, 0) + (int(f[11]) + int(f[12])) / TICK
    return out


def wait(pred, seconds, what):
    if not H.poll(pred, seconds)[0]:
        raise RuntimeError("timed out: " + what)


class Site:
    def __init__(self, duet, tmp, name, ip, sip_port, workers, peer=None):
        self.ip, self.api_port = ip, H.free_port(ip)
        self.repl_port = H.free_port(ip)
        self.name, self.sip_port, self.workers, self.tmp, self.duet = name, sip_port, workers, tmp, duet
        self.peer = peer  # (name, ip, repl_port)
        self.batch_ms = None  # [peer] batch_ms; None: duet's default

    def start(self):
        cfg = (f'workers = {self.workers}\nlisten = ["udp:{self.ip}:{self.sip_port}"]\nlog_level = "warn"\n'
               f'[site]\nname = "{self.name}"\n[api]\nlisten = "{self.ip}:{self.api_port}"\n')
        if self.peer:
            pn, pip, pport = self.peer
            cfg += (f'[peer]\nname = "{pn}"\nreplication = "{pip}:{pport}"\n'
                    f'listen = "{self.ip}:{self.repl_port}"\n')
            if self.batch_ms:
                cfg += f"batch_ms = {self.batch_ms}\n"
        path = H.write_file(os.path.join(self.tmp, self.name + ".toml"), cfg)
        self.proc = H.spawn([self.duet, "-c", path], os.path.join(self.tmp, self.name + ".log"), with_parent=False)
        wait(lambda: H.get_json(self.ip, self.api_port, "/healthz") is not None, 10, self.name + " up")

    def peer_status(self):
        return H.get_json(self.ip, self.api_port, "/api/v1/peer")

    def stop(self):
        H.stop(self.proc, graceful=True, timeout=10)


def sipp(port, prefix, seq, count, rate, tmp):
    r = subprocess.run(["sipp", f"127.0.0.1:{port}", "-sf", SCENARIO, "-key", "prefix", prefix, "-key", "seq",
                        str(seq), "-cid_str", f"{prefix}%u@bench", "-m", str(count), "-r", str(rate),
                        "-l", str(count), "-t", "u1", "-i", "127.0.0.1", "-p", str(H.free_port("127.0.0.1", socket.SOCK_DGRAM)),
                        "-nostdin", "-timeout", str(count // rate + 60) + "s", "-max_non_invite_retrans", "5"],
                       cwd=tmp, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=count // rate + 90)
    if r.returncode != 0:
        raise RuntimeError(f"sipp exited {r.returncode}")


def round_(args, with_peer, tmp, prefix):
    sip_port = H.free_port("127.0.0.1", socket.SOCK_DGRAM)
    a = Site(args.duet, tmp, "a", "127.0.0.1", sip_port, args.workers)
    a.batch_ms = args.batch_ms
    b = None
    if with_peer and args.peer_absent:
        a.peer = ("b", "127.0.0.2", H.free_port("127.0.0.2"))  # nobody listens: records pile up locally
    elif with_peer:
        b = Site(args.duet, tmp, "b", "127.0.0.2", H.free_port("127.0.0.2", socket.SOCK_DGRAM), args.workers)
        a.peer = ("b", b.ip, b.repl_port)
        b.peer = ("a", a.ip, a.repl_port)
        b.start()
    a.start()
    try:
        if b:
            wait(lambda: a.peer_status()["whole"] and b.peer_status()["whole"], 10, "link whole")
        a0 = cpu_s(a.proc.pid)
        t_a0 = thread_cpu_s(a.proc.pid)
        b0 = cpu_s(b.proc.pid) if b else 0
        t0 = time.time()
        sipp(sip_port, prefix, 1, args.count, args.rate, tmp)
        sipp(sip_port, prefix, 2, args.count, args.rate, tmp)
        if b:
            wait(lambda: a.peer_status()["queue_depth"] == 0 and b.peer_status()["lag_versions"] == 0, 30,
                 "b caught up")
            time.sleep(0.3)  # a heartbeat, so that lag is current
            wait(lambda: b.peer_status()["lag_versions"] == 0, 30, "b caught up")
        wall = time.time() - t0
        a1 = cpu_s(a.proc.pid)
        if args.threads:
            t_a1 = thread_cpu_s(a.proc.pid)
            print("    A per thread (us per REGISTER): " + ", ".join(
                f"{n} {(t_a1[n] - t_a0.get(n, 0)) / (2 * args.count) * 1e6:.1f}" for n in sorted(t_a1)), flush=True)
        b1 = cpu_s(b.proc.pid) if b else 0
        full = a.peer_status()["queue_full"] if with_peer else 0
        return (a1 - a0) / (2 * args.count) * 1e6, ((b1 - b0) / (2 * args.count) * 1e6 if b else None), wall, full
    finally:
        a.stop()
        if b:
            b.stop()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("build")
    ap.add_argument("--count", type=int, default=20000)
    ap.add_argument("--rate", type=int, default=2000)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--peer-absent", action="store_true",
                    help="'on' = [peer] configured but not running (the layer's local cost, no link)")
    ap.add_argument("--batch-ms", type=int, help="[peer] batch_ms at A (default: duet's)")
    ap.add_argument("--threads", action="store_true", help="also print A's CPU per thread, each round")
    args = ap.parse_args()
    args.duet = os.path.join(args.build, "bin", "duet")
    tmp = tempfile.mkdtemp(prefix="duet-repl-cpu-")
    off, on, peer = [], [], []
    for r in range(args.rounds):
        order = [False, True] if r % 2 == 0 else [True, False]
        for with_peer in order:
            us_a, us_b, wall, full = round_(args, with_peer, tmp, f"r{r}{'p' if with_peer else 's'}")
            (on if with_peer else off).append(us_a)
            if us_b is not None:
                peer.append(us_b)
            print(f"round {r + 1} {'on ' if with_peer else 'off'}: {us_a:.1f} us CPU per REGISTER at A"
                  + (f", {us_b:.1f} us at B per replicated change, queue_full {full}" if us_b is not None else "")
                  + f" ({wall:.1f} s)", flush=True)
    m_off, m_on = statistics.median(off), statistics.median(on)
    m_peer = statistics.median(peer) if peer else float("nan")
    print(f"\nCPU per REGISTER at the registering site ({args.count} new + {args.count} refresh at {args.rate}/s, "
          f"{args.workers} workers, medians of {args.rounds}):")
    print(f"  replication off: {m_off:.1f} us   on: {m_on:.1f} us   ratio on/off: {m_on / m_off:.2f}x "
          f"(target <= 1.3x; Kamailio dmq_usrloc 3.2x)")
    print(f"  receiving peer: {m_peer:.1f} us CPU per replicated change (Kamailio: 64 us)")


if __name__ == "__main__":
    sys.exit(main())
