package io.capybara.policy;

import java.util.Locale;

/** Which policy moves connections in a run. */
public enum PolicyKind {
    STATIC,
    REACTIVE,
    PROACTIVE;

    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** Parses {@code static}, {@code reactive} or {@code proactive}; a clear error otherwise. */
    public static PolicyKind parse(String s) {
        for (PolicyKind k : values()) {
            if (k.label().equals(s.trim().toLowerCase(Locale.ROOT))) {
                return k;
            }
        }
        throw new IllegalArgumentException("policy must be static, reactive or proactive, got '" + s + "'");
    }
}
