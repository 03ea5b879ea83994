package io.capybara.io.linux;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Name checks and error messages. The first tests need no privileges. */
class LinuxCallsTest {

    @Test
    void namesLongerThan15BytesAreRefusedBeforeAnyCall() {
        String sixteen = "abcdefghijklmnop";
        var tap = assertThrows(IllegalArgumentException.class, () -> TapChannel.open(sixteen));
        assertTrue(tap.getMessage().contains("16 bytes") && tap.getMessage().contains("at most 15"), tap.getMessage());
        var packet = assertThrows(IllegalArgumentException.class, () -> PacketChannel.open(sixteen));
        assertTrue(packet.getMessage().contains(sixteen), packet.getMessage());
        // 15 ASCII bytes pass the check; 14 chars that encode to 16 UTF-8 bytes do not.
        LinuxCalls.checkInterfaceName("abcdefghijklmno");
        assertThrows(IllegalArgumentException.class, () -> LinuxCalls.checkInterfaceName("éééééééé"));
        assertThrows(IllegalArgumentException.class, () -> LinuxCalls.checkInterfaceName("a/b"));
        assertThrows(IllegalArgumentException.class, () -> LinuxCalls.checkInterfaceName("a b"));
        assertThrows(IllegalArgumentException.class, () -> LinuxCalls.checkInterfaceName(""));
    }

    @Test
    void messageNamesCallSubjectAndErrnoText() {
        var e = new LinuxCallException("ioctl(TUNSETIFF)", "cjtap0", LinuxCalls.EPERM);
        assertEquals("ioctl(TUNSETIFF) on cjtap0: Operation not permitted (errno 1)", e.getMessage());
        assertEquals(LinuxCalls.EPERM, e.errno());
        assertEquals("No such device", LinuxCalls.strerror(LinuxCalls.ENODEV));
    }

    @Test
    void missingInterfaceIsReportedWithErrno() {
        // if_nametoindex needs no privilege: this runs everywhere.
        var e = assertThrows(LinuxCallException.class, () -> LinuxCalls.interfaceIndex("cjnosuchdev0"));
        assertEquals("if_nametoindex on cjnosuchdev0: No such device (errno 19)", e.getMessage());
        var p = assertThrows(LinuxCallException.class, () -> PacketChannel.open("cjnosuchdev0"));
        assertEquals(LinuxCalls.ENODEV, p.errno());
        assertTrue(p.getMessage().startsWith("if_nametoindex on cjnosuchdev0: "), p.getMessage());
    }

    @Test
    void loopbackHasAnIndex() {
        assertTrue(LinuxCalls.interfaceIndex("lo") > 0);
    }

    @Test
    void tapOnANonTapDeviceFailsWithTheKernelsErrno() {
        NetAdmin.assumeNetAdmin();
        // "lo" exists and is not a TAP: TUNSETIFF refuses it with EINVAL.
        var e = assertThrows(LinuxCallException.class, () -> TapChannel.open("lo"));
        assertEquals("ioctl(TUNSETIFF) on lo: Invalid argument (errno 22)", e.getMessage());
    }

    @Test
    void closedChannelRefusesUse() {
        NetAdmin.assumeNetAdmin();
        try (Topology topo = Topology.create()) {
            TapChannel channel = topo.tap(topo.namespace()).channel();
            channel.close();
            channel.close(); // idempotent
            var e = assertThrows(IllegalStateException.class, () -> channel.poll((b, o, l) -> { }, 1));
            assertTrue(e.getMessage().contains(channel.name()), e.getMessage());
        }
    }
}
