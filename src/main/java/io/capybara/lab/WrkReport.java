package io.capybara.lab;

import java.util.HashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What one wrk run reported, parsed from the summary line our Lua {@code done()} hook prints
 * ({@link #LUA_SCRIPT}): requests completed, socket errors by kind, non-2xx/3xx responses
 * ({@code errors.status}), responses whose body was not the expected one, and latency
 * percentiles.
 */
record WrkReport(long requests, long connectErrors, long readErrors, long writeErrors, long timeouts,
                 long statusErrors, long badBodies, long checkedBodies, long durationMicros, long bytes,
                 long p50Micros, long p99Micros, long maxMicros) {

    /** The body of {@code GET /} (HttpServerSession's fixed route). */
    static final String ROOT_BODY = "Hello from Capybara-J\n";

    /**
     * Counts bodies that differ from {@link #ROOT_BODY} per thread (wrk runs one Lua state per
     * thread; {@code done} sums them through {@code thread:get}) and prints one summary line.
     */
    static final String LUA_SCRIPT = """
            local threads = {}
            function setup(thread)
              table.insert(threads, thread)
            end
            function init(args)
              bad = 0
              checked = 0
            end
            function response(status, headers, body)
              checked = checked + 1
              if body ~= "Hello from Capybara-J\\n" then bad = bad + 1 end
            end
            function done(summary, latency, requests)
              local b, c = 0, 0
              for _, t in ipairs(threads) do
                b = b + t:get("bad")
                c = c + t:get("checked")
              end
              local e = summary.errors
              io.write(string.format("CAPYBARA-LAB requests=%d connect=%d read=%d write=%d timeout=%d status=%d "
                .. "bad_body=%d checked=%d duration_us=%d bytes=%d p50_us=%d p99_us=%d max_us=%d\\n",
                summary.requests, e.connect, e.read, e.write, e.timeout, e.status, b, c, summary.duration,
                summary.bytes, latency:percentile(50), latency:percentile(99), latency.max))
            end
            """;

    private static final Pattern LINE = Pattern.compile("CAPYBARA-LAB ((?:\\w+=-?\\d+ ?)+)");

    /** wrk's socket errors plus non-2xx/3xx responses plus wrong bodies. */
    long errors() {
        return connectErrors + readErrors + writeErrors + timeouts + statusErrors + badBodies;
    }

    /** Parses wrk's output; throws if the summary line is missing (wrk failed or was killed). */
    static WrkReport parse(String output) {
        Matcher m = LINE.matcher(output);
        if (!m.find()) {
            throw new IllegalStateException("no summary line in wrk output:\n" + output);
        }
        Map<String, Long> f = new HashMap<>();
        for (String kv : m.group(1).trim().split(" ")) {
            int eq = kv.indexOf('=');
            f.put(kv.substring(0, eq), Long.parseLong(kv.substring(eq + 1)));
        }
        return new WrkReport(f.get("requests"), f.get("connect"), f.get("read"), f.get("write"), f.get("timeout"),
                f.get("status"), f.get("bad_body"), f.get("checked"), f.get("duration_us"), f.get("bytes"),
                f.get("p50_us"), f.get("p99_us"), f.get("max_us"));
    }
}
