package io.capybara.tor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.capybara.io.FrameChannel;
import io.capybara.io.linux.NetAdmin;
import io.capybara.io.linux.Topology;
import io.capybara.wire.MacAddress;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

/**
 * The switch on real ports: two Linux kernels in their own namespaces, each behind a TAP port,
 * talk TCP to each other only through the Java switch (it answers their ARP and forwards by IP).
 */
class SwitchOnTapTest {
    @Test
    void twoKernelsTalkTcpThroughTheSwitch() throws Exception {
        NetAdmin.assumeNetAdminAnd("python3");
        try (Topology topo = Topology.create()) {
            String ns1 = topo.namespace();
            String ns2 = topo.namespace();
            Topology.TapLink t1 = topo.tap(ns1);
            Topology.TapLink t2 = topo.tap(ns2);
            long mac1 = MacAddress.parse(topo.run(ns1, "cat", "/sys/class/net/" + t1.name() + "/address").trim());
            long mac2 = MacAddress.parse(topo.run(ns2, "cat", "/sys/class/net/" + t2.name() + "/address").trim());
            // each kernel reaches the other's address over its TAP, through the switch
            topo.run(ns1, "ip", "route", "add", Topology.ipv4(t2.kernelAddress()) + "/32", "dev", t1.name());
            topo.run(ns2, "ip", "route", "add", Topology.ipv4(t1.kernelAddress()) + "/32", "dev", t2.name());
            SwitchConfig cfg = SwitchConfig.of(t1.hostAddress(), 0x02CA00000001L, List.of(
                    new SwitchConfig.Host(t1.kernelAddress(), mac1, 0, false),
                    new SwitchConfig.Host(t2.kernelAddress(), mac2, 1, false)));
            TorSwitch sw = new TorSwitch(cfg, new FrameChannel[] {t1.channel(), t2.channel()});
            AtomicBoolean run = new AtomicBoolean(true);
            Thread loop = new Thread(() -> {
                while (run.get()) {
                    if (sw.poll(System.nanoTime()) == 0) {
                        Thread.onSpinWait();
                    }
                }
            });
            loop.start();
            try {
                String server = "import socket\n"
                        + "s=socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)\n"
                        + "s.bind(('0.0.0.0', 7000)); s.listen(1); c,_=s.accept(); n=0\n"
                        + "while True:\n  d=c.recv(65536)\n  if not d: break\n  c.sendall(d); n+=len(d)\n"
                        + "c.close()\n";
                topo.start(ns2, "python3", "-c", server);
                String client = "import socket,time,hashlib\n"
                        + "for i in range(50):\n"
                        + "  try:\n    s=socket.create_connection(('" + Topology.ipv4(t2.kernelAddress())
                        + "', 7000), timeout=5); break\n  except OSError: time.sleep(0.1)\n"
                        + "data=bytes((i*7)%256 for i in range(1000000)); s.sendall(data); s.shutdown(socket.SHUT_WR)\n"
                        + "got=b''\nwhile True:\n  d=s.recv(65536)\n  if not d: break\n  got+=d\n"
                        + "print('echo-ok' if got==data else 'echo-mismatch %d' % len(got))\n";
                String out = topo.run(ns1, "python3", "-c", client);
                assertTrue(out.contains("echo-ok"), "kernel-to-kernel echo through the switch: " + out + " " + sw.counters());
            } finally {
                run.set(false);
                loop.join();
            }
            assertTrue(sw.counter(SwitchCounter.ARP_ANSWERED) >= 2, sw.counters().toString());
            assertTrue(sw.counter(SwitchCounter.FORWARDED) > 100, sw.counters().toString());
            assertEquals(0, sw.counter(SwitchCounter.DROP_MALFORMED));
        }
    }
}
