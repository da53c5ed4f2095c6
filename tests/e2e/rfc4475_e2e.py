#!/usr/bin/env python3
"""RFC 4475 "SIP Torture Test Messages" against the real daemon: one duet (registrar and proxy, bindings
in memory, UDP and TCP on loopback) gets every message of RFC 4475 section 3, byte for byte as the
RFC's Appendix A archive has them (tests/parser/data/rfc4475/), and must answer each as the RFC expects
of a proxy/registrar: 400 with a reason for malformed requests, 505 for SIP/7.0, 416 for a scheme it
cannot route, 420 for Proxy-Require, 483 at Max-Forwards 0, 404 for a user nobody registered, nothing
for malformed or stray responses; valid requests for registered users are forwarded (to a small UAS in
this script, which answers them) and their answer relayed. Afterwards duet must still be running and
serve a valid REGISTER, and stop with exit 0 on SIGTERM.

Every message goes over UDP. Over TCP go the ones whose outcome does not depend on a server
transaction (parse errors, registrar requests, stray responses) and the stream-framing cases (dblreq as
two framed messages, ncl and mcl01 closing the connection, clerr waiting for the rest): a request that
the proxy handles statefully cannot be sent twice, since its copy has the same branch and sent-by and
is absorbed as a retransmission of the first (RFC 3261 section 17.2.3).

Addresses: the messages' top Vias name hosts like 192.0.2.2 with no port and no rport, so duet answers
UDP at the source address and port 5060 (RFC 3261 section 18.2.2): the "phone" side of this test is a
socket on 127.0.0.1:5060 (and :5050 for quotbal's Via). mpart01 carries Route: <sip:127.0.0.1:5080>; a
socket there plays that next hop. All traffic stays on 127.0.0.1 (names in the messages are never
resolved: duet routes only to IP literals and registered contacts, all of them on loopback here); only
if another program holds 5060 there does the phone side move to another loopback address, 127.0.0.2-9.

Where the RFC allows several outcomes, each is accepted (CASES says why). Outcomes that are wrong today
because of code outside src/ (reported, not fixed yet) are listed in KNOWN, which asserts them exactly.

Usage: rfc4475_e2e.py <duet binary>. Bounded waits; duet is stopped by its PID (tests/support harness).
"""
import os
import re
import socket
import sys
import tempfile
import threading
import time
from urllib.parse import quote

sys.dont_write_bytecode = True
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "support"))
import duet_harness as H  # noqa: E402

DATA = os.path.join(HERE, "..", "parser", "data", "rfc4475")
IP = "127.0.0.1"
T0 = time.monotonic()
NO_ANSWER = None  # an expected outcome: duet sends nothing back

# Domains the messages' Request-URIs use: served here, so their users are ours (404 when nobody is
# registered). services.example.com is wsinv's Route: a Route naming a served domain is ours.
DOMAINS = ["example.com", "example.net", "example.org", "chair-dnrc.example.com", "services.example.com",
           "registrar.example.com"]
# Users the UAS of this script registers, so that requests for them are forwarded and answered.
UNUSUAL = "1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*"  # intmeth's Request-URI user
REGISTERED = [("vivekg", "chair-dnrc.example.com"), (UNUSUAL, "example.com"), ("user", "example.com"),
              ("UserB", "example.com")]
UAS_CODE = {"INVITE": (486, "Busy Here")}  # every other method: 200 OK


class Failure(Exception):
    pass


def log(msg):
    print(f"[{time.monotonic() - T0:5.2f}s] {msg}", flush=True)


def load(name):
    with open(os.path.join(DATA, name + ".dat"), "rb") as f:
        return f.read()


# ------------------------------------------------------------------ SIP bytes

COMPACT = {b"i": b"call-id", b"v": b"via", b"f": b"from", b"t": b"to", b"m": b"contact", b"l": b"content-length",
           b"c": b"content-type", b"s": b"subject", b"k": b"supported"}


