"""One bounded SIPp REGISTER load run (bench/registrar/register_load.xml) and what it reports."""

import os
import re
import resource
import subprocess
import time

from servers import free_port

SCENARIO = os.path.join(os.path.dirname(os.path.abspath(__file__)), "register_load.xml")


class LoadResult:
    def __init__(self, ok, failed, retrans, wall, sipp_cpu, output):
        self.ok = ok
        self.failed = failed
        self.retrans = retrans
        self.wall = wall
        self.sipp_cpu = sipp_cpu
        self.output = output

    @property
    def fail_ratio(self):
        total = self.ok + self.failed
        return self.failed / total if total else 1.0


def _counter(out, name):
    m = re.search(name + r"\s*\|\s*\d+\s*\|\s*(\d+)", out)
    return int(m.group(1)) if m else 0


def run(port, proto, prefix, seq, count, rate, workdir, local_port=None):
    """count REGISTERs for AORs <prefix>1..<prefix>count at `rate` per second; seq 1 = new, 2 = refresh.
    SIPp sends from local_port (a free one if None). Bounded by -m, -timeout and a process timeout
    of twice the expected duration plus a margin."""
    expected = count / rate
    cmd = [
        "sipp", f"127.0.0.1:{port}", "-sf", SCENARIO,
        "-key", "prefix", prefix, "-key", "seq", str(seq), "-cid_str", f"{prefix}%u@bench",
        "-m", str(count), "-r", str(rate), "-l", str(max(1000, rate * 2)),
        "-t", "u1" if proto == "udp" else "t1", "-i", "127.0.0.1", "-p", str(local_port or free_port(proto == "udp")),
        "-nostdin", "-timeout", f"{int(expected * 2 + 20)}s", "-max_non_invite_retrans", "5",
    ]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.monotonic()
    try:
        r = subprocess.run(cmd, cwd=workdir, capture_output=True, text=True, timeout=expected * 2 + 40)
        out = r.stdout + r.stderr
    except subprocess.TimeoutExpired as e:
        out = (e.stdout or b"").decode(errors="replace") if isinstance(e.stdout, bytes) else (e.stdout or "")
    wall = time.monotonic() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    sipp_cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    m = re.search(r"REGISTER ---------->\s+(\d+)\s+(\d+)", out)
    retrans = int(m.group(2)) if m else 0
    return LoadResult(_counter(out, "Successful call"), _counter(out, "Failed call"), retrans, wall,
                      sipp_cpu, out)
