"""Open-loop HTTP load with a load step, for `eval policy --processes` (SIGCOMM'26 Fig. 8 shape).

usage: policy_client.py HOST0 HOST1 PORT CONNECTIONS SECONDS STEP_S LOW_RPS HIGH_RPS SKEW SEED WINDOW_MS

Connection i goes to HOST(i % 2). Request rates are Zipf(SKEW) over connections, alternating
between the servers, scaled so each server is offered LOW_RPS; from STEP_S on, the even
connections (server 0's) speed up so that server 0 is offered HIGH_RPS. Arrivals are Poisson
per connection, scheduled in advance (seeded) and sent when due whatever the responses
(pipelined on keep-alive): latency is measured from the scheduled time, so a queue anywhere
(client socket, network, server) counts. Prints 'ready', then per window
'w END_MS RESPONSES P99_US', then 'total RESPONSES P99_US ERRORS SENT'.
"""
import random, selectors, socket, sys, time

(h0, h1, port, conns, seconds, step_s, low, high, skew, seed, window_ms) = sys.argv[1:12]
port, conns, seed = int(port), int(conns), int(seed)
seconds, step_s, low, high, skew, window = float(seconds), float(step_s), float(low), float(high), float(skew), float(window_ms) / 1000
zipf = [(i + 1) ** -skew for i in range(conns)]
per = [sum(zipf[i] for i in range(conns) if i % 2 == s) for s in (0, 1)]
base = [zipf[i] / per[i % 2] * low for i in range(conns)]
extra = [zipf[i] / per[0] * (high - low) if i % 2 == 0 else 0.0 for i in range(conns)]

rnd = random.Random(seed)
arrivals = []  # (time, connection)
for i in range(conns):
    t = 0.0
    while True:
        rate = base[i] + (extra[i] if t >= step_s else 0.0)
        t += rnd.expovariate(rate)
        if t >= seconds:
            break
        arrivals.append((t, i))
arrivals.sort()

REQ = b"GET / HTTP/1.1\r\nHost: rack\r\n\r\n"
sel = selectors.DefaultSelector()
socks, inflight, rbuf = [], [], []
for i in range(conns):
    s = socket.create_connection((h0 if i % 2 == 0 else h1, port), timeout=10)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    s.setblocking(False)
    socks.append(s)
    inflight.append([])
    rbuf.append(bytearray())
    sel.register(s, selectors.EVENT_READ, i)
print("ready", flush=True)

def p99(xs):
    if not xs:
        return 0.0
    xs.sort()
    return xs[min(len(xs) - 1, int(0.99 * len(xs)))] * 1e6

start = time.monotonic()
nxt, errors, sent, done = 0, 0, 0, 0
lat_all, lat_win = [], []
win_end = window
pending_out = [bytearray() for _ in range(conns)]
while True:
    now = time.monotonic() - start
    while nxt < len(arrivals) and arrivals[nxt][0] <= now:
        t, i = arrivals[nxt]
        nxt += 1
        inflight[i].append(t)
        pending_out[i] += REQ
        sent += 1
    for i in range(conns):
        if pending_out[i]:
            try:
                n = socks[i].send(pending_out[i])
                del pending_out[i][:n]
            except BlockingIOError:
                pass
            except OSError:
                errors += 1
                pending_out[i].clear()
    if now >= win_end:
        print("w %d %d %.1f" % (round(win_end * 1000), len(lat_win), p99(lat_win)), flush=True)
        lat_win = []
        win_end += window
    outstanding = sum(len(x) for x in inflight)
    if nxt >= len(arrivals) and (outstanding == 0 or now > seconds + 10):
        errors += outstanding
        break
    wait = 0.0005
    if nxt < len(arrivals):
        wait = max(0.0, min(wait, arrivals[nxt][0] - now))
    for key, _ in sel.select(timeout=wait):
        i = key.data
        try:
            chunk = socks[i].recv(65536)
        except BlockingIOError:
            continue
        except OSError:
            chunk = b""
        if not chunk:
            errors += len(inflight[i])
            inflight[i] = []
            sel.unregister(socks[i])
            continue
        b = rbuf[i]
        b += chunk
        t_now = time.monotonic() - start
        while True:
            head = b.find(b"\r\n\r\n")
            if head < 0:
                break
            length = 0
            for line in bytes(b[:head]).split(b"\r\n")[1:]:
                k, _, v = line.partition(b":")
                if k.strip().lower() == b"content-length":
                    length = int(v.strip())
            if len(b) < head + 4 + length:
                break
            status = b[9:12]
            del b[:head + 4 + length]
            if not inflight[i]:
                errors += 1
                continue
            t = inflight[i].pop(0)
            if status != b"200":
                errors += 1
                continue
            lat = t_now - t
            lat_all.append(lat)
            lat_win.append(lat)
            done += 1
print("total %d %.1f %d %d" % (done, p99(lat_all), errors, sent), flush=True)