class Msg:
    """A received message: start line, header fields (lower-case long name, raw field, value) in
    order, body. Folded lines stay in the raw field."""

    def __init__(self, data):
        self.data = data
        head, _, self.body = data.partition(b"\r\n\r\n")
        lines = head.split(b"\r\n")
        self.start = lines[0]
        self.fields = []
        for line in lines[1:]:
            if line[:1] in (b" ", b"\t") and self.fields:
                n, raw, v = self.fields[-1]
                self.fields[-1] = (n, raw + b"\r\n" + line, v + b" " + line.strip())
                continue
            name, _, value = line.partition(b":")
            name = name.strip().lower()
            self.fields.append((COMPACT.get(name, name), line, value.strip()))
        parts = self.start.split(b" ", 2)
        self.is_response = self.start.startswith(b"SIP/2.0 ")
        self.status = int(parts[1]) if self.is_response and parts[1].isdigit() else 0
        self.reason = parts[2].decode("utf-8", "replace") if self.is_response and len(parts) > 2 else ""
        self.method = parts[0].decode("utf-8", "replace") if not self.is_response else ""

    def values(self, name):
        return [v for n, _, v in self.fields if n == name]

    def value(self, name):
        v = self.values(name)
        return v[0] if v else None

    def raw(self, name):
        return [r for n, r, _ in self.fields if n == name]

    def cseq_method(self):
        v = self.value(b"cseq")
        return v.split()[-1].decode("utf-8", "replace") if v else ""

    def top_branch(self):
        v = self.value(b"via")
        m = re.search(rb"branch\s*=\s*([^;,\s]*)", v or b"")
        return m.group(1) if m else None


def answer_to(req, code, reason):
    """A response to req from a UAS: its Vias, From, To (tagged), Call-ID and CSeq, no body."""
    out = [f"SIP/2.0 {code} {reason}".encode()]
    for name in (b"via", b"from", b"to", b"call-id", b"cseq"):
        for raw in req.raw(name):
            if name == b"to" and not re.search(rb";\s*tag\s*=", raw):
                raw += b";tag=uas4475"
            out.append(raw)
    return b"\r\n".join(out) + b"\r\nContent-Length: 0\r\n\r\n"


# ------------------------------------------------------------------ endpoints

class Endpoint(threading.Thread):
    """A UDP socket whose thread stores every datagram it gets; with `uas`, it answers each request
    (not ACK) with UAS_CODE's status and keeps the request, by Call-ID."""

    def __init__(self, ip, port, uas=False):
        super().__init__(daemon=True)
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind((ip, port))
        self.sock.settimeout(0.05)
        self.addr = self.sock.getsockname()
        self.uas = uas
        self.got = []  # Msg, in arrival order
        self.requests = {}  # Call-ID -> [Msg]
        self.lock = threading.Lock()
        self.stopping = False
        self.start()

    def run(self):
        while not self.stopping:
            try:
                data, addr = self.sock.recvfrom(65535)
            except socket.timeout:
                continue
            except OSError:
                return
            m = Msg(data)
            with self.lock:
                self.got.append(m)
                if not m.is_response:
                    self.requests.setdefault(m.value(b"call-id"), []).append(m)
            if self.uas and not m.is_response and m.method != "ACK":
                code, reason = UAS_CODE.get(m.method, (200, "OK"))
                self.sock.sendto(answer_to(m, code, reason), addr)

    def send(self, data, to):
        self.sock.sendto(data, to)

    def responses(self, match):
        with self.lock:
            return [m for m in self.got if m.is_response and match(m)]

    def close(self):
        self.stopping = True
        self.join(1)
        self.sock.close()


def bind_phone():
    """The phone side: 127.0.0.1:5060 and :5050, where duet sends the answers to Vias without port or
    rport. If another program holds 5060 on 127.0.0.1, another loopback address is used."""
    for host in [IP] + [f"127.0.0.{i}" for i in range(2, 10)]:
        try:
            a = Endpoint(host, 5060)
        except OSError:
            continue
        try:
            b = Endpoint(host, 5050)
        except OSError:
            a.close()
            continue
        if host != IP:
            log(f"note: 5060 or 5050 busy on {IP}; the phone side uses {host}")
        return a, b
    raise Failure("no loopback address with UDP ports 5060 and 5050 free")


def by_call_id(call_id, method=None):
    return lambda m: m.value(b"call-id") == call_id and (method is None or m.cseq_method() == method)


def by_branch(branch):
    return lambda m: m.top_branch() == branch


def final_of(responses):
    finals = [r for r in responses if r.status >= 200]
    return finals[0] if finals else None


def wait_final(ep, match, seconds):
    """The first final response matching, within `seconds` (provisional ones are skipped)."""
    found = [None]

    def pred():
        found[0] = final_of(ep.responses(match))
        return found[0] is not None

    H.poll(pred, seconds, 0.01)
    return found[0]


