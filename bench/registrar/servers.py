"""The three servers of the registrar benchmark (duet, Kamailio, the floor responder): start on
loopback with free ports, list every process of the server for CPU and memory readings, stop by PID."""

import os
import re
import signal
import socket
import subprocess
import tempfile
import threading
import time

CLK_TCK = os.sysconf("SC_CLK_TCK")
KAMAILIO_MODULES = "/usr/lib/x86_64-linux-gnu/kamailio/modules/"
HERE = os.path.dirname(os.path.abspath(__file__))


def free_port(udp_and_tcp=False):
    """A port free for TCP (and UDP too when asked) on 127.0.0.1."""
    for _ in range(50):
        t = socket.socket()
        t.bind(("127.0.0.1", 0))
        port = t.getsockname()[1]
        try:
            if udp_and_tcp:
                u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
                try:
                    u.bind(("127.0.0.1", port))
                except OSError:
                    continue
                finally:
                    u.close()
            return port
        finally:
            t.close()
    raise RuntimeError("no free port on 127.0.0.1")


def _stat_fields(pid):
    with open(f"/proc/{pid}/stat") as f:
        s = f.read()
    return s[s.rindex(")") + 2:].split()  # fields from 3 (state) on


def process_tree(root):
    """root and all its descendants, from /proc."""
    children = {}
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                ppid = int(_stat_fields(d)[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(d))
    out, todo = [], [root]
    while todo:
        p = todo.pop()
        out.append(p)
        todo.extend(children.get(p, []))
    return out


def cpu_seconds(pids):
    """utime + stime of every process listed (each process's figure includes all its threads)."""
    total = 0
    for p in pids:
        try:
            f = _stat_fields(p)
            total += int(f[11]) + int(f[12])  # fields 14 and 15 of /proc/PID/stat
        except (OSError, IndexError, ValueError):
            pass
    return total / CLK_TCK


def pss_bytes(pids):
    """Proportional set size summed over the processes: shared memory counted once in total."""
    total = 0
    for p in pids:
        try:
            with open(f"/proc/{p}/smaps_rollup") as f:
                for line in f:
                    if line.startswith("Pss:"):
                        total += int(line.split()[1]) * 1024
                        break
        except OSError:
            pass
    return total


class Server:
    name = "?"

    def __init__(self):
        self.proc = None
        self.udp_port = None
        self.tcp_port = None
        self.log = []
        self.work = tempfile.mkdtemp(prefix=f"regbench-{self.name}-")

    def pids(self):
        return process_tree(self.proc.pid)

    def _read_stderr(self, pattern, want, timeout):
        found = {}
        done = threading.Event()

        def read():
            for line in self.proc.stderr:
                self.log.append(line.rstrip())
                for m in re.finditer(pattern, line):
                    found[m.group(1)] = int(m.group(2))
                if len(found) >= want:
                    done.set()
            done.set()

        threading.Thread(target=read, daemon=True).start()
        done.wait(timeout)
        if len(found) < want:
            self.stop(check=False)
            raise RuntimeError(f"{self.name} did not start:\n" + "\n".join(self.log[-20:]))
        return found

    def stop(self, check=True):
        if self.proc is None:
            return
        tree = self.pids() if self.proc.poll() is None else []
        if self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGTERM)
        try:
            rc = self.proc.wait(15)
        except subprocess.TimeoutExpired:
            os.kill(self.proc.pid, signal.SIGKILL)
            rc = self.proc.wait(5)
        # children that outlive their parent (Kamailio's) are ours too: end them by PID
        for p in tree[1:]:
            for _ in range(50):
                if not os.path.exists(f"/proc/{p}"):
                    break
                time.sleep(0.1)
            else:
                try:
                    os.kill(p, signal.SIGKILL)
                except ProcessLookupError:
                    pass
        self.proc = None
        if check and rc != 0:
            raise RuntimeError(f"{self.name} exited {rc}:\n" + "\n".join(self.log[-20:]))


