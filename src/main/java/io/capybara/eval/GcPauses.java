package io.capybara.eval;

import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.util.Locale;

/** Garbage collections and their accumulated time, as the JVM counts them. */
public record GcPauses(long count, long millis) {
    public static final GcPauses NONE = new GcPauses(0, 0);

    public static GcPauses now() {
        long n = 0;
        long ms = 0;
        for (GarbageCollectorMXBean b : ManagementFactory.getGarbageCollectorMXBeans()) {
            n += Math.max(0, b.getCollectionCount());
            ms += Math.max(0, b.getCollectionTime());
        }
        return new GcPauses(n, ms);
    }

    public GcPauses plus(GcPauses other) {
        return new GcPauses(count + other.count, millis + other.millis);
    }

    public GcPauses minus(GcPauses earlier) {
        return new GcPauses(count - earlier.count, millis - earlier.millis);
    }

    @Override
    public String toString() {
        return String.format(Locale.ROOT, "%d (%d ms)", count, millis);
    }
}