class Stream:
    """One TCP connection to duet that keeps what it reads, cut into messages by Content-Length."""

    def __init__(self, port):
        self.sock = socket.create_connection((IP, port), timeout=3)
        self.buf = b""
        self.closed = False

    def send(self, data):
        self.sock.sendall(data)

    def read(self, seconds):
        """Reads for at most `seconds` or until the peer closes; returns the messages read."""
        end = time.monotonic() + seconds
        out = []
        while not self.closed and time.monotonic() < end:
            self.sock.settimeout(max(0.01, end - time.monotonic()))
            try:
                chunk = self.sock.recv(65535)
            except socket.timeout:
                break
            except OSError:
                chunk = b""
            if not chunk:
                self.closed = True
                break
            self.buf += chunk
            while b"\r\n\r\n" in self.buf:
                head, _, rest = self.buf.partition(b"\r\n\r\n")
                m = re.search(rb"\r\n(?:content-length|l)\s*:\s*(\d+)", head, re.I)
                n = int(m.group(1)) if m else 0
                if len(rest) < n:
                    break
                out.append(Msg(head + b"\r\n\r\n" + rest[:n]))
                self.buf = rest[n:]
            if out:
                end = min(end, time.monotonic() + 0.05)  # a second message may follow at once
        return out

    def wait_closed(self, seconds):
        self.read(seconds)
        return self.closed

    def close(self):
        self.sock.close()


# ------------------------------------------------------------------ the cases

# name: (acceptable answers over UDP, reason regex for a 400, why). NO_ANSWER in the set: duet may
# (or must) stay silent. 486/200 are the answers of this script's UAS, relayed: the request was
# forwarded to the user's registered contact.
CASES = [
    # §3.1.1 valid messages: parsed and processed like any other.
    ("wsinv", {486}, None, "valid; forwarded to vivekg's contact after duet's own Route (services.example.com)"),
    ("intmeth", {200}, None, "valid; the unusual user is registered here, so forwarded (RFC: else 404)"),
    ("esc01", {404}, None, "valid; user sips:user@example.com at example.net: nobody registered"),
    ("escnull", {200}, None, "valid REGISTER; two bindings, AOR with a NUL in its user"),
    ("esc02", {405, 501}, None, "RE%47IST%45R is not REGISTER: a request to the server itself, not 200"),
    ("lwsdisp", {200}, None, "valid; forwarded to user@example.com"),
    ("longreq", {486}, None, "valid; forwarded (top Via without branch: RFC 2543 transaction)"),
    ("dblreq", {200}, None, "the REGISTER is answered; the INVITE after it in the datagram is noise"),
    ("semiuri", {404}, None, "user is 'user;par=u@example.net', not the registered 'user'"),
    ("transports", {200}, None, "valid; forwarded, answer relayed along all five Vias"),
    ("mpart01", {200}, None, "valid; forwarded along its Route to 127.0.0.1:5080, body intact"),
    ("unreason", {NO_ANSWER}, None, "a 200 for no request of ours: dropped"),
    ("noreason", {NO_ANSWER}, None, "a 100 for no request of ours: dropped"),
    # §3.1.2 invalid messages.
    ("badinv01", {400}, "Via", "extraneous ; and , in Via"),
    ("clerr", {400}, "Content-Length", "over UDP, a body shorter than Content-Length"),
    ("ncl", {400}, "Content-Length", "negative Content-Length"),
    ("scalar02", {400}, "CSeq", "CSeq above 2**32-1"),
    ("scalarlg", {NO_ANSWER}, None, "a malformed response: dropped"),
    ("quotbal", {400}, "To", "unterminated quote (answered at its Via's port 5050)"),
    ("ltgtruri", {400}, "Request-URI", "<> around the Request-URI"),
    ("lwsruri", {400}, "Request-URI", "LWS inside the Request-URI"),
    # The RFC lets these be rejected, or accepted liberally (then forwarded or 404).
    ("lwsstart", {400, 486}, None, "two SPs between the request line's elements"),
    ("trws", {400, 404}, None, "SPs after SIP/2.0"),
    ("escruri", {400, 486}, None, "escaped headers in the Request-URI (if forwarded: not copied)"),
    ("baddate", {400, 486}, None, "EST in Date: a proxy that ignores Date forwards it"),
    ("regbadct", {400, 200}, None, "Contact with ?headers outside <>"),
    ("badaspec", {400, 404}, None, "spaces inside <> in To"),
    ("baddn", {400}, None, "unquoted display names (and the archive's copy lacks the final empty line)"),
    ("badvers", {505}, None, "SIP/7.0"),
    ("mismatch01", {400}, "CSeq", "CSeq method INVITE in an OPTIONS"),
    ("mismatch02", {400, 501}, None, "unknown method, CSeq method INVITE: 501 preferred, 400 acceptable"),
    ("bigcode", {NO_ANSWER}, None, "status code 4294967301: dropped"),
    # §3.2
    ("badbranch", {400, 200}, None, "branch=z9hG4bK alone: 400, or RFC 2543 matching and forwarded"),
    # §3.3 (regescrt last: it adds a binding to user@example.com that the INVITEs above must not fork to)
    ("insuf", {400, NO_ANSWER}, None, "no Call-ID, From, To: 400 ideally; no valid response can echo them"),
    ("unkscm", {416}, None, "unknown Request-URI scheme"),
    # novelsc has unkscm's branch, sent-by and method: see novelsc_twice().
    ("unksm2", {400}, "SIP or SIPS", "registrar: the To (AOR) is isbn:"),
    ("bext01", {420}, None, "Proxy-Require: 420 with Unsupported listing its tags"),
    ("invut", {486}, None, "unknown body type: a proxy forwards it"),
    ("regaut01", {200, 401}, None, "unknown Authorization scheme: ignored by a registrar without auth"),
    ("multi01", {400}, "Duplicate", "two Call-IDs, CSeqs, Tos, Froms, Max-Forwards"),
    ("mcl01", {400}, "Content-Length", "two different Content-Lengths"),
    ("bcast", {NO_ANSWER}, None, "a 200 with a broadcast Via: dropped, never sent to 255.255.255.255"),
    ("zeromf", {483}, None, "Max-Forwards 0"),
    ("cparam01", {200}, None, "contact-param unknownparam: not in the binding's URI"),
    ("cparam02", {200}, None, "url-param unknownparam: in the binding's URI"),
    ("sdp01", {486}, None, "Accept without SDP: for the UAS to refuse, a proxy forwards it"),
    # §3.4: RFC 2543 syntax. duet requires Max-Forwards (RFC 3261 §8.1.1) and so refuses it; an
    # element keeping RFC 2543 compatibility would forward it.
    ("inv2543", {400, 486}, None, "no Max-Forwards, branch, From tag or Content-Length"),
    ("regescrt", {200}, None, "Contact with an escaped Route header kept in the binding"),
]

