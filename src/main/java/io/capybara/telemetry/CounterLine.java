package io.capybara.telemetry;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.LongSupplier;

/**
 * The periodic counter line of a node: only what changed since the last line, as
 * {@code name +delta (total)}; nothing when nothing changed. Used from the node's own thread.
 */
public final class CounterLine {
    private final Map<String, LongSupplier> counters = new LinkedHashMap<>();
    private long[] last = new long[0];

    public CounterLine add(String name, LongSupplier value) {
        counters.put(name, value);
        last = java.util.Arrays.copyOf(last, counters.size());
        return this;
    }

    /** The changes since the last call, or null if none. */
    public String next() {
        StringBuilder sb = new StringBuilder();
        int i = 0;
        for (Map.Entry<String, LongSupplier> e : counters.entrySet()) {
            long v = e.getValue().getAsLong();
            long d = v - last[i];
            last[i++] = v;
            if (d != 0) {
                sb.append(sb.isEmpty() ? "" : "  ").append(e.getKey()).append(d > 0 ? " +" : " ").append(d)
                        .append(" (").append(v).append(')');
            }
        }
        return sb.isEmpty() ? null : sb.toString();
    }
}
