#!/usr/bin/env python3
"""Calls between two real SIP user agents through duet: baresip (libre's SIP stack, Debian's
baresip-core), not our own client or SIPp. Asserted from both UAs' SIP traces: both registered
(200), the caller's INVITE was answered 200 and the call established at both ends (so the ACK
crossed duet by the Record-Route), and the caller's BYE reached the callee and was answered 200.
Media (opus, a sine tone) flows directly between the UAs on loopback.

  tcp: alice registers over TCP and calls bob@127.0.0.1, registered over UDP (bob answers by
       itself); duet bridges the transports with two Record-Routes.
  tls: alice registers over TLS with duet's listener (duet as a TLS server for a third-party
       stack) and calls bob@other.example, a domain duet does not serve: it goes to the gateway
       [proxy] outbound = sips:<bob's TLS listener>, which duet dials, checking bob's certificate
       against [tls] ca_file and the address (duet as a TLS client of a third-party stack; without
       ca_file the handshake fails and so does the call, checked by hand).

Usage: baresip_e2e.py <duet binary> [tcp|tls]. Exit 77 (skipped) without baresip. Bounded waits;
every process is stopped by its PID."""
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
import duet_harness as H  # noqa: E402

DUET = sys.argv[1]
MODULES = "/usr/lib/baresip/modules"
if not shutil.which("baresip") or not os.path.isdir(MODULES):
    print("SKIP: baresip (Debian package baresip-core) is not installed")
    sys.exit(77)
TMP = tempfile.mkdtemp(prefix="duet-baresip-")


def port_pair():
    """A port free for UDP and TCP, with the next one free for TCP too (baresip also binds its TLS
    transport there)."""
    for _ in range(200):
        p = H.free_port("127.0.0.1", socket.SOCK_DGRAM)
        if p >= 65535:
            continue
        try:
            with socket.socket() as a, socket.socket() as b:
                a.bind(("127.0.0.1", p))
                b.bind(("127.0.0.1", p + 1))
            return p
        except OSError:
            continue
    raise RuntimeError("no free port pair on 127.0.0.1")


def make_cert():
    """A self-signed certificate for 127.0.0.1 (CN and subjectAltName IP), duet's and bob's both."""
    cert, key = os.path.join(TMP, "cert.pem"), os.path.join(TMP, "key.pem")
    r = subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj",
                        "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", key, "-out", cert],
                       capture_output=True, text=True, timeout=30)
    if r.returncode != 0:
        raise RuntimeError("openssl could not make a test certificate: " + r.stderr)
    both = os.path.join(TMP, "cert+key.pem")  # baresip wants them in one file
    H.write_file(both, open(cert).read() + open(key).read())
    return cert, key, both


def ua_dir(name, port, account, rtp, tls=None):
    d = os.path.join(TMP, name)
    os.makedirs(d)
    tls_lines = f"sip_cafile {tls[0]}\nsip_certificate {tls[2]}\n" if tls else ""
    H.write_file(os.path.join(d, "config"), f"""poll_method epoll
sip_listen 127.0.0.1:{port}
net_interface 127.0.0.1
{tls_lines}module_path {MODULES}
module opus.so
module ausine.so
module aufile.so
module account.so
module menu.so
audio_player aufile,{d}/heard.wav
audio_source ausine,440
audio_alert aufile,{d}/alert.wav
rtp_ports {rtp}
""")
    H.write_file(os.path.join(d, "accounts"), account + "\n")
    return d


