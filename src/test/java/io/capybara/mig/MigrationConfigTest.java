package io.capybara.mig;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.lang.reflect.Constructor;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.RecordComponent;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/** Every bound of the migration configuration, at its edge: the last accepted value and the first refused. */
class MigrationConfigTest {
    static final MigrationConfig BASE = MigrationConfig.defaults(0x0A00_00FE);

    /** The defaults with one component replaced, through the canonical constructor (so its checks run). */
    static MigrationConfig with(String component, Object value) throws Exception {
        RecordComponent[] rc = MigrationConfig.class.getRecordComponents();
        Object[] args = new Object[rc.length];
        Class<?>[] types = new Class<?>[rc.length];
        boolean found = false;
        for (int i = 0; i < rc.length; i++) {
            types[i] = rc[i].getType();
            args[i] = rc[i].getAccessor().invoke(BASE);
            if (rc[i].getName().equals(component)) {
                args[i] = value;
                found = true;
            }
        }
        if (!found) {
            throw new AssertionError("no component " + component + " in " + Arrays.toString(rc));
        }
        Constructor<MigrationConfig> c = MigrationConfig.class.getDeclaredConstructor(types);
        try {
            return c.newInstance(args);
        } catch (InvocationTargetException e) {
            throw (Exception) e.getCause();
        }
    }

    static void accepted(String component, Object value) throws Exception {
        MigrationConfig c = with(component, value);
        assertEquals(value, MigrationConfig.class.getMethod(component).invoke(c), component);
    }

    static void refused(String component, Object value) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> with(component, value),
                component + " = " + value);
        assertEquals(true, e.getMessage().startsWith("bad migration config"), e.getMessage());
    }

    @Test
    void retriesMayBeZeroButNotNegative() throws Exception {
        for (String c : new String[] {"prepareRetries", "stateRetries", "abortRetries"}) {
            accepted(c, 0);
            refused(c, -1);
        }
    }

    @Test
    void poolsAndTablesNeedAtLeastOneEntry() throws Exception {
        for (String c : new String[] {"maxOutgoing", "tempBufferSlots", "tempBufferFrames", "tempBufferBytes",
            "maxStateBytes", "outcomeMemory", "forwardEntries"}) {
            accepted(c, 1);
            refused(c, 0);
        }
    }

    @Test
    void theLowWatermarkMayEqualTheHighOneButNotExceedIt() throws Exception {
        MigrationConfig c = BASE.withPolicy(1_000, 500, 500, 2_000);
        assertEquals(500, c.lowLoad());
        assertEquals(500, c.highLoad());
        assertThrows(IllegalArgumentException.class, () -> BASE.withPolicy(1_000, 500, 501, 2_000));
    }

    @Test
    void theMtuRangesFromTheIpv4MinimumToJumboFrames() throws Exception {
        assertEquals(576, BASE.withMtu(576).mtu());
        assertEquals(MigrationConfig.MAX_MTU, BASE.withMtu(9000).mtu());
        assertThrows(IllegalArgumentException.class, () -> BASE.withMtu(575));
        assertThrows(IllegalArgumentException.class, () -> BASE.withMtu(9001));
        assertEquals(MigrationConfig.MTU, BASE.mtu());
    }

    /** A fragment's body plus the IPv4, UDP and TCPMig headers fills the MTU exactly, and more MTU means more body. */
    @Test
    void fragmentBodiesFillTheMtu() {
        int headers = 20 + 8 + io.capybara.wire.TcpMigHeader.MIN_LENGTH;
        assertEquals(MigrationConfig.MTU - headers, MigrationConfig.fragmentBody());
        assertEquals(9000 - headers, MigrationConfig.fragmentBody(9000));
    }

    @Test
    void theWithersChangeOnlyTheirOwnFields() {
        MigrationConfig c = BASE.withTimeouts(11, 1, 22, 2, 33, 3, 44).withPools(5, 6, 7, 8, 9).withHeartbeat(55)
                .withPolicy(66, 77, 70, 88);
        assertEquals(11, c.prepareTimeoutNanos());
        assertEquals(1, c.prepareRetries());
        assertEquals(22, c.stateTimeoutNanos());
        assertEquals(2, c.stateRetries());
        assertEquals(33, c.abortTimeoutNanos());
        assertEquals(3, c.abortRetries());
        assertEquals(44, c.targetHoldNanos());
        assertEquals(5, c.maxOutgoing());
        assertEquals(6, c.tempBufferSlots());
        assertEquals(7, c.tempBufferFrames());
        assertEquals(8, c.tempBufferBytes());
        assertEquals(9, c.maxStateBytes());
        assertEquals(55, c.heartbeatIntervalNanos());
        assertEquals(66, c.policyIntervalNanos());
        assertEquals(77, c.highLoad());
        assertEquals(70, c.lowLoad());
        assertEquals(88, c.cooldownNanos());
        assertEquals(BASE.switchIp(), c.switchIp());
        assertEquals(BASE.outcomeMemory(), c.outcomeMemory());
        assertEquals(BASE.forwardEntries(), c.forwardEntries());
        assertEquals(BASE.mtu(), c.mtu());
    }
}
