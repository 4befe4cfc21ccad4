#!/usr/bin/env python3
"""A hostile gRPC client on raw HTTP/2 (Python stdlib only): each stream announces a large
message (the 5-byte gRPC length prefix) on Attestation/Attest and then sends its bytes as fast
as the server's flow control lets it ("fast") or one byte per interval ("slow"), never
finishing. It records, per stream, how and when the server ended it and how many bytes it had
taken, and samples the server's VmRSS meanwhile. Loopback addresses only.

  h2_flood.py --addr 127.0.0.1:PORT [--tls-ca CA --tls-cert CERT --tls-key KEY]
              [--fast-connections 16 --streams-per-connection 4] [--slow-connections 4]
              [--announce 1073741824] [--pid PID] [--wait 120] --out result.json

The result (JSON): {"streams": [{"mode", "connection", "stream", "sent", "ended_after_s",
"how", "grpc_status", "grpc_message", "rst_code"}], "rss_peak_kib", "rss_samples",
"elapsed_s"}. "how" is "trailers" (a gRPC status), "rst_stream", "goaway", "closed" (the
connection ended) or "open" (nothing within --wait).
"""
import argparse
import json
import os
import select
import socket
import ssl
import struct
import sys
import threading
import time

PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
DATA, HEADERS, RST_STREAM, SETTINGS, PING, GOAWAY, WINDOW_UPDATE, CONTINUATION = (
    0, 1, 3, 4, 6, 7, 8, 9)
END_STREAM, ACK, END_HEADERS, PADDED, PRIORITY_FLAG = 0x1, 0x1, 0x4, 0x8, 0x20
SETTINGS_INITIAL_WINDOW_SIZE, SETTINGS_MAX_FRAME_SIZE = 4, 5

# RFC 7541 Appendix A (names and values; only what a gRPC server's responses need to decode).
STATIC_TABLE = [
    (":authority", ""), (":method", "GET"), (":method", "POST"), (":path", "/"),
    (":path", "/index.html"), (":scheme", "http"), (":scheme", "https"), (":status", "200"),
    (":status", "204"), (":status", "206"), (":status", "304"), (":status", "400"),
    (":status", "404"), (":status", "500"), ("accept-charset", ""),
    ("accept-encoding", "gzip, deflate"), ("accept-language", ""), ("accept-ranges", ""),
    ("accept", ""), ("access-control-allow-origin", ""), ("age", ""), ("allow", ""),
    ("authorization", ""), ("cache-control", ""), ("content-disposition", ""),
    ("content-encoding", ""), ("content-language", ""), ("content-length", ""),
    ("content-location", ""), ("content-range", ""), ("content-type", ""), ("cookie", ""),
    ("date", ""), ("etag", ""), ("expect", ""), ("expires", ""), ("from", ""), ("host", ""),
    ("if-match", ""), ("if-modified-since", ""), ("if-none-match", ""), ("if-range", ""),
    ("if-unmodified-since", ""), ("last-modified", ""), ("link", ""), ("location", ""),
    ("max-forwards", ""), ("proxy-authenticate", ""), ("proxy-authorization", ""),
    ("range", ""), ("referer", ""), ("refresh", ""), ("retry-after", ""), ("server", ""),
    ("set-cookie", ""), ("strict-transport-security", ""), ("transfer-encoding", ""),
    ("user-agent", ""), ("vary", ""), ("via", ""), ("www-authenticate", "")]


def hpack_int(value, prefix_bits, first_byte_flags=0):
    limit = (1 << prefix_bits) - 1
    if value < limit:
        return bytes([first_byte_flags | value])
    out = bytearray([first_byte_flags | limit])
    value -= limit
    while value >= 128:
        out.append((value & 0x7F) | 0x80)
        value >>= 7
    out.append(value)
    return bytes(out)


def hpack_literal(name, value):
    """Literal header field without indexing, new name, no Huffman (RFC 7541 6.2.2)."""
    n, v = name.encode(), value.encode()
    return b"\x00" + hpack_int(len(n), 7) + n + hpack_int(len(v), 7) + v


