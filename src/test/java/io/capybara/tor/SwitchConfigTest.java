package io.capybara.tor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.capybara.wire.Ipv4Address;
import io.capybara.wire.MacAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The switch configuration's text form: every directive, its bounds, and errors that name file and line once. */
class SwitchConfigTest {
    static final String SWITCH = "switch 10.0.0.254 02:00:00:00:00:fe";

    static SwitchConfig parse(String... lines) {
        return SwitchConfig.parse(List.of(lines), "rack.conf");
    }

    static String error(String... lines) {
        return assertThrows(IllegalArgumentException.class, () -> parse(lines)).getMessage();
    }

    @Test
    void everyDirectiveIsRead() {
        SwitchConfig c = parse(
                "# a whole-line comment",
                "#switch 1.1.1.1 02:00:00:00:00:01",
                SWITCH + "   # the switch itself",
                "",
                "   ",
                "levels 3",
                "idle-timeout-ms 250",
                "heartbeat-stale-ms 40",
                "arp flood",
                "port 1 tap:b",
                "port 0 tap:a",
                "server 10.0.0.1 02:00:00:00:00:01 0",
                "SERVER 10.0.0.2 02:00:00:00:00:02 1",
                "client 10.0.1.1 02:00:00:00:01:01 2",
                "port 2 packet:veth9");
        assertEquals(Ipv4Address.parse("10.0.0.254"), c.switchIp());
        assertEquals(MacAddress.parse("02:00:00:00:00:fe"), c.switchMac());
        assertEquals(3, c.levels());
        assertEquals(250_000_000L, c.idleTimeoutNanos());
        assertEquals(40_000_000L, c.heartbeatStaleNanos());
        assertFalse(c.answerArp());
        assertEquals(List.of("tap:a", "tap:b", "packet:veth9"), c.portSpecs());
        assertEquals(3, c.hosts().size());
        assertEquals(List.of(c.hosts().get(0), c.hosts().get(1)), c.servers());
        assertFalse(c.hosts().get(2).server());
        assertEquals(3, c.portCount());
        assertTrue(parse(SWITCH, "arp answer").answerArp());
    }

    @Test
    void defaultsWhenOnlyTheSwitchIsGiven() {
        SwitchConfig c = parse(SWITCH);
        assertEquals(2, c.levels());
        assertEquals(0, c.idleTimeoutNanos());
        assertEquals(500_000_000L, c.heartbeatStaleNanos());
        assertTrue(c.answerArp());
        assertEquals(MaglevTable.DEFAULT_SIZE, c.placementTableSize());
        assertEquals(0, c.portCount());
        assertTrue(c.servers().isEmpty());
    }

    @Test
    void thePortCountCoversBothPortLinesAndHosts() {
        assertEquals(5, parse(SWITCH, "port 0 tap:a", "port 1 tap:b", "port 2 tap:c", "port 3 tap:d", "port 4 tap:e",
                "server 10.0.0.1 02:00:00:00:00:01 1").portCount(), "more port lines than hosts");
        assertEquals(4, parse(SWITCH, "port 0 tap:a", "server 10.0.0.1 02:00:00:00:00:01 3").portCount(),
                "a host on a higher port than any port line");
    }

    @Test
    void errorsNameTheFileAndLineOnce() {
        assertEquals("rack.conf:3: 'levels' takes 1 argument(s)", error(SWITCH, "# comment", "levels"));
        assertEquals("rack.conf:2: 'server' takes 3 argument(s)", error(SWITCH, "server 10.0.0.1 02:00:00:00:00:01"));
        assertEquals("rack.conf:2: unknown directive 'bogus'", error(SWITCH, "bogus 1"));
        assertEquals("rack.conf:2: arp takes 'answer' or 'flood', got 'maybe'", error(SWITCH, "arp maybe"));
        assertEquals("rack.conf:2: For input string: \"many\"", error(SWITCH, "levels many"));
        assertEquals("rack.conf: missing 'switch IP MAC' line", error("levels 2"));
        assertEquals("rack.conf: no 'port 1 ...' line", error(SWITCH, "port 0 tap:a", "port 2 tap:c"));
        assertEquals("rack.conf: levels must be 1..8, got 9", error(SWITCH, "levels 9"));
        String badIp = error(SWITCH, "server 10.0.0.300 02:00:00:00:00:01 0");
        assertTrue(badIp.startsWith("rack.conf:2: ") && badIp.contains("10.0.0.300"), badIp);
    }

