package io.capybara.wire;

/** IPv4 addresses as {@code int} values in network order (10.0.0.1 = 0x0A000001). */
public final class Ipv4Address {
    public static final int ANY = 0;
    public static final int BROADCAST = 0xFFFF_FFFF;

    private Ipv4Address() {
    }

    /**
     * Parses dotted-quad text such as "10.0.0.1".
     *
     * @throws IllegalArgumentException on malformed text (configuration input, not packets)
     */
    public static int parse(CharSequence text) {
        int address = 0;
        int parts = 0;
        int i = 0;
        int n = text.length();
        while (parts < 4) {
            int value = 0;
            int digits = 0;
            while (i < n && text.charAt(i) >= '0' && text.charAt(i) <= '9' && digits < 4) {
                value = value * 10 + (text.charAt(i) - '0');
                digits++;
                i++;
            }
            if (digits == 0 || digits > 3 || value > 255) {
                throw new IllegalArgumentException("bad IPv4 address: " + text);
            }
            address = (address << 8) | value;
            parts++;
            if (parts < 4) {
                if (i >= n || text.charAt(i) != '.') {
                    throw new IllegalArgumentException("bad IPv4 address: " + text);
                }
                i++;
            }
        }
        if (i != n) {
            throw new IllegalArgumentException("bad IPv4 address: " + text);
        }
        return address;
    }

    /** Formats as "10.0.0.1". */
    public static String format(int address) {
        return ((address >>> 24) & 0xFF) + "." + ((address >>> 16) & 0xFF) + "."
                + ((address >>> 8) & 0xFF) + "." + (address & 0xFF);
    }

    /** Netmask for a prefix length 0..32, e.g. 24 gives 0xFFFFFF00. */
    public static int netmask(int prefixLength) {
        if (prefixLength < 0 || prefixLength > 32) {
            throw new IllegalArgumentException("prefix length out of range: " + prefixLength);
        }
        // A shift by 32 is a no-op in Java, so /0 needs its own case.
        return prefixLength == 0 ? 0 : -1 << (32 - prefixLength);
    }

    /** Network address of {@code address} under a prefix length. */
    public static int network(int address, int prefixLength) {
        return address & netmask(prefixLength);
    }

    /** True if both addresses lie in the same prefix. */
    public static boolean sameSubnet(int a, int b, int prefixLength) {
        int mask = netmask(prefixLength);
        return (a & mask) == (b & mask);
    }

    /** Directed broadcast address of the prefix containing {@code address}. */
    public static int subnetBroadcast(int address, int prefixLength) {
        return address | ~netmask(prefixLength);
    }

    /** Parses "10.0.0.0/24" and returns the prefix length; see {@link #parse} for the address. */
    public static int parsePrefixLength(CharSequence cidr) {
        String s = cidr.toString();
        int slash = s.indexOf('/');
        if (slash < 0) {
            return 32;
        }
        try {
            int p = Integer.parseInt(s.substring(slash + 1));
            netmask(p);
            return p;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("bad prefix: " + cidr, e);
        }
    }
}