class HpackDecoder:
    """Enough of RFC 7541 for a gRPC server's headers and trailers. Huffman-coded strings are
    kept as "<huffman>" (gRPC core sends status and message as raw literals)."""

    def __init__(self):
        self.dynamic = []  # newest first
        self.size = 0
        self.max_size = 4096

    def _int(self, data, i, prefix_bits):
        limit = (1 << prefix_bits) - 1
        value = data[i] & limit
        i += 1
        if value < limit:
            return value, i
        shift = 0
        while True:
            b = data[i]
            i += 1
            value += (b & 0x7F) << shift
            shift += 7
            if not b & 0x80:
                return value, i

    def _string(self, data, i):
        huffman = data[i] & 0x80
        length, i = self._int(data, i, 7)
        raw = bytes(data[i:i + length])
        return ("<huffman>" if huffman else raw.decode("latin-1")), i + length, length

    def _entry(self, index):
        if index <= len(STATIC_TABLE):
            return STATIC_TABLE[index - 1]
        return self.dynamic[index - len(STATIC_TABLE) - 1][:2]

    def _add(self, name, value, raw_size):
        entry_size = raw_size + 32
        self.dynamic.insert(0, (name, value, entry_size))
        self.size += entry_size
        self._evict()

    def _evict(self):
        while self.size > self.max_size and self.dynamic:
            self.size -= self.dynamic.pop()[2]

    def decode(self, data):
        headers, i = [], 0
        while i < len(data):
            b = data[i]
            if b & 0x80:  # indexed
                index, i = self._int(data, i, 7)
                headers.append(self._entry(index))
            elif b & 0x40 or (b & 0xF0) in (0x00, 0x10):  # literal
                incremental = bool(b & 0x40)
                index, i = self._int(data, i, 6 if incremental else 4)
                if index:
                    name = self._entry(index)[0]
                    name_size = len(name)
                else:
                    name, i, name_size = self._string(data, i)
                value, i, value_size = self._string(data, i)
                headers.append((name, value))
                if incremental:
                    self._add(name, value, name_size + value_size)
            else:  # dynamic table size update
                self.max_size, i = self._int(data, i, 5)
                self._evict()
        return headers


class Stream:
    def __init__(self, mode, connection, stream_id):
        self.mode, self.connection, self.id = mode, connection, stream_id
        self.sent = 0  # message bytes (after the 5-byte prefix) accepted by the socket
        self.window = 65535
        self.ended_after = None
        self.how = "open"
        self.grpc_status = None
        self.grpc_message = None
        self.rst_code = None

    def end(self, how, started, **fields):
        if self.ended_after is not None:
            return
        self.ended_after = time.monotonic() - started
        self.how = how
        for k, v in fields.items():
            setattr(self, k, v)

    def record(self):
        return {"mode": self.mode, "connection": self.connection, "stream": self.id,
                "sent": self.sent,
                "ended_after_s": None if self.ended_after is None else round(self.ended_after, 3),
                "how": self.how, "grpc_status": self.grpc_status,
                "grpc_message": self.grpc_message, "rst_code": self.rst_code}