    @Test
    void boundsAreInclusive() {
        assertEquals(1, parse(SWITCH, "levels 1").levels());
        assertEquals(8, parse(SWITCH, "levels 8").levels());
        assertTrue(error(SWITCH, "levels 0").contains("levels must be 1..8, got 0"));
        assertEquals(0, parse(SWITCH, "join-after-ms 0").joinAfterNanos());
        assertEquals("rack.conf: join-after-ms must be >= 0, got -3", error(SWITCH, "join-after-ms -3"));
        assertEquals(2, parse(SWITCH, "placement-table-size 2").placementTableSize());
        assertTrue(error(SWITCH, "placement-table-size 1").contains("must be a prime, got 1"));
        assertEquals(1, parse(SWITCH, "vip 10.0.0.100 1").vips().get(0).port());
        assertEquals(65535, parse(SWITCH, "vip 10.0.0.100 65535").vips().get(0).port());
        assertEquals("rack.conf: vip 10.0.0.100:0: port must be 1..65535", error(SWITCH, "vip 10.0.0.100 0"));
        assertEquals("rack.conf: vip 10.0.0.100:65536: port must be 1..65535", error(SWITCH, "vip 10.0.0.100 65536"));
        assertEquals("rack.conf: vip 10.0.0.1:80: address is also a configured host",
                error(SWITCH, "server 10.0.0.1 02:00:00:00:00:01 0", "port 0 tap:a", "vip 10.0.0.1 80"));
    }

    @Test
    void atMost127Vips() {
        List<String> lines = new ArrayList<>(List.of(SWITCH));
        for (int i = 1; i <= 127; i++) {
            lines.add("vip 10.0.9." + i + " " + (1000 + i));
        }
        assertEquals(127, SwitchConfig.parse(lines, "v").vips().size());
        lines.add("vip 10.0.10.1 2000");
        String e = assertThrows(IllegalArgumentException.class, () -> SwitchConfig.parse(lines, "v")).getMessage();
        assertEquals("v: at most 127 VIPs, got 128", e);
    }

    @Test
    void theWithersChangeOneFieldEach() {
        SwitchConfig base = parse(SWITCH, "server 10.0.0.1 02:00:00:00:00:01 0");
        assertEquals(7, base.withPlacementTableSize(7).placementTableSize());
        assertEquals(base.hosts(), base.withPlacementTableSize(7).hosts());
        assertEquals(5, base.withLevels(5).levels());
        assertEquals(9L, base.withIdleTimeout(9).idleTimeoutNanos());
        assertEquals(11L, base.withHeartbeatStale(11).heartbeatStaleNanos());
        assertEquals(13L, base.withJoinAfter(13).joinAfterNanos());
        assertFalse(base.withArpAnswering(false).answerArp());
        assertEquals("10.0.0.100:80", new SwitchConfig.Vip(Ipv4Address.parse("10.0.0.100"), 80).toString());
    }

    @Test
    void loadsAFile(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("switch.conf");
        Files.writeString(f, SWITCH + "\nlevels 4\nserver 10.0.0.1 02:00:00:00:00:01 0\n");
        SwitchConfig c = SwitchConfig.load(f);
        assertEquals(4, c.levels());
        assertEquals(1, c.servers().size());
        Files.writeString(f, "levels 4\n");
        String e = assertThrows(IllegalArgumentException.class, () -> SwitchConfig.load(f)).getMessage();
        assertEquals(f + ": missing 'switch IP MAC' line", e);
    }
}
