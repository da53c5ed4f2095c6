#!/usr/bin/env python3
"""The replication link over TLS ([peer] tls): two duet sites on 127.0.0.1 (a) and 127.0.0.2 (b)
with certificates from one test CA.

- both with tls: the link comes up whole, a phone registered at a appears at b with site a, and
  /api/v1/peer says tls;
- b with a self-signed certificate (not from the CA): never linked; both sides report why;
- b without tls: never linked (a's TLS handshake fails on b's plain frames);
- a checking a name b's certificate does not carry (peer.tls_name): never linked, "mismatch";
- config: peer.tls without tls.ca_file, or peer.tls_name without peer.tls, is refused at start.

Usage: e2e_tls_link.py <duet binary> <sipp scenario dir>. Every wait is bounded; every process
started here is stopped by its PID."""
import os
import socket
import subprocess
import sys
import tempfile

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
import duet_harness as H  # noqa: E402

DUET, SCEN = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
TMP = tempfile.mkdtemp(prefix="duet-tls-link-")
IP = {"a": "127.0.0.1", "b": "127.0.0.2"}
PROCS = {}


class Failure(Exception):
    pass


def openssl(*args):
    r = subprocess.run(["openssl", *args], capture_output=True, text=True, timeout=30, cwd=TMP)
    if r.returncode != 0:
        raise Failure("openssl " + " ".join(args[:2]) + ": " + r.stderr)


def make_certs():
    """ca.pem; a.pem/b.pem signed by it (subjectAltName: the site's IP); rogue.pem self-signed."""
    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "1"]
    openssl("req", "-x509", *ec, "-subj", "/CN=duet test CA", "-keyout", "ca.key", "-out", "ca.pem",
            "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign")
    for site in ("a", "b"):
        openssl("req", *ec, "-subj", f"/CN=site {site}", "-keyout", f"{site}.key", "-out", f"{site}.csr")
        H.write_file(os.path.join(TMP, f"{site}.ext"), f"subjectAltName=IP:{IP[site]}\n")
        openssl("x509", "-req", "-in", f"{site}.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial",
                "-days", "1", "-extfile", f"{site}.ext", "-out", f"{site}.pem")
    openssl("req", "-x509", *ec, "-subj", "/CN=site b", "-keyout", "rogue.key", "-out", "rogue.pem",
            "-addext", f"subjectAltName=IP:{IP['b']}")


def path(name):
    return os.path.join(TMP, name)


def config(site, ports, tls=True, cert=None, tls_name=None):
    peer = "b" if site == "a" else "a"
    cfg = H.two_site_config(site, IP[site], ports["sip"], (peer, IP[peer]), f"{IP[peer]}:{ports['repl'][peer]}",
                            f"{IP[site]}:{ports['repl'][site]}", f"{IP[site]}:{ports['api'][site]}",
                            log_level="info")
    if tls:
        cfg = cfg.replace("[api]\n", "tls = true\n" + (f'tls_name = "{tls_name}"\n' if tls_name else "") + "[api]\n", 1)
        cert = cert or site
        cfg += (f'[tls]\ncert_file = "{path(cert + ".pem")}"\nkey_file = "{path(cert + ".key")}"\n'
                f'ca_file = "{path("ca.pem")}"\n')
    return cfg


def new_ports():
    return {"sip": H.free_port("127.0.0.1", socket.SOCK_DGRAM),
            "repl": {s: H.free_port(IP[s]) for s in IP}, "api": {s: H.free_port(IP[s]) for s in IP}}


def peer(site, ports):
    return H.get_json(IP[site], ports["api"][site], "/api/v1/peer")


def start(case, site, cfg, ports):
    cfg_path = H.write_file(path(f"{case}-{site}.toml"), cfg)
    p = H.spawn([DUET, "-c", cfg_path], path(f"{case}-{site}.log"))
    PROCS[f"{case}-{site}"] = p
    ok, _ = H.poll(lambda: p.poll() is None and peer(site, ports) is not None, 10)
    if not ok:
        raise Failure(f"{case}: {site} did not start (see {path(case + '-' + site + '.log')})")


def stop_case(case):
    for name in [n for n in PROCS if n.startswith(case + "-")]:
        H.stop(PROCS.pop(name), graceful=True)


