package io.capybara.telemetry;

import io.capybara.host.Host;
import io.capybara.host.HostStats;
import io.capybara.wire.DecodedFrame;
import io.capybara.wire.DropReason;
import io.capybara.wire.WireCounters;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.LongSupplier;

/**
 * A host's metrics ({@code capybara_host_*}, {@code capybara_wire_*}) and counter line. Every
 * counter of {@link HostStats} is exported, also ones added later: each public {@code long}
 * accessor {@code fooBar()} becomes {@code capybara_host_foo_bar_total}.
 */
public final class HostTelemetry {
    private final Host host;
    private final Map<String, LongSupplier> stats = new LinkedHashMap<>();
    private final CounterLine line = new CounterLine();

    public HostTelemetry(Host host) {
        this.host = host;
        for (Method m : accessors()) {
            MethodHandle h = handle(m);
            stats.put(Metrics.snake(m.getName()), () -> read(h, host.stats()));
        }
        stats.forEach(line::add);
        line.add("connections", host::connectionCount);
    }

    /** HostStats' counters: its public no-argument methods returning long, in declaration order of names. */
    static List<Method> accessors() {
        List<Method> out = new ArrayList<>();
        for (Method m : HostStats.class.getDeclaredMethods()) {
            if (Modifier.isPublic(m.getModifiers()) && !Modifier.isStatic(m.getModifiers())
                    && m.getParameterCount() == 0 && m.getReturnType() == long.class) {
                out.add(m);
            }
        }
        out.sort(Comparator.comparing(Method::getName));
        return out;
    }

    private static MethodHandle handle(Method m) {
        try {
            return MethodHandles.publicLookup().unreflect(m).asType(MethodType.methodType(long.class, HostStats.class));
        } catch (IllegalAccessException e) {
            throw new IllegalStateException(e);
        }
    }

    private static long read(MethodHandle h, HostStats s) {
        try {
            return (long) h.invokeExact(s);
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    /** HostStats' counters by snake_case name (read them on the host's thread, or as monitoring reads). */
    public Map<String, LongSupplier> counters() {
        return java.util.Collections.unmodifiableMap(stats);
    }

    public void register(Metrics m) {
        stats.forEach((name, read) -> m.counter("capybara_host_" + name + "_total", "Host counter " + name + ".", read));
        m.gauge("capybara_host_connections", "TCP connections in the host's table.", host::connectionCount);
        WireCounters w = host.wireCounters();
        Map<String, LongSupplier> drops = new LinkedHashMap<>();
        for (DropReason r : DropReason.values()) {
            drops.put(Metrics.snake(r.name()), () -> w.drops(r));
        }
        m.counter("capybara_wire_dropped_frames_total", "Frames the decoder rejected, by reason.", "reason", drops);
        Map<String, LongSupplier> accepted = new LinkedHashMap<>();
        Arrays.stream(DecodedFrame.Kind.values()).filter(k -> k != DecodedFrame.Kind.DROPPED)
                .forEach(k -> accepted.put(Metrics.snake(k.name()), () -> w.accepted(k)));
        m.counter("capybara_wire_accepted_frames_total", "Frames the decoder accepted, by kind.", "kind", accepted);
    }

    /** From the host's thread: the counter line, only what changed, or null. */
    public String tick() {
        return line.next();
    }
}