class Connection:
    def __init__(self, args, index, mode, nstreams, started):
        self.args, self.index, self.mode, self.started = args, index, mode, started
        self.decoder = HpackDecoder()
        self.window = 65535
        self.initial_window = 65535
        self.max_frame = 16384
        self.inbuf = bytearray()
        self.outbuf = bytearray()
        self.closed = False
        self.header_block = None  # (stream id, bytes, end_stream) while CONTINUATION follows
        self.streams = {}
        host, port = args.addr.rsplit(":", 1)
        if not (host.startswith("127.") or host in ("localhost", "[::1]", "::1")):
            raise SystemExit(f"h2_flood: {args.addr} is not a loopback address")
        sock = socket.create_connection((host, int(port)))
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        if args.tls_ca:
            ctx = ssl.create_default_context(cafile=args.tls_ca)
            ctx.set_alpn_protocols(["h2"])
            if args.tls_cert:
                ctx.load_cert_chain(args.tls_cert, args.tls_key)
            sock = ctx.wrap_socket(sock, server_hostname=host)
            self.scheme = "https"
        else:
            self.scheme = "http"
        self.sock = sock
        self.authority = args.addr
        self.queue(PREFACE)
        self.frame(SETTINGS, 0, 0, struct.pack(">HI", SETTINGS_INITIAL_WINDOW_SIZE, 1 << 20))
        for k in range(nstreams):
            self.open_stream(2 * k + 1)
        self.flush_blocking()
        sock.setblocking(False)

    def queue(self, data):
        self.outbuf += data

    def frame(self, ftype, flags, stream_id, payload):
        self.queue(struct.pack(">I", len(payload))[1:] +
                   struct.pack(">BBI", ftype, flags, stream_id) + payload)

    def open_stream(self, stream_id):
        block = b"".join([
            hpack_literal(":method", "POST"), hpack_literal(":scheme", self.scheme),
            hpack_literal(":path", self.args.path),
            hpack_literal(":authority", self.authority),
            hpack_literal("content-type", "application/grpc"), hpack_literal("te", "trailers")])
        self.frame(HEADERS, END_HEADERS, stream_id, block)
        s = Stream(self.mode, self.index, stream_id)
        self.streams[stream_id] = s
        # The gRPC message prefix: uncompressed, announced length. Sent as the first DATA.
        self.pending_prefix = getattr(self, "pending_prefix", {})
        self.pending_prefix[stream_id] = b"\x00" + struct.pack(">I", self.args.announce)

    def flush_blocking(self):
        while self.outbuf:
            n = self.sock.send(self.outbuf)
            del self.outbuf[:n]

    def flush(self):
        """Writes what the socket takes now; True when everything was written."""
        while self.outbuf:
            try:
                n = self.sock.send(self.outbuf)
            except (ssl.SSLWantWriteError, BlockingIOError):
                return False
            except ssl.SSLWantReadError:
                return False
            del self.outbuf[:n]
        return True

    def open_streams(self):
        return [s for s in self.streams.values() if s.ended_after is None]

    def send_data(self, s, payload):
        self.frame(DATA, 0, s.id, payload)
        self.window -= len(payload)
        s.window -= len(payload)

    def fill(self, budget):
        """Queues DATA for open streams within the flow-control windows, at most budget bytes."""
        queued = 0
        for s in self.open_streams():
            prefix = self.pending_prefix.pop(s.id, None)
            if prefix is not None:
                if min(self.window, s.window) < len(prefix):
                    self.pending_prefix[s.id] = prefix
                    continue
                self.send_data(s, prefix)
            while queued < budget:
                n = min(self.window, s.window, self.max_frame, budget - queued,
                        self.args.announce - s.sent)
                if n <= 0:
                    break
                self.send_data(s, bytes(n))
                s.sent += n
                queued += n
        return queued

    def trickle(self):
        for s in self.open_streams():
            prefix = self.pending_prefix.pop(s.id, None)
            if prefix is not None:
                self.send_data(s, prefix)
            elif min(self.window, s.window) >= 1 and s.sent < self.args.announce:
                self.send_data(s, b"\x00")
                s.sent += 1

    def end_all(self, how, **fields):
        for s in self.open_streams():
            s.end(how, self.started, **fields)
        self.closed = True

    def read(self):
        try:
            while True:
                chunk = self.sock.recv(65536)
                if not chunk:
                    self.end_all("closed")
                    return
                self.inbuf += chunk
        except (BlockingIOError, ssl.SSLWantReadError, ssl.SSLWantWriteError):
            pass
        except (ConnectionResetError, BrokenPipeError, ssl.SSLError, OSError):
            self.end_all("closed")
            return
        self.parse()

    def parse(self):
        while len(self.inbuf) >= 9:
            length = int.from_bytes(self.inbuf[0:3], "big")
            if len(self.inbuf) < 9 + length:
                return
            ftype, flags = self.inbuf[3], self.inbuf[4]
            stream_id = int.from_bytes(self.inbuf[5:9], "big") & 0x7FFFFFFF
            payload = bytes(self.inbuf[9:9 + length])
            del self.inbuf[:9 + length]
            self.on_frame(ftype, flags, stream_id, payload)

    def on_frame(self, ftype, flags, stream_id, payload):
        s = self.streams.get(stream_id)
        if ftype == SETTINGS and not flags & ACK:
            for k in range(0, len(payload), 6):
                ident, value = struct.unpack(">HI", payload[k:k + 6])
                if ident == SETTINGS_INITIAL_WINDOW_SIZE:
                    for st in self.streams.values():
                        st.window += value - self.initial_window
                    self.initial_window = value
                elif ident == SETTINGS_MAX_FRAME_SIZE:
                    self.max_frame = value
            self.frame(SETTINGS, ACK, 0, b"")
        elif ftype == PING and not flags & ACK:
            self.frame(PING, ACK, 0, payload)
        elif ftype == WINDOW_UPDATE:
            increment = struct.unpack(">I", payload)[0] & 0x7FFFFFFF
            if stream_id == 0:
                self.window += increment
            elif s is not None:
                s.window += increment
        elif ftype == RST_STREAM and s is not None:
            s.end("rst_stream", self.started, rst_code=struct.unpack(">I", payload)[0])
        elif ftype == GOAWAY:
            last_id, code = struct.unpack(">II", payload[:8])
            for st in self.open_streams():
                if st.id > (last_id & 0x7FFFFFFF) or code != 0:
                    st.end("goaway", self.started, rst_code=code)
        elif ftype in (HEADERS, CONTINUATION):
            if ftype == HEADERS:
                if flags & PADDED:
                    payload = payload[1:len(payload) - payload[0]]
                if flags & PRIORITY_FLAG:
                    payload = payload[5:]
                self.header_block = (stream_id, bytearray(payload), bool(flags & END_STREAM))
            elif self.header_block is not None:
                self.header_block[1].extend(payload)
            if flags & END_HEADERS and self.header_block is not None:
                sid, block, end_stream = self.header_block
                self.header_block = None
                headers = dict(self.decoder.decode(block))
                st = self.streams.get(sid)
                if st is not None and (end_stream or "grpc-status" in headers):
                    st.end("trailers", self.started,
                           grpc_status=int(headers["grpc-status"])
                           if headers.get("grpc-status", "").isdigit() else None,
                           grpc_message=headers.get("grpc-message"))


