"""Shared pieces of the Python e2e tests and benchmarks that drive real duet processes on loopback
(tests/continuity, tests/e2e, tests/replication, bench/continuity, bench/replication).

Standard library only. Each script keeps its own scenario, checks, messages and error type; this
module holds the plumbing they had in common: free ports, starting a process with its output in a
log file (and dying with the script), stopping it by PID, bounded polling, a keep-alive JSON client
for the HTTP API, a raw-socket reader of GET /api/v1/events that only stamps and stores what it
reads, SIPp runs fed by an injection CSV, and the config of one site of a two-site pair.

Import it from a script with its own location, e.g.
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
"""
import ctypes
import http.client
import json
import os
import signal
import socket
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

# ------------------------------------------------------------------ ports

def free_port(ip, kind=socket.SOCK_STREAM):
    """A port the kernel hands out as free on `ip` right now (TCP by default)."""
    with socket.socket(socket.AF_INET, kind) as s:
        s.bind((ip, 0))
        return s.getsockname()[1]


# ------------------------------------------------------------------ processes

_libc = ctypes.CDLL(None, use_errno=True)


def die_with_parent():
    """In the child before exec: SIGKILL when this script dies, even if it is killed itself (a
    test timeout), so no duet or SIPp outlives it."""
    _libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG


def spawn(argv, log_path, mode="a", with_parent=True):
    """Start argv with stdout and stderr appended to (or, mode "w", written to) log_path; with
    `with_parent`, the child is SIGKILLed when this script dies. Returns the Popen (its PID is
    what stop() acts on). OSError (e.g. the binary is being relinked) goes to the caller."""
    with open(log_path, mode) as logf:
        return subprocess.Popen(argv, stdout=logf, stderr=subprocess.STDOUT,
                                preexec_fn=die_with_parent if with_parent else None)


def stop(proc, graceful=False, timeout=10):
    """Stop one process by its PID if it still runs: SIGKILL, or with `graceful` SIGTERM first
    and SIGKILL after `timeout` seconds. Every wait is bounded."""
    if proc is None or proc.poll() is not None:
        return
    if graceful:
        proc.terminate()
        try:
            proc.wait(timeout=timeout)
            return
        except subprocess.TimeoutExpired:
            pass
    proc.kill()
    proc.wait(timeout=5)


def log_tails(tmp, names, lines=30):
    """Print the last `lines` lines of <tmp>/<name>.log for each name that exists."""
    for n in names:
        p = os.path.join(tmp, n + ".log")
        if os.path.exists(p):
            print(f"--- {n}.log (tail)")
            with open(p, errors="replace") as f:
                print("".join(f.readlines()[-lines:]))


# ------------------------------------------------------------------ bounded waits

def poll(pred, seconds, every=0.05, errors=(OSError,)):
    """Call pred every `every` s for at most `seconds` until it is true; an exception in `errors`
    counts as not yet. Returns (True, None) or (False, the last such exception or None)."""
    end = time.monotonic() + seconds
    last = None
    while time.monotonic() < end:
        try:
            if pred():
                return True, None
        except errors as e:
            last = e
        time.sleep(every)
    return False, last


# ------------------------------------------------------------------ HTTP API

def get_json(ip, port, path, timeout=3):
    """One GET on a fresh connection; the parsed JSON body. A status other than 2xx raises
    urllib.error.HTTPError (an OSError)."""
    with urllib.request.urlopen(f"http://{ip}:{port}{path}", timeout=timeout) as r:
        return json.loads(r.read())


class ApiClient:
    """JSON requests to the API of several sites over keep-alive connections, one per site and
    thread (thousands of requests: no connect per request). addrs: site -> (ip, port)."""

    def __init__(self, addrs, timeout=5):
        self.addrs, self.timeout, self._local = addrs, timeout, threading.local()

    def req(self, site, method, path, body=None):
        """Returns (status, parsed JSON body or None). A stale connection is reopened once; a
        second failure (OSError, http.client.HTTPException) goes to the caller."""
        conns = self._local.__dict__.setdefault("conns", {})
        data = json.dumps(body).encode() if body is not None else None
        for attempt in (0, 1):
            c = conns.get(site)
            if c is None:
                ip, port = self.addrs[site]
                c = conns[site] = http.client.HTTPConnection(ip, port, timeout=self.timeout)
            try:
                c.request(method, path, body=data, headers={"Content-Type": "application/json"} if data else {})
                r = c.getresponse()
                raw = r.read()
                return r.status, (json.loads(raw) if raw else None)
            except (OSError, http.client.HTTPException):
                c.close()
                conns.pop(site, None)
                if attempt:
                    raise

    def post_all(self, site, reqs, threads=2, join_timeout=60):
        """POST many (path, body) from `threads` threads; returns [(path, status, body)] of the
        answers that were not 200."""
        errors = []

        def run(part):
            for path, body in part:
                code, resp = self.req(site, "POST", path, body)
                if code != 200:
                    errors.append((path, code, resp))

        ts = [threading.Thread(target=run, args=(reqs[i::threads],)) for i in range(threads)]
        for t in ts:
            t.start()
        for t in ts:
            t.join(timeout=join_timeout)
        return errors


