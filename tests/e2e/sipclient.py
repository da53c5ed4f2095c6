"""A small SIP client for the end-to-end tests: sends one request over UDP, TCP or TLS and reads the
response, so a test can check the bindings duet reports (the Contacts of a query REGISTER's 200)
without SIPp, and can speak TLS, which Debian's SIPp is built without."""

import re
import socket
import ssl
import uuid

CONTACT_RE = re.compile(r"<([^>]+)>\s*;\s*expires=(\d+)")


class Response:
    def __init__(self, raw):
        self.raw = raw
        head, _, self.body = raw.partition("\r\n\r\n")
        lines = head.split("\r\n")
        parts = lines[0].split(" ", 2)
        if len(parts) < 2 or parts[0] != "SIP/2.0":
            raise ValueError(f"not a SIP response: {lines[0]!r}")
        self.status = int(parts[1])
        self.headers = []
        for line in lines[1:]:
            name, _, value = line.partition(":")
            self.headers.append((name.strip().lower(), value.strip()))

    def values(self, name):
        return [v for n, v in self.headers if n == name.lower()]

    def contacts(self):
        """(uri, expires) for every binding listed, in order."""
        out = []
        for v in self.values("contact"):
            out.extend((m.group(1), int(m.group(2))) for m in CONTACT_RE.finditer(v))
        return out


class Client:
    """One socket to duet. For TLS pass an ssl context; the server certificate is not checked."""

    def __init__(self, proto, host, port, local_host="127.0.0.1", timeout=3.0):
        self.proto = proto
        self.remote = (host, port)
        self.timeout = timeout
        if proto == "udp":
            self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            self.sock.bind((local_host, 0))
        else:
            raw = socket.create_connection(self.remote, timeout=timeout, source_address=(local_host, 0))
            if proto == "tls":
                ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
                ctx.check_hostname = False
                ctx.verify_mode = ssl.CERT_NONE
                raw = ctx.wrap_socket(raw, server_hostname=host)
            self.sock = raw
        self.sock.settimeout(timeout)
        self.local = self.sock.getsockname()
        self.buf = b""
        self.cseq = 0

    def close(self):
        self.sock.close()

    def request(self, method, ruri, to_uri, extra_headers=(), call_id=None, cseq=None):
        self.cseq = cseq if cseq is not None else self.cseq + 1
        call_id = call_id or uuid.uuid4().hex
        via_proto = self.proto.upper()
        lines = [
            f"{method} {ruri} SIP/2.0",
            f"Via: SIP/2.0/{via_proto} {self.local[0]}:{self.local[1]};branch=z9hG4bK{uuid.uuid4().hex};rport",
            "Max-Forwards: 70",
            f"From: <{to_uri}>;tag={uuid.uuid4().hex[:10]}",
            f"To: <{to_uri}>",
            f"Call-ID: {call_id}",
            f"CSeq: {self.cseq} {method}",
            *extra_headers,
            "Content-Length: 0",
            "",
            "",
        ]
        data = "\r\n".join(lines).encode()
        if self.proto == "udp":
            self.sock.sendto(data, self.remote)
            for _ in range(3):  # one retransmission window per try; loopback rarely loses
                try:
                    raw, _ = self.sock.recvfrom(65535)
                    return Response(raw.decode())
                except socket.timeout:
                    self.sock.sendto(data, self.remote)
            raise TimeoutError(f"no answer to {method} over UDP")
        self.sock.sendall(data)
        return Response(self._read_stream_message())

    def _read_stream_message(self):
        while True:
            end = self.buf.find(b"\r\n\r\n")
            if end >= 0:
                m = re.search(rb"\r\n(?:content-length|l)\s*:\s*(\d+)", self.buf[:end], re.I)
                total = end + 4 + (int(m.group(1)) if m else 0)
                if len(self.buf) >= total:
                    msg, self.buf = self.buf[:total], self.buf[total:]
                    return msg.decode()
            chunk = self.sock.recv(65536)
            if not chunk:
                raise ConnectionError("duet closed the connection")
            self.buf += chunk

    def register(self, user, domain, contacts=(), expires=None, call_id=None, cseq=None, extra=()):
        hdrs = [f"Contact: {c}" for c in contacts]
        if expires is not None:
            hdrs.append(f"Expires: {expires}")
        return self.request("REGISTER", f"sip:{domain}", f"sip:{user}@{domain}", [*hdrs, *extra],
                            call_id=call_id, cseq=cseq)

    def query(self, user, domain):
        return self.register(user, domain)