def run(scenario):
    sip, api = port_pair(), H.free_port("127.0.0.1", socket.SOCK_STREAM)
    tls = make_cert() if scenario == "tls" else None
    bob_port = port_pair()  # bob's TLS listener is the next port (baresip's choice)
    listen = [f"udp:127.0.0.1:{sip}", f"tcp:127.0.0.1:{sip}"]
    extra = ""
    if tls:
        listen.append(f"tls:127.0.0.1:{sip + 1}")
        extra = (f'[tls]\ncert_file = "{tls[0]}"\nkey_file = "{tls[1]}"\nca_file = "{tls[0]}"\n'
                 f'[registrar]\ndomains = ["127.0.0.1"]\n[proxy]\noutbound = "sips:127.0.0.1:{bob_port + 1}"\n')
    cfg = H.write_file(os.path.join(TMP, "duet.toml"),
                       f'workers = 2\nlisten = {json.dumps(listen)}\n[api]\nlisten = "127.0.0.1:{api}"\n' + extra)
    procs = []
    duet = H.spawn([DUET, "-c", cfg], os.path.join(TMP, "duet.log"), mode="w")
    procs.append(duet)
    ok, _ = H.poll(lambda: H.get_json("127.0.0.1", api, "/healthz", timeout=1), 10)
    if not ok:
        return fail(procs, "duet did not start")
    opus = ";audio_codecs=opus/48000/2;regint=120"
    # Each UA its own RTP range (below the kernel's ephemeral ports, which start at 32768).
    bob_dir = ua_dir("bob", bob_port, f'<sip:bob@127.0.0.1>;outbound="sip:127.0.0.1:{sip}";answermode=auto{opus}',
                     "29100-29199", tls)
    if tls:
        alice_account = f'<sip:alice@127.0.0.1;transport=tls>;outbound="sip:127.0.0.1:{sip + 1};transport=tls"'
        callee, alice_proto = "sip:bob@other.example", "TLS"
    else:
        alice_account = f'<sip:alice@127.0.0.1;transport=tcp>;outbound="sip:127.0.0.1:{sip};transport=tcp"'
        callee, alice_proto = "sip:bob@127.0.0.1", "TCP"
    alice_dir = ua_dir("alice", port_pair(), alice_account + opus, "29200-29299", tls)
    bob_log = os.path.join(TMP, "bob.log")
    bob = H.spawn(["baresip", "-f", bob_dir, "-s", "-t", "30"], bob_log, mode="w")
    procs.append(bob)

    def registered(aor):
        rows = H.get_json("127.0.0.1", api, "/api/v1/registrations", timeout=1)["registrations"]
        return any(r["aor"] == aor for r in rows)

    if not H.poll(lambda: registered("sip:bob@127.0.0.1"), 10)[0]:
        return fail(procs, "bob (baresip, UDP) did not register")
    # alice calls at once and quits (hanging up) after 6 s.
    alice_log = os.path.join(TMP, "alice.log")
    alice = H.spawn(["baresip", "-f", alice_dir, "-s", "-t", "6", "-e", "/dial " + callee], alice_log, mode="w")
    procs.append(alice)
    try:
        alice.wait(timeout=20)
    except subprocess.TimeoutExpired:
        return fail(procs, "alice's baresip did not end")
    # bob logs the BYE's end of the call; give it a moment.
    H.poll(lambda: "terminated" in read(bob_log), 3)
    a, b = read(alice_log), read(bob_log)
    checks = [
        (f"alice registered over {alice_proto}", response_to(a, "REGISTER", 200) and
         re.search(rf"^{alice_proto} 127\.0\.0\.1:\d+ -> 127\.0\.0\.1:\d+\s*\r?\nREGISTER ", a, re.M) is not None),
        ("bob registered over UDP", response_to(b, "REGISTER", 200)),
        ("alice's INVITE answered 200", response_to(a, "INVITE", 200)),
        ("call established at alice", "Call established: " + callee in a),
        ("call established at bob", "Call established: sip:alice@127.0.0.1" in b),
        ("bob got alice's BYE", re.search(r"^BYE sip:bob-", b, re.M) is not None),
        ("alice's BYE answered 200", response_to(a, "BYE", 200)),
    ]
    if tls:
        checks.append(("duet dialled bob's TLS listener as the gateway and the INVITE came over it",
                       re.search(rf"^TLS 127\.0\.0\.1:\d+ -> 127\.0\.0\.1:{bob_port + 1}\s*\r?\n"
                                 r"INVITE sip:bob@other\.example", b, re.M) is not None))
    else:
        checks.append(("bob got the INVITE from duet with two Record-Routes (TCP in, UDP out)",
                       re.search(r"INVITE sip:bob-[^\r\n]*\r?\n(?:[^\r\n]+\r?\n)*?Record-Route:[^\r\n]*\r?\n"
                                 r"Record-Route:[^\r\n]*transport=tcp", b) is not None))
    failed = [name for name, good in checks if not good]
    for name, good in checks:
        print(("ok   " if good else "FAIL ") + name, flush=True)
    if failed:
        return fail(procs, ", ".join(failed))
    stop_all(procs)
    shutil.rmtree(TMP, ignore_errors=True)
    print(f"PASS: a call between two baresip UAs through duet ({scenario})", flush=True)
    return 0


def stop_all(procs):
    for p in reversed(procs):
        H.stop(p, graceful=True, timeout=5)


def read(path):
    with open(path, errors="replace") as f:
        return f.read()


def response_to(trace, method, status):
    """Whether the SIP trace (baresip -s) shows a `status` response whose CSeq names method."""
    for m in re.finditer(r"^SIP/2\.0 (\d{3}) [^\r\n]*\r?\n((?:[^\r\n]+\r?\n)*)", trace, re.M):
        if int(m.group(1)) == status and re.search(rf"^CSeq:\s*\d+\s+{method}\s*$", m.group(2), re.M | re.I):
            return True
    return False


def fail(procs, msg):
    print("FAIL:", msg, flush=True)
    stop_all(procs)
    print(f"(logs in {TMP})")
    for name in ("duet.log", "alice.log", "bob.log"):
        path = os.path.join(TMP, name)
        if os.path.exists(path):
            print(f"--- {name} (last 4000 bytes)")
            print(read(path)[-4000:])
    return 1


if __name__ == "__main__":
    sys.exit(run(sys.argv[2] if len(sys.argv) > 2 else "tcp"))