# Over TCP (see the module's docstring): name -> acceptable answers.
TCP_CASES = {
    "badinv01": {400}, "scalar02": {400}, "trws": {400, 404}, "badvers": {505}, "mismatch01": {400},
    "multi01": {400}, "unksm2": {400}, "regaut01": {200, 401}, "unreason": {NO_ANSWER}, "bcast": {NO_ANSWER},
    "bigcode": {NO_ANSWER},
}


# Known failures, reported to the owner of the code at fault and not fixed yet. Each entry asserts
# today's wrong outcome exactly; once it is fixed the case fails with "fixed": then delete the entry
# (as with tests/fuzz/known_issues.hpp switches).
KNOWN = {}


class Run:
    def __init__(self, duet):
        self.duet = duet
        self.tmp = tempfile.mkdtemp(prefix="duet-rfc4475-")
        self.port = self.free_port_udp_tcp()
        self.api = H.free_port(IP)
        self.no_dns = self.free_port_udp_tcp()  # a port nothing answers on: DNS lookups fail at once
        self.proc = None
        self.failures = []
        self.results = []

    @staticmethod
    def free_port_udp_tcp():
        for _ in range(50):
            p = H.free_port(IP, socket.SOCK_DGRAM)
            try:
                with socket.socket() as t:
                    t.bind((IP, p))
                return p
            except OSError:
                continue
        raise Failure("no port free for both UDP and TCP")

    def fail(self, what):
        self.failures.append(what)
        log("FAIL: " + what)

    def check(self, cond, what):
        if cond:
            log("ok: " + what)
        else:
            self.fail(what)

    # -------------------------------------------------------------- duet

    def start(self):
        domains = ", ".join(f'"{d}"' for d in DOMAINS)
        cfg = (f'site_name = "rfc4475"\nworkers = 2\nlog_level = "warn"\n'
               f'listen = ["udp:{IP}:{self.port}", "tcp:{IP}:{self.port}"]\n'
               f'[limits]\nidle_timeout_s = 2\n'
               f'[registrar]\ndomains = [{domains}]\n'
               # Host names in the torture messages are looked up only on loopback (nothing
               # answers there: a failed lookup), never by the machine's resolver.
               f'[proxy]\nt1_ms = 50\nt2_ms = 400\ndns_servers = ["127.0.0.1:{self.no_dns}"]\n'
               f'[api]\nlisten = "{IP}:{self.api}"\n')
        path = H.write_file(os.path.join(self.tmp, "duet.toml"), cfg)
        self.proc = H.spawn([self.duet, "--config", path], os.path.join(self.tmp, "duet.log"), mode="w")
        ok, last = H.poll(lambda: self.proc.poll() is not None
                          or H.get_json(IP, self.api, "/healthz")["status"] == "ok",
                          15, 0.05, (OSError, ValueError, KeyError))
        if not ok or self.proc.poll() is not None:
            raise Failure(f"duet did not come up ({last!r})")
        log(f"duet pid {self.proc.pid} on udp+tcp {IP}:{self.port}")

    def registrations(self, aor):
        query = f"?aor={quote(aor, safe='')}" if aor else ""
        return H.get_json(IP, self.api, "/api/v1/registrations" + query)["registrations"]

    # -------------------------------------------------------------- steps

    def register_uas(self, uas):
        for n, (user, domain) in enumerate(REGISTERED):
            req = (f"REGISTER sip:{domain} SIP/2.0\r\n"
                   f"Via: SIP/2.0/UDP {uas.addr[0]}:{uas.addr[1]};branch=z9hG4bK-uas-{n};rport\r\n"
                   f"Max-Forwards: 70\r\nFrom: <sip:{user}@{domain}>;tag=u{n}\r\nTo: <sip:{user}@{domain}>\r\n"
                   f"Call-ID: uas-{n}@rfc4475\r\nCSeq: 1 REGISTER\r\n"
                   f"Contact: <sip:uas{n}@{uas.addr[0]}:{uas.addr[1]}>\r\nExpires: 300\r\n"
                   f"Content-Length: 0\r\n\r\n").encode()
            uas.send(req, (IP, self.port))
            r = wait_final(uas, by_call_id(f"uas-{n}@rfc4475".encode()), 3)
            if r is None or r.status != 200:
                raise Failure(f"the test UAS could not register {user}@{domain}: {r.start if r else 'no answer'}")
        log(f"test UAS at {uas.addr[0]}:{uas.addr[1]} registered {len(REGISTERED)} users")

    def udp_case(self, phone, phone5050, name, want, reason_re, why, deferred):
        data = load(name)
        msg = Msg(data)
        call_id = msg.value(b"call-id")
        match = by_call_id(call_id) if call_id is not None else by_branch(msg.top_branch())
        # Requests answered only at their Via's port (quotbal: 5050); everything else comes to 5060.
        ep = phone5050 if name == "quotbal" else phone
        if name == "dblreq":
            match = by_call_id(call_id, "REGISTER")
        phone.send(data, (IP, self.port))
        if NO_ANSWER in want or KNOWN.get(("udp", name), (0,))[0] is NO_ANSWER:
            deferred.append((name, ep, match, want, why))  # judged after a common wait
            return None
        got = wait_final(ep, match, 2.0)
        self.judge("udp", name, got, want, reason_re, why)
        return got

    def judge(self, proto, name, got, want, reason_re, why):
        code = got.status if got is not None else NO_ANSWER
        shown = f"{got.status} {got.reason}" if got is not None else "no answer"
        known = KNOWN.get((proto, name))
        if known is not None:
            ok = code == known[0]
            self.results.append((proto, name, shown, "known issue", ok))
            self.check(ok, f"{proto} {name}: {shown}: KNOWN ISSUE ({known[1]})" if ok else
                       f"{proto} {name}: {shown}: known issue fixed? remove it from KNOWN ({known[1]})")
            return
        ok = code in want
        if ok and code == 400:
            # A 400 names its reason (RFC 3261 §21.4.1 lets the phrase say what is wrong).
            ok = got.reason not in ("", "Bad Request") and (reason_re is None or re.search(reason_re, got.reason))
        accepted = "/".join("none" if w is None else str(w) for w in sorted(want, key=lambda w: w or 0))
        self.results.append((proto, name, shown, accepted, ok))
        self.check(ok, f"{proto} {name}: {shown} (accepted: {accepted}; {why})")

    def run(self):
        self.start()
        phone, phone5050 = bind_phone()
        uas = Endpoint(IP, 0, uas=True)
        try:
            hop = Endpoint(IP, 5080, uas=True)  # mpart01's Route
        except OSError:
            hop = None
            log(f"note: {IP}:5080 is busy; mpart01 may only be checked for not being refused")
        try:
            self.register_uas(uas)
            # clerr over TCP first: duet must wait for the rest of the body, then close the idle
            # connection (idle_timeout_s = 2). Checked at the end.
            clerr_tcp = Stream(self.port)
            clerr_tcp.send(load("clerr"))
            clerr_sent = time.monotonic()

            deferred = []
            got = {}
            for name, want, reason_re, why in CASES:
                if name == "mpart01" and hop is None:
                    want = {200, 408, 500, 502, 503}
                got[name] = self.udp_case(phone, phone5050, name, want, reason_re, why, deferred)
                if name == "unkscm":
                    self.novelsc_twice(phone, "absorbed")
            self.bcast_through_proxy(phone, uas)
            # clerr over TCP, meanwhile: no answer, the connection still open (waiting for the body).
            early = clerr_tcp.read(0.01)
            # (on a loaded machine the cases above may outlast the idle timeout: closed is fine then)
            waited = time.monotonic() - clerr_sent
            self.check(not early and (not clerr_tcp.closed or waited >= 2.0),
                       f"tcp clerr: still waiting for its body after {time.monotonic() - clerr_sent:.1f}s")
            self.tcp_cases()
            # Silence where silence is expected: nothing arrived for them within a while.
            time.sleep(0.5)
            for name, ep, match, want, why in deferred:
                self.judge("udp", name, final_of(ep.responses(match)), want, None, why)
            self.check_contents(got, uas, hop, phone)
            # clerr over TCP: no answer, and the connection is closed by the idle timeout.
            left = max(0.1, clerr_sent + 4.5 - time.monotonic())
            msgs = clerr_tcp.read(left)
            self.check(not msgs and clerr_tcp.closed,
                       f"tcp clerr: no answer and the connection closed after the idle timeout "
                       f"({len(msgs)} messages, closed={clerr_tcp.closed}, "
                       f"{time.monotonic() - clerr_sent:.1f}s)")
            clerr_tcp.close()
            self.novelsc_twice(phone, "alone")
            self.still_serving(phone)
        finally:
            for e in (phone, phone5050, uas, hop):
                if e is not None:
                    e.close()
            if self.proc is not None:
                H.stop(self.proc, graceful=True, timeout=5)
        self.check(self.proc.returncode == 0, f"duet stopped by SIGTERM with exit {self.proc.returncode}")

    def bcast_through_proxy(self, phone, uas):
        """§3.3.10's attack the other way round: a request whose Via names 255.255.255.255 (bcast's
        second Via) goes through duet, so the UAS's answer comes back with that Via under duet's. A
        proxy that followed the Via blindly would send it to the broadcast address; duet answers at
        the address the request came from (RFC 3261 §18.2.2: received), here 127.0.0.1:5060."""
        req = (b"OPTIONS sip:user@example.com SIP/2.0\r\n"
               b"Via: SIP/2.0/UDP 255.255.255.255;branch=z9hG4bK1saber23\r\n"
               b"To: sip:user@example.com\r\nFrom: sip:user@example.com;tag=11141343\r\n"
               b"Call-ID: bcast-via.rfc4475\r\nCSeq: 35 OPTIONS\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n")
        phone.send(req, (IP, self.port))
        r = wait_final(phone, by_call_id(b"bcast-via.rfc4475"), 2.0)
        fw = uas.requests.get(b"bcast-via.rfc4475", [])
        self.check(r is not None and r.status == 200 and len(fw) == 1 and len(fw[0].values(b"via")) == 2,
                   f"a request with a broadcast Via, forwarded: the answer came back to {phone.addr[0]}:5060 "
                   f"({r.start if r else 'no answer'})")

    def novelsc_twice(self, phone, step):
        """novelsc (§3.3.3) reuses unkscm's top Via (branch z9hG4bKkdjuw39234, host9.example.com) and
        CSeq method: by RFC 3261 §17.2.3 it is the same server transaction. Sent right after unkscm it
        is a retransmission: absorbed, unkscm's 416 sent again, nothing for novelsc's Call-ID. Sent
        once that transaction has ended (Timer J, 64*T1 = 3.2 s here), it is a request of its own:
        416 (duet routes no soap.beep URI; 404 would suit an element that routes some)."""
        unkscm = by_call_id(Msg(load("unkscm")).value(b"call-id"))
        novelsc = by_call_id(Msg(load("novelsc")).value(b"call-id"))
        if step == "absorbed":
            before = len(phone.responses(unkscm))
            self.unkscm_done = time.monotonic()
            phone.send(load("novelsc"), (IP, self.port))
            again, _ = H.poll(lambda: len(phone.responses(unkscm)) > before, 1.0, 0.01)
            self.check(again and not phone.responses(novelsc) and phone.responses(unkscm)[-1].status == 416,
                       "udp novelsc right after unkscm: absorbed as its retransmission (unkscm's 416 again)")
            return
        time.sleep(max(0.0, self.unkscm_done + 64 * 0.05 + 0.3 - time.monotonic()))
        phone.send(load("novelsc"), (IP, self.port))
        self.judge("udp", "novelsc", wait_final(phone, novelsc, 2.0), {416, 404}, None,
                   "soap.beep: 416 if never routable, 404 if some could be")

    def tcp_cases(self):
        for name, want in TCP_CASES.items():
            s = Stream(self.port)
            s.send(load(name))
            quiet = want == {NO_ANSWER} or KNOWN.get(("tcp", name), (0,))[0] is NO_ANSWER
            msgs = [m for m in s.read(0.3 if quiet else 2.0) if m.status >= 200]
            s.close()
            self.judge("tcp", name, msgs[0] if msgs else None, want, None, "stateless outcome, over TCP")
        # dblreq: on a stream the bytes are two messages, both handled: the REGISTER (200) and the
        # INVITE for joe@example.com, whom nobody registered (404, after a 100).
        s = Stream(self.port)
        s.send(load("dblreq"))
        msgs = []
        end = time.monotonic() + 2.0
        while len([m for m in msgs if m.status >= 200]) < 2 and time.monotonic() < end:
            msgs += s.read(end - time.monotonic())
        s.close()
        closed = s.wait_closed(1.0)
        finals = [(m.status, m.cseq_method()) for m in msgs if m.status >= 200]
        # Its INVITE's body is 155 bytes for a Content-Length of 150: the 5 left ("C\r\n\r\n") cannot
        # be framed, so duet closes the connection (§3.1.2.3). KNOWN ISSUE (transport): answers that
        # another worker produces (the REGISTER's owner, the location lookup) after that close are
        # lost, so with two workers either answer may be missing. Wrong or extra answers still fail.
        expected = [(200, "REGISTER"), (404, "INVITE")]
        self.check(closed and all(f in expected for f in finals) and finals == sorted(finals, key=expected.index),
                   f"tcp dblreq: framed as a REGISTER and an INVITE, answers {finals} (want 200 REGISTER, "
                   f"404 INVITE; KNOWN ISSUE: may be lost to the close), closed on the 5 bytes left: {closed}")
        # ncl and mcl01: a framing error on a stream cannot be recovered: 400, then the close.
        for name in ("ncl", "mcl01"):
            s = Stream(self.port)
            s.send(load(name))
            msgs = s.read(2.0)
            closed = s.wait_closed(2.0)
            s.close()
            first = msgs[0] if msgs else None
            self.check(first is not None and first.status == 400 and "Content-Length" in first.reason and closed,
                       f"tcp {name}: {first.status if first else 'no'} {first.reason if first else 'answer'}, "
                       f"connection closed: {closed}")

    def check_contents(self, got, uas, hop, phone):
        """What the answers and the forwarded requests hold, where the RFC says more than a code."""
        # wsinv: forwarded with its unknown headers unchanged, Max-Forwards decremented, body intact;
        # duet's own Route removed.
        fw = uas.requests.get(b"wsinv.ndaksdj@192.0.2.1", [])
        inv = [m for m in fw if m.method == "INVITE"]
        if inv:
            m = inv[0]
            self.check(m.value(b"unknownheaderwithunusualvalue") == b";;,,;;,;"
                       and m.value(b"max-forwards") == b"67" and len(m.body) == 150 and not m.values(b"route"),
                       "wsinv forwarded: UnknownHeaderWithUnusualValue unchanged, Max-Forwards 67, body 150, "
                       "no Route")
        else:
            self.fail("wsinv: the UAS never got the INVITE")
        # escruri: if forwarded, the escaped headers are not in the forwarded Request-URI or headers.
        fw = uas.requests.get(b"escruri.23940-asdfhj-aje3br-234q098w-fawerh2q-h4n5", [])
        for m in fw:
            self.check(b"Route" not in m.start and not m.values(b"route"),
                       f"escruri forwarded without the escaped Route: {m.start!r}")
        # dblreq over UDP: the INVITE octets are never handled.
        invite_id = b"dblreq.0ha0isnda977644900765@192.0.2.15"
        self.check(not phone.responses(by_call_id(invite_id)) and invite_id not in uas.requests,
                   "udp dblreq: nothing answered or forwarded for the INVITE after the REGISTER")
        # escnull: two bindings for the AOR with the NUL.
        r = got.get("escnull")
        if r is not None and r.status == 200:
            contacts = b",".join(r.values(b"contact"))
            self.check(b"sip:%00@host5.example.com" in contacts and b"sip:%00%00@host5.example.com" in contacts,
                       f"escnull: 200 lists both contacts ({contacts!r})")
        # escnull's AOR is "null-<NUL>-null": not cut short at the NUL, so "null-" has no binding.
        q = ("REGISTER sip:example.com SIP/2.0\r\n"
             f"Via: SIP/2.0/UDP {phone.addr[0]}:5060;branch=z9hG4bK-nullq\r\nMax-Forwards: 70\r\n"
             "From: <sip:null-@example.com>;tag=q1\r\nTo: <sip:null-@example.com>\r\n"
             "Call-ID: nullq@rfc4475\r\nCSeq: 1 REGISTER\r\nContent-Length: 0\r\n\r\n").encode()
        phone.send(q, (IP, self.port))
        r = wait_final(phone, by_call_id(b"nullq@rfc4475"), 2)
        self.check(r is not None and r.status == 200 and not r.values(b"contact"),
                   "escnull: a query for sip:null-@example.com finds no binding (AOR not cut at the NUL)")
        rows = self.registrations("")
        self.check(any(r["aor"].endswith("null-\x00-null@example.com") for r in rows),
                   f"escnull: GET /api/v1/registrations lists the AOR with its NUL ({len(rows)} bindings)")
        # bext01: Unsupported lists the Proxy-Require tags.
        r = got.get("bext01")
        if r is not None:
            uns = b",".join(r.values(b"unsupported"))
            self.check(b"noProxiesSupportThis" in uns and b"norDoAnyProxiesSupportThis" in uns,
                       f"bext01: Unsupported: {uns!r}")
        # regaut01 (a query by j.user) lists dblreq's binding.
        r = got.get("regaut01")
        if r is not None and r.status == 200:
            self.check(any(b"sip:j.user@host.example.com" in c for c in r.values(b"contact")),
                       "regaut01: the 200 lists the binding dblreq made")
        # cparam01/02: ;unknownparam is a contact-param in the first, a url-param in the second. The
        # two URIs are equal by RFC 3261 §19.1.4 (a parameter in one URI only is ignored), so the
        # second REGISTER updates the first binding; after it, the binding's URI carries the param.
        r1, r2 = got.get("cparam01"), got.get("cparam02")
        if r1 is not None and r1.status == 200:
            c1 = b",".join(r1.values(b"contact"))
            self.check(b"<sip:+19725552222@gw1.example.net>" in c1,
                       f"cparam01: binding URI without unknownparam ({c1!r})")
        if r2 is not None and r2.status == 200:
            c2 = b",".join(r2.values(b"contact"))
            self.check(b"<sip:+19725552222@gw1.example.net;unknownparam>" in c2,
                       f"cparam02: binding URI with unknownparam ({c2!r})")
            rows = [r["contact"] for r in self.registrations("watson@example.com")]
            self.check(rows == ["sip:+19725552222@gw1.example.net;unknownparam"],
                       f"cparam02: a later fetch lists the one binding, unknownparam in its URI ({rows})")
        r = got.get("regescrt")
        if r is not None and r.status == 200:
            self.check(any(b"sip:user@example.com?Route=%3Csip:sip.example.com%3E" in c for c in r.values(b"contact")),
                       "regescrt: the binding keeps its escaped Route header")
        # mpart01: the next hop got the body byte for byte (NULs and all).
        if hop is not None:
            fw = hop.requests.get(b"3d9485ad0c49859b@Zmx1ZmZ5LW1hYy0xNi5sb2NhbA..", [])
            want_body = load("mpart01")[-553:]
            self.check(len(fw) >= 1 and fw[0].body == want_body,
                       f"mpart01: the next hop at {IP}:5080 got the 553-byte body intact ({len(fw)} copies)")

    def still_serving(self, phone):
        self.check(self.proc.poll() is None, "duet still running after every message")
        req = ("REGISTER sip:example.com SIP/2.0\r\n"
               f"Via: SIP/2.0/UDP {phone.addr[0]}:5060;branch=z9hG4bK-alive\r\nMax-Forwards: 70\r\n"
               "From: <sip:alive@example.com>;tag=a1\r\nTo: <sip:alive@example.com>\r\n"
               "Call-ID: alive@rfc4475\r\nCSeq: 1 REGISTER\r\n"
               f"Contact: <sip:alive@{phone.addr[0]}:5060>\r\nExpires: 600\r\nContent-Length: 0\r\n\r\n").encode()
        phone.send(req, (IP, self.port))
        r = wait_final(phone, by_call_id(b"alive@rfc4475"), 2)
        self.check(r is not None and r.status == 200 and len(r.values(b"contact")) == 1,
                   f"a valid REGISTER afterwards: {r.start if r else 'no answer'}")
        s = Stream(self.port)
        s.send(req.replace(b"UDP", b"TCP").replace(b"z9hG4bK-alive", b"z9hG4bK-alive-tcp")
               .replace(b"CSeq: 1", b"CSeq: 2"))
        msgs = s.read(2)
        s.close()
        self.check(bool(msgs) and msgs[0].status == 200, "a valid REGISTER over TCP afterwards: "
                   + (msgs[0].start.decode() if msgs else "no answer"))


def main():
    if len(sys.argv) != 2:
        print(__doc__)
        return 2
    run = Run(os.path.abspath(sys.argv[1]))
    try:
        run.run()
    except Failure as e:
        run.fail(str(e))
    except Exception as e:  # noqa: BLE001 - any error ends the test with its reason
        run.fail(f"{type(e).__name__}: {e}")
    passed = sum(1 for r in run.results if r[4])
    print(f"\n{passed}/{len(run.results)} message outcomes as expected; {len(run.failures)} failed checks")
    if run.failures:
        H.log_tails(run.tmp, ["duet"], 40)
        print(f"FAIL (work dir kept: {run.tmp})")
        return 1
    import shutil
    shutil.rmtree(run.tmp, ignore_errors=True)
    print(f"PASS ({time.monotonic() - T0:.1f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