def refused(case, ports, expect_a, expect_b=None, seconds=3):
    """Neither side links within `seconds`, and each says why (last_refusal contains expect_*)."""
    def both_said():
        pa, pb = peer("a", ports), peer("b", ports)
        return (pa and expect_a in pa["last_refusal"] and (expect_b is None or expect_b in pb["last_refusal"]))
    ok, _ = H.poll(both_said, seconds)
    pa, pb = peer("a", ports), peer("b", ports)
    if pa["whole"] or pb["whole"] or pa["state"] in ("up", "syncing"):
        raise Failure(f"{case}: the link came up: a {pa}, b {pb}")
    if not ok:
        raise Failure(f"{case}: expected refusals containing {expect_a!r} at a and {expect_b!r} at b; "
                      f"a says {pa['last_refusal']!r}, b says {pb['last_refusal']!r}")
    print(f"ok: {case}: no link; a: {pa['last_refusal']}; b: {pb['last_refusal']}", flush=True)


def case_linked():
    ports = new_ports()
    start("linked", "a", config("a", ports, tls_name=IP["b"]), ports)
    start("linked", "b", config("b", ports, tls_name=IP["a"]), ports)
    ok, _ = H.poll(lambda: peer("a", ports)["whole"] and peer("b", ports)["whole"], 10)
    if not ok:
        raise Failure(f"linked: not whole: a {peer('a', ports)}, b {peer('b', ports)}")
    if not (peer("a", ports)["tls"] and peer("b", ports)["tls"]):
        raise Failure("linked: /api/v1/peer does not say tls")
    phone = H.free_port("127.0.0.1", socket.SOCK_DGRAM)
    rc = H.sipp_csv(os.path.join(SCEN, "register.xml"), path("users.csv"), ["tls1;300;1", "tls2;300;1"], IP["a"],
                    phone, f"{IP['a']}:{ports['sip']}", 50, 20, TMP, run_timeout=30, trace=True)
    if rc != 0:
        raise Failure(f"linked: sipp exited {rc} (sipp files in {TMP})")

    def at_b():
        regs = H.get_json(IP["b"], ports["api"]["b"], "/api/v1/registrations") or []
        regs = regs.get("registrations", regs) if isinstance(regs, dict) else regs
        return sorted(r.get("aor", "") for r in regs if r.get("site") == "a")
    ok, _ = H.poll(lambda: len(at_b()) == 2, 10)
    if not ok:
        raise Failure(f"linked: b holds {at_b()} from a, expected the two phones")
    print(f"ok: linked over TLS; b holds {at_b()} from a", flush=True)
    stop_case("linked")


def case_rogue():
    ports = new_ports()
    start("rogue", "a", config("a", ports), ports)
    start("rogue", "b", config("b", ports, cert="rogue"), ports)
    # a rejects b's certificate; b's check of a's passes, then a's alert ends b's handshake.
    refused("rogue", ports, "certificate", "TLS")
    stop_case("rogue")


def case_plain_peer():
    ports = new_ports()
    start("plain", "a", config("a", ports), ports)
    start("plain", "b", config("b", ports, tls=False), ports)
    refused("plain", ports, "TLS")
    stop_case("plain")


def case_wrong_name():
    ports = new_ports()
    start("name", "a", config("a", ports, tls_name="127.0.0.9"), ports)
    start("name", "b", config("b", ports), ports)
    refused("name", ports, "mismatch")
    stop_case("name")


def case_config():
    ports = new_ports()
    cfg = config("a", ports).replace(f'ca_file = "{path("ca.pem")}"\n', "")
    r = subprocess.run([DUET, "--check-config", "-c", H.write_file(path("noca.toml"), cfg)], capture_output=True,
                       text=True, timeout=10)
    if r.returncode == 0 or "tls.ca_file" not in r.stderr:
        raise Failure(f"config: peer.tls without ca_file accepted or not named: {r.returncode} {r.stderr!r}")
    cfg = config("a", ports, tls=False).replace("[api]\n", 'tls_name = "x"\n[api]\n', 1)
    r = subprocess.run([DUET, "--check-config", "-c", H.write_file(path("noname.toml"), cfg)], capture_output=True,
                       text=True, timeout=10)
    if r.returncode == 0 or "peer.tls_name" not in r.stderr:
        raise Failure(f"config: tls_name without tls accepted or not named: {r.returncode} {r.stderr!r}")
    print("ok: config errors name tls.ca_file and peer.tls_name", flush=True)


def main():
    try:
        make_certs()
        case_config()
        case_linked()
        case_rogue()
        case_plain_peer()
        case_wrong_name()
    except Failure as e:
        print("FAIL:", e, flush=True)
        H.log_tails(TMP, [n[:-4] for n in os.listdir(TMP) if n.endswith(".log")])
        return 1
    finally:
        for p in PROCS.values():
            H.stop(p)
    print("all TLS link cases passed", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
