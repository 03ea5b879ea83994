"""A TLS 1.3 client (OpenSSL through Python's ssl, over a kernel TCP socket) that tampers with
its own record on the wire, as an on-path attacker that also fixes the TCP checksum would.

usage: tls_bitflip_client.py HOST PORT REQUESTS INTERVAL_S
Handshakes, then sends REQUESTS GETs spaced by INTERVAL_S (each answer checked), prints
'ready PORT' and waits for a line on stdin. Then it seals one more GET, flips one bit in the
record's ciphertext and sends the record. It reports what came back:
  'answered N'      requests answered correctly before the flip
  'alert REASON'    the TLS alert OpenSSL decrypted (or 'alert none')
  'after_flip B'    HTTP bytes received after the flip (must be 0: never accepted)
  'closed HOW'      eof, reset, or open (nothing within 10 s)
"""
import socket, ssl, sys, time

host, port, requests, interval = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4])
GET = b"GET / HTTP/1.1\r\nHost: capybara\r\n\r\n"
BODY = b"Hello from Capybara-J\n"

ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
ctx.check_hostname = False
ctx.verify_mode = ssl.CERT_NONE
ctx.minimum_version = ssl.TLSVersion.TLSv1_3
sock = socket.create_connection((host, port), timeout=10)
incoming, outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
tls = ctx.wrap_bio(incoming, outgoing)


def flush():
    data = outgoing.read()
    if data:
        sock.sendall(data)


def feed():
    data = sock.recv(65536)
    if not data:
        raise EOFError()
    incoming.write(data)


while True:
    try:
        tls.do_handshake()
        break
    except ssl.SSLWantReadError:
        flush()
        feed()
flush()


def response():
    """One whole HTTP response (Content-Length framing)."""
    buf = b""
    while True:
        try:
            buf += tls.read(65536)
        except ssl.SSLWantReadError:
            feed()
            continue
        head, sep, rest = buf.partition(b"\r\n\r\n")
        if sep:
            length = 0
            for line in head.split(b"\r\n")[1:]:
                name, _, value = line.partition(b":")
                if name.strip().lower() == b"content-length":
                    length = int(value.strip())
            if len(rest) >= length:
                return head, rest[:length]


answered = 0
for i in range(requests):
    tls.write(GET)
    flush()
    head, body = response()
    if head.startswith(b"HTTP/1.1 200") and body == BODY:
        answered += 1
    time.sleep(interval)
print("answered %d" % answered, flush=True)
print("ready %d" % sock.getsockname()[1], flush=True)
sys.stdin.readline()

tls.write(GET)
record = bytearray(outgoing.read())
assert record[0] == 23 and len(record) > 5 + 16, record[:5]
record[5 + (len(record) - 5) // 2] ^= 0x08  # one bit of the ciphertext, not the header
sock.sendall(record)

alert, after, closed = "none", 0, "open"
sock.settimeout(10)
try:
    while True:
        try:
            after += len(tls.read(65536))
        except ssl.SSLWantReadError:
            feed()
except ssl.SSLError as e:
    alert = e.reason or str(e)
except EOFError:
    closed = "eof"
except ConnectionResetError:
    closed = "reset"
except socket.timeout:
    closed = "open"
if closed == "open" and alert != "none":
    # after the alert: the server must also close the connection
    try:
        while sock.recv(65536):
            pass
        closed = "eof"
    except ConnectionResetError:
        closed = "reset"
    except socket.timeout:
        closed = "open"
print("alert %s" % alert, flush=True)
print("after_flip %d" % after, flush=True)
print("closed %s" % closed, flush=True)
