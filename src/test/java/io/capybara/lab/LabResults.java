package io.capybara.lab;

import java.util.Map;

/** What the lab tests read from a {@link Lab#run} result, and what they need to run at all. */
final class LabResults {
    private LabResults() {
    }

    /** A counter of the result. */
    static long num(Map<String, Object> r, String key) {
        return ((Number) r.get(key)).longValue();
    }

    /** The result for an assertion message: its keys, then the counters on a line of their own. */
    static String brief(Map<String, Object> r) {
        Map<String, Object> copy = new java.util.LinkedHashMap<>(r);
        copy.remove("counters");
        return copy + "\ncounters " + r.get("counters");
    }
}