def sample_rss(pid, samples, stop):
    while not stop.is_set():
        try:
            with open(f"/proc/{pid}/status") as f:
                for line in f:
                    if line.startswith("VmRSS:"):
                        samples.append((time.monotonic(), int(line.split()[1])))
        except OSError:
            return
        stop.wait(0.05)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--addr", required=True)
    p.add_argument("--tls-ca")
    p.add_argument("--tls-cert")
    p.add_argument("--tls-key")
    p.add_argument("--fast-connections", type=int, default=16)
    p.add_argument("--streams-per-connection", type=int, default=4)
    p.add_argument("--slow-connections", type=int, default=4)
    p.add_argument("--slow-interval", type=float, default=1.0)
    p.add_argument("--announce", type=int, default=1 << 30)
    p.add_argument("--path", default="/bootgate.v1.Attestation/Attest")
    p.add_argument("--pid", type=int)
    p.add_argument("--wait", type=float, default=120.0)
    p.add_argument("--out", required=True)
    args = p.parse_args()

    started = time.monotonic()
    samples, stop = [], threading.Event()
    sampler = None
    if args.pid:
        sampler = threading.Thread(target=sample_rss, args=(args.pid, samples, stop), daemon=True)
        sampler.start()
    connections = []
    # The slow senders first: a server that reads a bounded number of requests at once starts
    # with theirs (and then has to end them by its receive deadline).
    for k in range(args.slow_connections):
        connections.append(Connection(args, len(connections), "slow", 1, started))
    time.sleep(0.2)
    for k in range(args.fast_connections):
        connections.append(Connection(args, len(connections), "fast",
                                      args.streams_per_connection, started))

    next_trickle = time.monotonic()
    deadline = started + args.wait
    while time.monotonic() < deadline:
        live = [c for c in connections if not c.closed and c.open_streams()]
        if not live:
            break
        now = time.monotonic()
        if now >= next_trickle:
            for c in live:
                if c.mode == "slow":
                    c.trickle()
            next_trickle = now + args.slow_interval
        for c in live:
            if c.mode == "fast" and len(c.outbuf) < (1 << 20):
                c.fill(1 << 20)
        readers = [c.sock for c in live]
        writers = [c.sock for c in live if c.outbuf]
        timeout = max(0.0, min(next_trickle - time.monotonic(), 0.2))
        r, w, _ = select.select(readers, writers, [], timeout)
        for c in live:
            if c.sock in w or c.outbuf:
                try:
                    c.flush()
                except (ConnectionResetError, BrokenPipeError, ssl.SSLError, OSError):
                    c.end_all("closed")
            if c.sock in r or (isinstance(c.sock, ssl.SSLSocket) and c.sock.pending()):
                c.read()
    elapsed = time.monotonic() - started
    stop.set()
    if sampler:
        sampler.join()
    for c in connections:
        try:
            c.sock.close()
        except OSError:
            pass
    result = {
        "streams": [s.record() for c in connections for s in c.streams.values()],
        "rss_peak_kib": max((kib for _, kib in samples), default=None),
        "rss_samples": len(samples),
        "elapsed_s": round(elapsed, 3),
    }
    with open(args.out, "w") as f:
        json.dump(result, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