# ------------------------------------------------------------------ event stream (SSE)

class SseReader(threading.Thread):
    """GET `path` (e.g. /api/v1/events?types=agent) over a raw socket. The thread only stamps and
    stores what each recv returns, in `chunks` as (monotonic, wall ms, bytes): it must keep up with
    bursts of thousands of events (the server cuts a client whose backlog passes 4 MiB). Frames
    are cut afterwards by the reading side (FrameCutter). `connected` is set once the server's
    ": connected" comment arrived, `closed` when the stream ended (or never opened)."""

    def __init__(self, ip, port, path="/api/v1/events", recv_size=1 << 20, poll_s=0.5, accept=True):
        super().__init__(daemon=True)
        self.addr, self.path, self.recv_size, self.poll_s, self.accept = (ip, port), path, recv_size, poll_s, accept
        self.chunks = []
        self.connected, self.closed = threading.Event(), threading.Event()
        self.stopping = False

    def run(self):
        try:
            s = socket.create_connection(self.addr, timeout=5)
        except OSError:
            self.closed.set()
            return
        self.sock = s
        s.sendall(f"GET {self.path} HTTP/1.1\r\nHost: duet\r\n".encode()
                  + (b"Accept: text/event-stream\r\n" if self.accept else b"") + b"\r\n")
        s.settimeout(self.poll_s)
        chunks, head = self.chunks, b""
        while not self.stopping:
            try:
                d = s.recv(self.recv_size)
            except socket.timeout:
                continue
            except OSError:
                break
            if not d:
                break
            chunks.append((time.monotonic(), time.time() * 1000.0, d))
            if not self.connected.is_set():
                head += d
                if b": connected" in head:
                    self.connected.set()
        s.close()
        self.closed.set()

    def stop(self):
        self.stopping = True
        if self.is_alive():
            self.join(timeout=2)


class SseHeadError(Exception):
    """The server answered the event stream request with something other than an event stream."""


class FrameCutter:
    """Cuts chunks of an SseReader into frames (they end with a blank line; a partial one waits for
    the next chunk), each stamped with the chunk that completed it. Comment frames (": connected",
    ": keepalive") are dropped. Incremental: feed() takes the chunks not fed yet."""

    def __init__(self, head_done=False, need_event_stream=False):
        self.buf, self.head_done, self.need_event_stream = b"", head_done, need_event_stream

    def feed(self, chunks):
        """[(monotonic, wall ms, frame bytes)] of the frames completed by `chunks`."""
        out = []
        buf = self.buf
        for mono, wall, d in chunks:
            buf += d
            if not self.head_done:
                if b"\r\n\r\n" not in buf:
                    continue
                head, buf = buf.split(b"\r\n\r\n", 1)
                if not head.startswith(b"HTTP/1.1 200") or (self.need_event_stream
                                                            and b"text/event-stream" not in head):
                    self.buf = b""
                    raise SseHeadError(head.split(b"\r\n", 1)[0].decode(errors="replace"))
                self.head_done = True
            pos = 0
            while True:
                end = buf.find(b"\n\n", pos)
                if end < 0:
                    break
                if not buf.startswith(b":", pos):
                    out.append((mono, wall, buf[pos:end]))
                pos = end + 2
            buf = buf[pos:]
        self.buf = buf
        return out


def parse_frame(frame):
    """{field: value} of one frame's lines ('id', 'event', 'data'; a leading space dropped)."""
    ev = {}
    for line in frame.decode().split("\n"):
        k, _, v = line.partition(":")
        ev[k] = v[1:] if v.startswith(" ") else v
    return ev


