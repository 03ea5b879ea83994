package io.capybara.tor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class MigrationDirectoryTest {
    private static final int CLIENT = 0x0A00_0001;

    @Test
    void crc16MatchesTheStandardCheckValue() {
        // CRC-16/CCITT-FALSE check value over "123456789" is 0x29B1; hash16 runs the same
        // register over 6 bytes, so check it against a direct bitwise computation instead.
        byte[] bytes = {0x0A, 0, 0, 1, (byte) 0x9C, 0x40};
        int crc = 0xFFFF;
        for (byte b : bytes) {
            crc ^= (b & 0xFF) << 8;
            for (int i = 0; i < 8; i++) {
                crc = (crc & 0x8000) != 0 ? ((crc << 1) ^ 0x1021) & 0xFFFF : (crc << 1) & 0xFFFF;
            }
        }
        assertEquals(crc, MigrationDirectory.hash16(0x0A000001, 40000));
    }

    /** The table-driven hash16 against a bitwise CRC-16/CCITT-FALSE over random keys. */
    @Test
    void hash16MatchesBitwiseCrcOnRandomKeys() {
        long seed = Long.getLong("capybara.seed", 0x5EED_16L);
        java.util.SplittableRandom random = new java.util.SplittableRandom(seed);
        for (int n = 0; n < 20_000; n++) {
            int ip = random.nextInt();
            int port = random.nextInt(1 << 16);
            byte[] bytes = {(byte) (ip >>> 24), (byte) (ip >>> 16), (byte) (ip >>> 8), (byte) ip,
                    (byte) (port >>> 8), (byte) port};
            int crc = 0xFFFF;
            for (byte b : bytes) {
                crc ^= (b & 0xFF) << 8;
                for (int i = 0; i < 8; i++) {
                    crc = (crc & 0x8000) != 0 ? ((crc << 1) ^ 0x1021) & 0xFFFF : (crc << 1) & 0xFFFF;
                }
            }
            assertEquals(crc, MigrationDirectory.hash16(ip, port), "ip=" + Integer.toHexString(ip) + " port=" + port
                    + " seed=" + seed + " replay: ./capybara test -Dtest=MigrationDirectoryTest#hash16MatchesBitwiseCrcOnRandomKeys -Dcapybara.seed=" + seed);
        }
    }

    @Test
    void installFindAndRemove() {
        MigrationDirectory d = new MigrationDirectory(2);
        assertEquals(MigrationDirectory.NOT_FOUND, d.find(CLIENT, 5000));
        int slot = d.install(CLIENT, 5000, 0, 2, 10);
        assertNotEquals(MigrationDirectory.NOT_FOUND, slot);
        assertEquals(slot, d.find(CLIENT, 5000));
        assertEquals(0, d.originalServer(slot));
        assertEquals(2, d.currentServer(slot));
        assertEquals(CLIENT, d.clientIp(slot));
        assertEquals(5000, d.clientPort(slot));
        // a second migration moves it again but keeps the original owner
        assertEquals(slot, d.install(CLIENT, 5000, 2, 1, 20));
        assertEquals(0, d.originalServer(slot));
        assertEquals(1, d.currentServer(slot));
        assertEquals(1, d.size());
        d.remove(slot);
        assertEquals(0, d.size());
        assertEquals(MigrationDirectory.NOT_FOUND, d.find(CLIENT, 5000));
    }

    static long[] collidingKeys(int n) {
        int target = MigrationDirectory.hash16(CLIENT, 1);
        long[] out = new long[n];
        int found = 0;
        for (int ip = CLIENT; found < n; ip++) {
            for (int port = 1; port < 65536 && found < n; port++) {
                if (MigrationDirectory.hash16(ip, port) == target) {
                    out[found++] = MigrationDirectory.key(ip, port);
                }
            }
        }
        return out;
    }

    @Test
    void collisionsLandInTheNextLevelAndAFullSetRefuses() {
        MigrationDirectory d = new MigrationDirectory(2);
        long[] keys = collidingKeys(3);
        int a = d.install((int) (keys[0] >>> 16), (int) (keys[0] & 0xFFFF), 0, 1, 0);
        int b = d.install((int) (keys[1] >>> 16), (int) (keys[1] & 0xFFFF), 0, 1, 0);
        assertEquals(a & 0xFFFF, b & 0xFFFF, "same index");
        assertEquals(0, a >>> 16, "first key in level 1");
        assertEquals(1, b >>> 16, "colliding key in level 2");
        assertEquals(MigrationDirectory.NOT_FOUND,
                d.install((int) (keys[2] >>> 16), (int) (keys[2] & 0xFFFF), 0, 1, 0), "full set refuses");
        assertEquals(2, d.size());
        // freeing level 1 makes room again, and the level-2 key is still found
        d.remove(a);
        assertEquals(b, d.find((int) (keys[1] >>> 16), (int) (keys[1] & 0xFFFF)));
        assertEquals(a, d.install((int) (keys[2] >>> 16), (int) (keys[2] & 0xFFFF), 0, 1, 0));
    }

    @Test
    void threeLevelsHoldThreeCollidingKeys() {
        MigrationDirectory d = new MigrationDirectory(3);
        for (long k : collidingKeys(3)) {
            assertNotEquals(MigrationDirectory.NOT_FOUND, d.install((int) (k >>> 16), (int) (k & 0xFFFF), 0, 1, 0));
        }
        long[] four = collidingKeys(4);
        assertEquals(MigrationDirectory.NOT_FOUND, d.install((int) (four[3] >>> 16), (int) (four[3] & 0xFFFF), 0, 1, 0));
    }

    @Test
    void bothFinsAcknowledgedEndTheEntry() {
        MigrationDirectory d = new MigrationDirectory(2);
        int slot = d.install(CLIENT, 5000, 0, 1, 0);
        // client FIN ending at 101; server acks 100 (not yet the FIN)
        assertFalse(d.onFinOrAck(slot, true, true, 101, true, 7));
        assertFalse(d.onFinOrAck(slot, false, false, 0, true, 100));
        // server acks the FIN and sends its own FIN ending at 501
        assertFalse(d.onFinOrAck(slot, false, true, 501, true, 101));
        // client acks 500: not enough
        assertFalse(d.onFinOrAck(slot, true, false, 0, true, 500));
        assertTrue(d.onFinOrAck(slot, true, false, 0, true, 501));
    }

    @Test
    void finAckHandlesSequenceWraparound() {
        MigrationDirectory d = new MigrationDirectory(2);
        int slot = d.install(CLIENT, 5000, 0, 1, 0);
        assertFalse(d.onFinOrAck(slot, true, true, 0x0000_0002, false, 0));
        assertFalse(d.onFinOrAck(slot, false, true, 10, true, 0xFFFF_FFFF)); // before the FIN end
        assertFalse(d.onFinOrAck(slot, false, false, 0, true, 2));
        assertTrue(d.onFinOrAck(slot, true, false, 0, true, 10));
    }

    @Test
    void idleSweepReclaimsOnlySilentEntries() {
        MigrationDirectory d = new MigrationDirectory(2);
        d.install(CLIENT, 1, 0, 1, 0);
        int busy = d.install(CLIENT, 2, 0, 1, 0);
        d.touch(busy, 900);
        int removed = d.sweepIdle(1000, 500, d.capacity());
        assertEquals(1, removed);
        assertEquals(MigrationDirectory.NOT_FOUND, d.find(CLIENT, 1));
        assertEquals(busy, d.find(CLIENT, 2));
    }

    @Test
    void sweepIsBoundedPerCall() {
        MigrationDirectory d = new MigrationDirectory(1);
        for (int p = 1; p <= 100; p++) {
            d.install(CLIENT, p, 0, 1, 0);
        }
        int total = 0;
        for (int i = 0; i < 16; i++) {
            total += d.sweepIdle(10, 1, 4096); // 16 * 4096 = one full pass over 65536 slots
        }
        assertEquals(d.size(), 100 - total);
        assertEquals(0, d.size());
    }
    @Test
    void levelsAreBoundedAndCapacityFollows() {
        assertEquals(1, new MigrationDirectory(1).levels());
        assertEquals(8 * MigrationDirectory.SLOTS_PER_LEVEL, new MigrationDirectory(8).capacity());
        org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class, () -> new MigrationDirectory(0));
        org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class, () -> new MigrationDirectory(9));
    }

    @Test
    void aFinIsSeenOnlyOnceOneArrives() {
        MigrationDirectory d = new MigrationDirectory(2);
        int slot = d.install(CLIENT, 7, 3, 4, 0);
        assertFalse(d.finSeen(slot));
        assertFalse(d.onFinOrAck(slot, true, false, 0, true, 12345), "a plain ACK");
        assertFalse(d.finSeen(slot));
        d.onFinOrAck(slot, false, true, 900, true, 100);
        assertTrue(d.finSeen(slot));
        assertEquals(3, d.originalServer(slot));
        assertEquals(4, d.currentServer(slot));
    }

    /** An ACK the server sent before the client's FIN existed cannot acknowledge that FIN. */
    @Test
    void anAckBeforeTheFinAcknowledgesNothing() {
        MigrationDirectory d = new MigrationDirectory(2);
        int slot = d.install(CLIENT, 7, 0, 1, 0);
        d.onFinOrAck(slot, false, false, 0, true, 5_000); // server ACK, no client FIN yet
        d.onFinOrAck(slot, true, true, 2_000, true, 0); // client FIN ends at 2000
        d.onFinOrAck(slot, false, true, 3_000, true, 1_999); // server FIN; its ACK is one short
        assertFalse(d.onFinOrAck(slot, true, false, 0, true, 3_000), "server FIN acked, client FIN not");
        assertTrue(d.onFinOrAck(slot, false, false, 0, true, 2_000));
    }

    /** Idle means untouched for at least the timeout: an entry exactly that old goes, a younger one stays. */
    @Test
    void idleIsInclusiveOfTheTimeoutAndSweepsResumeWhereTheyStopped() {
        MigrationDirectory d = new MigrationDirectory(1);
        int port = 0;
        while (MigrationDirectory.hash16(CLIENT, port) < 100) {
            port++;
        }
        int index = MigrationDirectory.hash16(CLIENT, port);
        d.install(CLIENT, port, 0, 1, 1_000);
        assertEquals(0, d.sweepIdle(2_000, 1_000, index), "the slots before it only");
        assertEquals(1, d.size());
        assertEquals(0, d.sweepIdle(1_999, 1_000, 1), "its slot, one nanosecond too young");
        assertEquals(1, d.size());
        assertEquals(0, d.sweepIdle(2_000, 1_000, d.capacity() - index - 1), "the rest of the pass");
        assertEquals(1, d.sweepIdle(2_000, 1_000, index + 1), "the next pass reaches it, exactly idle");
        assertEquals(0, d.size());
    }
}
