package io.capybara.bench;

import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * How the JMH benchmarks that extend this run (JMH's annotations are inherited): 3 warm-up and
 * 5 measured iterations of one second, one state per thread, one fork. Forks inherit the host
 * JVM's flags (FFM, Agrona): run them through {@code ./capybara bench}.
 */
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
@State(Scope.Thread)
public abstract class JmhDefaults {
}