class EventStream(SseReader):
    """An SseReader whose `events` (called from one thread) cuts and parses what has arrived so far
    into (receipt time, id, type, data); `raw` holds the frames as (receipt time, bytes)."""

    def __init__(self, ip, port, path="/api/v1/events", **kw):
        super().__init__(ip, port, path, **kw)
        self.raw, self._events = [], []
        self._cutter, self._fed = FrameCutter(need_event_stream=True), 0

    @property
    def events(self):
        n = len(self.chunks)
        self.raw += [(now, frame) for now, _, frame in self._cutter.feed(self.chunks[self._fed:n])]
        self._fed = n
        for now, frame in self.raw[len(self._events):]:
            ev = parse_frame(frame)
            self._events.append((now, int(ev.get("id", 0)), ev.get("event"), json.loads(ev.get("data", "null"))))
        return self._events


# ------------------------------------------------------------------ SIPp

def sipp_csv(scenario, csv_path, rows, ip, port, target, rate, timeout_s, cwd, rate_period=None,
             run_timeout=None, with_parent=True, trace=False):
    """Write `rows` (already ';'-joined) as a SEQUENTIAL injection file and run SIPp once over it:
    one call per row from ip:port to `target` ("ip:port") at `rate`/s. Bounded: SIPp's own
    -timeout `timeout_s` (an error: -timeout_error) and `run_timeout` for the process. Returns
    SIPp's exit status."""
    with open(csv_path, "w") as f:
        f.write("SEQUENTIAL\n" + "".join(r + "\n" for r in rows))
    argv = ["sipp", "-sf", scenario, "-inf", csv_path, "-m", str(len(rows)), "-r", str(rate)]
    if rate_period is not None:
        argv += ["-rp", str(rate_period)]
    argv += ["-i", ip, "-p", str(port), "-nostdin", "-timeout", str(timeout_s), "-timeout_error", target]
    if trace:  # SIPp's error log (<scenario>_<pid>_errors.log) and messages, in cwd
        argv += ["-trace_err", "-trace_msg"]
    r = subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=run_timeout, cwd=cwd,
                       preexec_fn=die_with_parent if with_parent else None)
    return r.returncode


# ------------------------------------------------------------------ two-site config

def two_site_config(site, ip, sip_port, peer, replication, repl_listen, api_listen, *, min_expires=1,
                    log_level=None, heartbeat=True, tail=""):
    """The config of one site of a pair on loopback: SIP over UDP at ip:sip_port, [site] `site`,
    [peer] `peer` dialled at `replication` and listened for at `repl_listen`, its SIP URI at the
    peer's address and the same port, [api] at `api_listen`; `tail` (more sections) appended.
    peer: (name, ip)."""
    peer_name, peer_ip = peer
    cfg = f'workers = 2\nlisten = ["udp:{ip}:{sip_port}"]\n'
    if log_level:
        cfg += f'log_level = "{log_level}"\n'
    cfg += f'[site]\nname = "{site}"\n'
    if min_expires is not None:
        cfg += f"[registrar]\nmin_expires = {min_expires}\n"
    cfg += (f'[peer]\nname = "{peer_name}"\nreplication = "{replication}"\nlisten = "{repl_listen}"\n'
            f'sip = "sip:{peer_ip}:{sip_port}"\n')
    if heartbeat:
        cfg += "heartbeat_ms = 100\ndown_after_ms = 600\n"
    cfg += f'[api]\nlisten = "{api_listen}"\n'
    return cfg + tail


def write_file(path, text):
    with open(path, "w") as f:
        f.write(text)
    return path


def run_rounds(name, rounds, tmp_prefix, make_round, say, failure, on_result):
    """A benchmark's rounds: each in a fresh temporary directory (removed unless the round fails),
    make_round(tmp, i) -> an object with run(say) and stop(). A `failure` exception ends the run with
    status 1 and points at the logs; on_result(i, result, seconds) reports each round."""
    results = []
    for i in range(1, rounds + 1):
        tmp = tempfile.mkdtemp(prefix=tmp_prefix)
        r = make_round(tmp, i)
        t = time.monotonic()
        try:
            res = r.run(say)
        except BaseException as e:
            r.stop()
            if isinstance(e, failure):
                print(f"{name}: round {i} FAILED: {e} (logs in {tmp})", flush=True)
                sys.exit(1)
            raise
        r.stop()
        shutil.rmtree(tmp, ignore_errors=True)
        results.append(res)
        on_result(i, res, time.monotonic() - t)
    return results


def start_duet(procs, site, duet, cfg_path, log_path, healthy, seconds, wait):
    """Starts duet for `site` with cfg_path (recorded in procs) and waits, through the caller's
    bounded `wait`, until it runs and healthy() holds."""
    p = spawn([duet, "-c", cfg_path], log_path)
    procs[site] = p
    wait(lambda: p.poll() is None and healthy(), seconds, f"{site} API up")
    return p


def stop_all(procs):
    for p in procs.values():
        stop(p)
