package io.capybara.wire;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class AddressesTest {
    @Test
    void macParseFormatAndBytes() {
        long mac = MacAddress.parse("02:00:00:00:00:01");
        assertEquals(0x0200_0000_0001L, mac);
        assertEquals("02:00:00:00:00:01", MacAddress.format(mac));
        assertEquals(0xAABB_CCDD_EEFFL, MacAddress.parse("aa-bb-cc-dd-ee-ff"));
        UnsafeBuffer b = new UnsafeBuffer(new byte[8]);
        MacAddress.write(b, 1, 0xAABB_CCDD_EEFFL);
        assertEquals((byte) 0xAA, b.getByte(1));
        assertEquals((byte) 0xFF, b.getByte(6));
        assertEquals(0, b.getByte(7));
        assertEquals(0xAABB_CCDD_EEFFL, MacAddress.read(b, 1));
        assertTrue(MacAddress.isBroadcast(MacAddress.BROADCAST));
        assertTrue(MacAddress.isMulticast(MacAddress.parse("01:00:5e:00:00:01")));
        assertFalse(MacAddress.isMulticast(mac));
    }

    @Test
    void macRoundTripsRandomValues() {
        SplittableRandom rnd = new SplittableRandom(3);
        for (int i = 0; i < 1000; i++) {
            long mac = rnd.nextLong() & MacAddress.BROADCAST;
            assertEquals(mac, MacAddress.parse(MacAddress.format(mac)));
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "02:00:00:00:00", "02:00:00:00:00:01:03", "02:00:00:00:00:0g",
        "020:00:00:00:00:01", "02:00:00:00:00:", "02::00:00:00:00"})
    void macRejectsMalformed(String s) {
        assertThrows(IllegalArgumentException.class, () -> MacAddress.parse(s));
    }

    @Test
    void ipv4ParseFormatAndPrefixes() {
        assertEquals(0x0A000001, Ipv4Address.parse("10.0.0.1"));
        assertEquals(0xFFFFFFFF, Ipv4Address.parse("255.255.255.255"));
        assertEquals("192.168.1.200", Ipv4Address.format(Ipv4Address.parse("192.168.1.200")));
        assertEquals(0xFFFFFF00, Ipv4Address.netmask(24));
        assertEquals(0, Ipv4Address.netmask(0));
        assertEquals(-1, Ipv4Address.netmask(32));
        assertEquals(0x0A000000, Ipv4Address.network(0x0A0000FE, 24));
        assertTrue(Ipv4Address.sameSubnet(0x0A000001, 0x0A0000FE, 24));
        assertFalse(Ipv4Address.sameSubnet(0x0A000001, 0x0A000101, 24));
        assertEquals(0x0A0000FF, Ipv4Address.subnetBroadcast(0x0A000001, 24));
        assertEquals(16, Ipv4Address.parsePrefixLength("10.1.0.0/16"));
        SplittableRandom rnd = new SplittableRandom(5);
        for (int i = 0; i < 1000; i++) {
            int a = rnd.nextInt();
            assertEquals(a, Ipv4Address.parse(Ipv4Address.format(a)));
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "10.0.0", "10.0.0.1.2", "256.0.0.1", "10..0.1", "10.0.0.1 ", "a.b.c.d", "1000.0.0.1"})
    void ipv4RejectsMalformed(String s) {
        assertThrows(IllegalArgumentException.class, () -> Ipv4Address.parse(s));
    }
}
