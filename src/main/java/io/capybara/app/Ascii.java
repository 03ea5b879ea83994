package io.capybara.app;

/** Byte-level ASCII helpers for the HTTP codecs: no String, no allocation. */
final class Ascii {
    static final byte CR = '\r';
    static final byte LF = '\n';
    /** A line end as written (we accept a bare LF too). */
    static final byte[] CRLF = {CR, LF};
    static final byte SP = ' ';
    static final byte HT = '\t';

    /** RFC 9110 tchar: the bytes allowed in a method or a header field name. */
    private static final boolean[] TCHAR = new boolean[256];

    static {
        for (int c = '0'; c <= '9'; c++) {
            TCHAR[c] = true;
        }
        for (int c = 'a'; c <= 'z'; c++) {
            TCHAR[c] = true;
            TCHAR[c - 32] = true;
        }
        for (char c : "!#$%&'*+-.^_`|~".toCharArray()) {
            TCHAR[c] = true;
        }
    }

    private Ascii() {
    }

    static boolean isTchar(byte b) {
        return TCHAR[b & 0xFF];
    }

    static boolean isDigit(byte b) {
        return b >= '0' && b <= '9';
    }

    /** Optional whitespace (OWS) of RFC 9110: SP or HTAB. */
    static boolean isOws(byte b) {
        return b == SP || b == HT;
    }

    /** A byte allowed in a header field value: HTAB, SP, VCHAR or obs-text; never NUL/CTL/DEL. */
    static boolean isFieldValueByte(byte b) {
        int c = b & 0xFF;
        return c == HT || (c >= 0x20 && c != 0x7F);
    }

    /** True when {@code bytes[from, to)} is {@code lowerCaseName} compared case-insensitively. */
    static boolean equalsIgnoreCase(byte[] bytes, int from, int to, byte[] lowerCaseName) {
        if (to - from != lowerCaseName.length) {
            return false;
        }
        for (int i = 0; i < lowerCaseName.length; i++) {
            int c = bytes[from + i];
            if (c >= 'A' && c <= 'Z') {
                c += 32;
            }
            if (c != lowerCaseName[i]) {
                return false;
            }
        }
        return true;
    }

    /** True when {@code bytes[from, to)} is exactly {@code constant}. */
    static boolean equals(byte[] bytes, int from, int to, byte[] constant) {
        if (to - from != constant.length) {
            return false;
        }
        for (int i = 0; i < constant.length; i++) {
            if (bytes[from + i] != constant[i]) {
                return false;
            }
        }
        return true;
    }

    static boolean startsWith(byte[] bytes, int from, int to, byte[] prefix) {
        return to - from >= prefix.length && equals(bytes, from, from + prefix.length, prefix);
    }

    /**
     * Parses {@code bytes[from, to)} as a non-empty run of decimal digits no larger than
     * {@code max} (which must be below {@code Long.MAX_VALUE / 10}); returns -1 if the range is
     * empty, holds a non-digit, or exceeds {@code max}. Leading zeros are accepted.
     */
    static long parseDecimal(byte[] bytes, int from, int to, long max) {
        if (from >= to) {
            return -1;
        }
        long value = 0;
        for (int i = from; i < to; i++) {
            byte b = bytes[i];
            if (!isDigit(b)) {
                return -1;
            }
            value = value * 10 + (b - '0');
            if (value > max) {
                return -1; // checked every digit, so value*10 can never overflow
            }
        }
        return value;
    }

    /** Index of the first {@code b} in {@code bytes[from, to)}, or -1. */
    static int indexOf(byte[] bytes, int from, int to, byte b) {
        for (int i = from; i < to; i++) {
            if (bytes[i] == b) {
                return i;
            }
        }
        return -1;
    }

    /** Writes {@code value} (>= 0) in decimal at {@code pos}; returns the position after it. */
    static int putDecimal(byte[] dst, int pos, long value) {
        if (value == 0) {
            dst[pos] = '0';
            return pos + 1;
        }
        int digits = 0;
        for (long v = value; v != 0; v /= 10) {
            digits++;
        }
        for (int i = pos + digits - 1; i >= pos; i--) {
            dst[i] = (byte) ('0' + value % 10);
            value /= 10;
        }
        return pos + digits;
    }

    static int put(byte[] dst, int pos, byte[] src) {
        System.arraycopy(src, 0, dst, pos, src.length);
        return pos + src.length;
    }

    static byte[] bytes(String ascii) {
        return ascii.getBytes(java.nio.charset.StandardCharsets.US_ASCII);
    }

    /** Index of the end of the line content (before CR LF or LF), or -1 if it holds a bare CR. */
    static int lineContentEnd(byte[] b, int from, int lf) {
        int end = lf > from && b[lf - 1] == CR ? lf - 1 : lf;
        return indexOf(b, from, end, CR) >= 0 ? -1 : end;
    }

    /** True if every byte in [from, to) is a token character (RFC 9110 tchar). */
    static boolean allTchar(byte[] b, int from, int to) {
        for (int i = from; i < to; i++) {
            if (!isTchar(b[i])) {
                return false;
            }
        }
        return true;
    }
}