class Duet(Server):
    name = "duet"

    def __init__(self, build_dir, workers=2):
        super().__init__()
        self.binary = os.path.join(build_dir, "bin", "duet")
        self.workers = workers

    def start(self):
        self.proc = subprocess.Popen(
            [self.binary, "-l", "udp:127.0.0.1:0", "-l", "tcp:127.0.0.1:0", "-w", str(self.workers),
             "--log-level", "warn"],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        found = self._read_stderr(r"listening on (udp|tcp):127\.0\.0\.1:(\d+)", 2, 10)
        self.udp_port, self.tcp_port = found["udp"], found["tcp"]
        return self


class Floor(Server):
    name = "floor"

    def __init__(self, build_dir):
        super().__init__()
        self.binary = os.path.join(build_dir, "bin", "duet-floor-responder")

    def start(self):
        self.proc = subprocess.Popen([self.binary, "127.0.0.1", "0"], stdout=subprocess.DEVNULL,
                                     stderr=subprocess.PIPE, text=True)
        self.udp_port = self._read_stderr(r"listening on (udp):127\.0\.0\.1:(\d+)", 1, 10)["udp"]
        return self


class Kamailio(Server):
    name = "kamailio"

    def __init__(self, shm_mb=2048, cfg_template=None, sched_batch=False):
        """cfg_template: a config with @LISTEN_UDP@, @LISTEN_TCP@ and @MPATH@ (default: the
        registrar's kamailio.cfg.in; bench/proxy passes its registrar + proxy config).
        sched_batch: started under `chrt -b 0`, so that all its processes run SCHED_BATCH (as duet's
        workers do by default), to compare like with like."""
        super().__init__()
        self.shm_mb = shm_mb
        self.cfg_template = cfg_template or os.path.join(HERE, "kamailio.cfg.in")
        self.sched_batch = sched_batch
        if sched_batch:
            self.name = "kamailio-batch"

    def start(self):
        port = free_port(udp_and_tcp=True)
        with open(self.cfg_template) as f:
            cfg = f.read()
        cfg = (cfg.replace("@LISTEN_UDP@", f"udp:127.0.0.1:{port}")
               .replace("@LISTEN_TCP@", f"tcp:127.0.0.1:{port}").replace("@MPATH@", KAMAILIO_MODULES))
        path = os.path.join(self.work, "kamailio.cfg")
        with open(path, "w") as f:
            f.write(cfg)
        self.proc = subprocess.Popen(
            (["chrt", "-b", "0"] if self.sched_batch else []) + ["kamailio", "-DD", "-E", "-f", path, "-w", self.work, "-P", os.path.join(self.work, "kamailio.pid"),
             "-x", "tlsf", "-X", "tlsf", "-m", str(self.shm_mb), "-M", "16"],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        threading.Thread(target=lambda: [self.log.append(l.rstrip()) for l in self.proc.stderr],
                         daemon=True).start()
        self.udp_port = self.tcp_port = port
        if not _answers_options(port, 15):
            self.stop(check=False)
            raise RuntimeError("kamailio did not answer OPTIONS:\n" + "\n".join(self.log[-20:]))
        return self


def _answers_options(port, timeout):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", 0))
    s.settimeout(0.2)
    lp = s.getsockname()[1]
    msg = (f"OPTIONS sip:127.0.0.1:{port} SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:{lp};branch=z9hG4bKping\r\n"
           f"Max-Forwards: 70\r\nFrom: <sip:bench@127.0.0.1>;tag=p\r\nTo: <sip:127.0.0.1:{port}>\r\n"
           "Call-ID: bench-ping\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n").encode()
    end = time.monotonic() + timeout
    try:
        while time.monotonic() < end:
            s.sendto(msg, ("127.0.0.1", port))
            try:
                if s.recv(65535).startswith(b"SIP/2.0 200"):
                    return True
            except socket.timeout:
                pass
        return False
    finally:
        s.close()


def foreign_kamailio():
    """PIDs of kamailio processes we did not start (e.g. the Debian service)."""
    out = []
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                with open(f"/proc/{d}/comm") as f:
                    if f.read().strip() == "kamailio":
                        out.append(int(d))
            except OSError:
                pass
    return out
