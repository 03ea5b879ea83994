package io.capybara.wire;

import java.nio.ByteOrder;
import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;

/** A 48-bit MAC address held in the low bits of a {@code long}, first octet most significant. */
public final class MacAddress {
    /** ff:ff:ff:ff:ff:ff */
    public static final long BROADCAST = 0xFFFF_FFFF_FFFFL;
    /** 00:00:00:00:00:00, as carried in the target field of an ARP request. */
    public static final long ZERO = 0L;
    public static final int LENGTH = 6;

    private static final ByteOrder BE = ByteOrder.BIG_ENDIAN;

    private MacAddress() {
    }

    /** Reads 6 bytes at {@code offset}. */
    public static long read(DirectBuffer buffer, int offset) {
        return ((buffer.getShort(offset, BE) & 0xFFFFL) << 32) | (buffer.getInt(offset + 2, BE) & 0xFFFF_FFFFL);
    }

    /** Writes the low 48 bits of {@code mac} as 6 bytes at {@code offset}. */
    public static void write(MutableDirectBuffer buffer, int offset, long mac) {
        buffer.putShort(offset, (short) (mac >>> 32), BE);
        buffer.putInt(offset + 2, (int) mac, BE);
    }

    public static boolean isBroadcast(long mac) {
        return (mac & BROADCAST) == BROADCAST;
    }

    /** Group bit: the least significant bit of the first octet. */
    public static boolean isMulticast(long mac) {
        return ((mac >>> 40) & 1) != 0;
    }

    /**
     * Parses "02:00:00:00:00:01" (':' or '-' separated, hex, one or two digits per octet).
     *
     * @throws IllegalArgumentException on malformed text (configuration input, not packets)
     */
    public static long parse(CharSequence text) {
        long mac = 0;
        int octets = 0;
        int i = 0;
        int n = text.length();
        while (i < n) {
            int value = 0;
            int digits = 0;
            while (i < n && digits < 3) {
                int d = Character.digit(text.charAt(i), 16);
                if (d < 0) {
                    break;
                }
                value = value * 16 + d;
                digits++;
                i++;
            }
            if (digits == 0 || digits > 2) {
                throw new IllegalArgumentException("bad MAC address: " + text);
            }
            mac = (mac << 8) | value;
            octets++;
            if (i < n) {
                char c = text.charAt(i);
                if ((c != ':' && c != '-') || i == n - 1) {
                    throw new IllegalArgumentException("bad MAC address: " + text);
                }
                i++;
            }
        }
        if (octets != 6) {
            throw new IllegalArgumentException("bad MAC address: " + text);
        }
        return mac;
    }

    /** Formats as lower-case "02:00:00:00:00:01". */
    public static String format(long mac) {
        StringBuilder sb = new StringBuilder(17);
        for (int shift = 40; shift >= 0; shift -= 8) {
            int octet = (int) (mac >>> shift) & 0xFF;
            sb.append(Character.forDigit(octet >>> 4, 16)).append(Character.forDigit(octet & 0xF, 16));
            if (shift > 0) {
                sb.append(':');
            }
        }
        return sb.toString();
    }
}
