package io.capybara.wire;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Per-reason drop counters and per-kind accept counters for one decoder. Plain longs: each
 * decoder runs on one host loop thread; readers on other threads see approximate values.
 */
public final class WireCounters {
    private static final DecodedFrame.Kind[] KINDS = DecodedFrame.Kind.values();

    private final long[] drops = new long[DropReason.all().length];
    private final long[] accepted = new long[KINDS.length];

    public void drop(DropReason reason) {
        drops[reason.ordinal()]++;
    }

    public void accept(DecodedFrame.Kind kind) {
        accepted[kind.ordinal()]++;
    }

    public long drops(DropReason reason) {
        return drops[reason.ordinal()];
    }

    public long accepted(DecodedFrame.Kind kind) {
        return accepted[kind.ordinal()];
    }

    public long totalDrops() {
        long n = 0;
        for (long d : drops) {
            n += d;
        }
        return n;
    }

    public long totalAccepted() {
        long n = 0;
        for (long a : accepted) {
            n += a;
        }
        return n;
    }

    public void reset() {
        java.util.Arrays.fill(drops, 0);
        java.util.Arrays.fill(accepted, 0);
    }

    /**
     * Every counter by name, in declaration order: {@code "accepted.TCP"}, {@code
     * "dropped.IPV4_BAD_CHECKSUM"}, ... (zeros included, so exports have a stable shape).
     */
    public Map<String, Long> toMap() {
        Map<String, Long> map = new LinkedHashMap<>();
        for (DecodedFrame.Kind k : KINDS) {
            if (k != DecodedFrame.Kind.DROPPED) {
                map.put("accepted." + k.name(), accepted[k.ordinal()]);
            }
        }
        for (DropReason r : DropReason.all()) {
            map.put("dropped." + r.name(), drops[r.ordinal()]);
        }
        return map;
    }

    /** The non-zero counters, e.g. {@code WireCounters{accepted.TCP=3, dropped.IPV4_FRAGMENT=1}}. */
    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder("WireCounters{");
        for (Map.Entry<String, Long> e : toMap().entrySet()) {
            if (e.getValue() != 0) {
                sb.append(sb.charAt(sb.length() - 1) == '{' ? "" : ", ").append(e.getKey()).append('=').append(e.getValue());
            }
        }
        return sb.append('}').toString();
    }
}
