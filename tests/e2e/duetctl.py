"""Start and stop one duet daemon for an end-to-end test: config in a temp dir, listeners on loopback
with port 0 (the kernel picks free ports, duet prints them), stopped by PID with SIGTERM and
required to exit 0."""

import os
import re
import signal
import socket
import subprocess
import threading
import time

LISTEN_RE = re.compile(r"listening on (udp|tcp|tls):([0-9.]+|\[[0-9a-fA-F:]+\]):(\d+)")


def free_tcp_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class DuetError(Exception):
    pass


class Duet:
    def __init__(self, binary, workdir, listen, extra_toml="", workers=2):
        self.binary = binary
        self.workdir = workdir
        self.config_path = os.path.join(workdir, "duet.toml")
        with open(self.config_path, "w") as f:
            f.write('site_name = "e2e"\n')
            f.write(f"workers = {workers}\n")
            f.write('log_level = "warn"\n')
            f.write("listen = [" + ", ".join(f'"{l}"' for l in listen) + "]\n")
            f.write(extra_toml)
            if "[api]" not in extra_toml:
                # A free port, not the default 8080: tests (and other duets) run side by side.
                f.write(f'[api]\nlisten = "127.0.0.1:{free_tcp_port()}"\n')
        self.expected = len(listen)
        self.ports = {}  # proto -> port
        self.proc = None
        self.log_lines = []
        self._reader = None

    def start(self, timeout=10.0):
        self.proc = subprocess.Popen([self.binary, "--config", self.config_path],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        got = threading.Event()

        def read():
            for line in self.proc.stderr:
                self.log_lines.append(line.rstrip("\n"))
                m = LISTEN_RE.search(line)
                if m:
                    self.ports[m.group(1)] = int(m.group(3))
                    if len(self.ports) == self.expected:
                        got.set()
            got.set()  # stderr closed: duet exited

        self._reader = threading.Thread(target=read, daemon=True)
        self._reader.start()
        if not got.wait(timeout) or len(self.ports) != self.expected:
            self.kill()
            raise DuetError("duet did not report its listeners:\n" + "\n".join(self.log_lines))
        return self

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def stop(self, timeout=10.0):
        """SIGTERM by PID; duet must exit 0 within the timeout."""
        if not self.alive():
            rc = self.proc.returncode if self.proc else None
            raise DuetError(f"duet was no longer running (exit {rc}):\n" + "\n".join(self.log_lines))
        os.kill(self.proc.pid, signal.SIGTERM)
        try:
            rc = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            raise DuetError(f"duet did not stop within {timeout}s of SIGTERM")
        self._reader.join(2)
        if rc != 0:
            raise DuetError(f"duet exited {rc} after SIGTERM:\n" + "\n".join(self.log_lines))

    def kill(self):
        if self.alive():
            os.kill(self.proc.pid, signal.SIGKILL)
            self.proc.wait(5)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.kill()  # only acts when a test failed before stop()
        return False


def wait_until(cond, timeout, step=0.05):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if cond():
            return True
        time.sleep(step)
    return cond()
