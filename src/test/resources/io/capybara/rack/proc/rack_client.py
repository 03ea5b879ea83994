"""Byte-exact echo client for the process-rack tests.

usage: rack_client.py HOST PORT CONNECTIONS SECONDS SEED
Each connection, in its own thread, repeatedly uploads a random number of random bytes
(seeded) while reading the echo back, and compares every byte. A connection that sees a
reset, EOF or no progress for 5 s is 'lost'; one that gets a wrong byte is 'bad'.
Prints 'ports P1 P2 ...' once all are connected, then a 'conn ...' line per connection.
"""
import random, socket, sys, threading, time

host, port, conns, seconds, seed = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4]), int(sys.argv[5])
start = time.monotonic()
stats = [dict(port=0, rounds=0, bytes=0, bad=0, lost=None, last_ok=-1.0) for _ in range(conns)]
socks = []
for i in range(conns):
    s = socket.create_connection((host, port), timeout=10)
    s.settimeout(5)
    stats[i]['port'] = s.getsockname()[1]
    socks.append(s)
print("ports " + " ".join(str(st['port']) for st in stats), flush=True)


def worker(i):
    rnd = random.Random(seed * 1000 + i)
    s, st = socks[i], stats[i]
    while time.monotonic() - start < seconds:
        n = min(300_000, int(rnd.expovariate(1 / 30_000)) + 1)
        data = rnd.randbytes(n)
        err = []

        def send():
            try:
                s.sendall(data)
            except Exception as e:  # noqa: BLE001 - reported as lost below
                err.append(repr(e))

        t = threading.Thread(target=send)
        t.start()
        got = bytearray()
        try:
            while len(got) < n:
                chunk = s.recv(min(65536, n - len(got)))
                if not chunk:
                    raise EOFError("connection closed")
                got += chunk
        except Exception as e:  # noqa: BLE001
            st['lost'] = repr(e)
            t.join(6)
            return
        t.join()
        if err:
            st['lost'] = err[0]
            return
        if bytes(got) != data:
            st['bad'] += 1
            st['lost'] = "wrong bytes"
            return
        st['rounds'] += 1
        st['bytes'] += n
        st['last_ok'] = round(time.monotonic() - start, 3)
    s.close()


threads = [threading.Thread(target=worker, args=(i,)) for i in range(conns)]
for t in threads:
    t.start()
for t in threads:
    t.join()
for st in stats:
    # conn PORT ROUNDS BYTES BAD LAST_OK LOST(0/1) REASON
    print("conn %d %d %d %d %.3f %d %s" % (st['port'], st['rounds'], st['bytes'], st['bad'], st['last_ok'],
                                            0 if st['lost'] is None else 1, (st['lost'] or '-').replace(' ', '_')))
print("elapsed %.3f" % (time.monotonic() - start), flush=True)
