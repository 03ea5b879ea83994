package io.capybara.app;

import org.agrona.DirectBuffer;

/**
 * Accumulates one HTTP message head (start line + header fields + the empty line) into a fixed
 * byte array, from bytes that arrive in arbitrary chunks. Lines end with CRLF or a bare LF.
 * Empty lines before the start line are skipped (RFC 9112 section 2.2); they take no room once
 * a call has consumed them, so any number of them is harmless.
 *
 * <p>The whole state is four ints and the array prefix, which makes it trivially snapshotable.
 *
 * <p>A complete head is read line by line, the same way for requests and responses:
 * {@link #startLineEnd()}, then {@link #nextField()} until it returns {@link #END}. That reading
 * state lives only within one parse call, so it is not part of what a snapshot keeps.
 */
final class HeaderSection {
    /** Field names the parsers look for (lower case: compared ignoring case). */
    static final byte[] HOST = Ascii.bytes("host");
    static final byte[] CONTENT_LENGTH = Ascii.bytes("content-length");
    static final byte[] TRANSFER_ENCODING = Ascii.bytes("transfer-encoding");
    private static final byte[] CONNECTION = Ascii.bytes("connection");
    private static final byte[] CLOSE = Ascii.bytes("close");
    private static final byte[] KEEP_ALIVE = Ascii.bytes("keep-alive");

    /** {@link #nextField()}: a field line, its name and value are set. */
    static final int FIELD = 0;
    /** {@link #nextField()}: the empty line that ends the head. */
    static final int END = 1;
    /** {@link #nextField()}: a CR not followed by LF. */
    static final int BARE_CR = 2;
    /** {@link #nextField()}: no colon, or a name that is not a token (this also catches obs-fold). */
    static final int BAD_FIELD = 3;

    private final byte[] bytes;
    /** Bytes stored. */
    private int length;
    /** First byte of the message head (after skipped empty lines). */
    private int start;
    /** First byte of the line being received. */
    private int lineStart;
    private boolean complete;
    /** Reading a complete head: the first byte of the next line. */
    private int cursor;
    // The field line the last nextField() found: name, and value without surrounding whitespace.
    private int nameStart;
    private int nameEnd;
    private int valueStart;
    private int valueEnd;
    // The Connection tokens of the fields read so far.
    private boolean connectionClose;
    private boolean connectionKeepAlive;

    HeaderSection(int capacity) {
        bytes = new byte[capacity];
    }

    /**
     * Takes bytes until the head is complete or the array is full. Returns the number consumed;
     * afterwards check {@link #complete()} and {@link #full()}.
     */
    int append(DirectBuffer src, int offset, int available) {
        int take = Math.min(available, bytes.length - length);
        src.getBytes(offset, bytes, length, take);
        int end = length + take;
        for (int i = length; i < end; i++) {
            if (bytes[i] != Ascii.LF) {
                continue;
            }
            int contentEnd = i > lineStart && bytes[i - 1] == Ascii.CR ? i - 1 : i;
            if (contentEnd == lineStart) {
                if (lineStart == start) {
                    start = i + 1; // empty line before the start line: skipped
                } else {
                    complete = true;
                    int consumed = i + 1 - length;
                    length = i + 1;
                    return consumed;
                }
            }
            lineStart = i + 1;
        }
        if (start == end) {
            start = 0; // nothing but empty lines so far: drop them, so they never fill the array
            lineStart = 0;
            end = 0;
        }
        length = end;
        return take;
    }

    boolean complete() {
        return complete;
    }

    /** No room for another byte while the head is still incomplete. */
    boolean full() {
        return !complete && length == bytes.length;
    }

    /** True while the first (start) line has not ended yet. */
    boolean onStartLine() {
        return lineStart == start;
    }

    byte[] bytes() {
        return bytes;
    }

    int start() {
        return start;
    }

    /** End of the head: one past its final LF once {@link #complete()}. */
    int length() {
        return length;
    }

    int lineStart() {
        return lineStart;
    }

    int capacity() {
        return bytes.length;
    }

    /** End of the start line's content (the field lines are read next), or -1 on a bare CR. */
    int startLineEnd() {
        int lf = Ascii.indexOf(bytes, start, length, Ascii.LF);
        cursor = lf + 1;
        connectionClose = false;
        connectionKeepAlive = false;
        return Ascii.lineContentEnd(bytes, start, lf);
    }

    /** Reads the next field line of a complete head: {@link #FIELD}, {@link #END}, {@link #BARE_CR} or {@link #BAD_FIELD}. */
    int nextField() {
        int p = cursor;
        if (p >= length) {
            return END;
        }
        int lf = Ascii.indexOf(bytes, p, length, Ascii.LF);
        int lineEnd = Ascii.lineContentEnd(bytes, p, lf);
        cursor = lf + 1;
        if (lineEnd < 0) {
            return BARE_CR;
        }
        if (lineEnd == p) {
            return END;
        }
        int colon = Ascii.indexOf(bytes, p, lineEnd, (byte) ':');
        if (colon <= p || !Ascii.allTchar(bytes, p, colon)) {
            return BAD_FIELD;
        }
        int vs = colon + 1;
        int ve = lineEnd;
        while (vs < ve && Ascii.isOws(bytes[vs])) {
            vs++;
        }
        while (ve > vs && Ascii.isOws(bytes[ve - 1])) {
            ve--;
        }
        nameStart = p;
        nameEnd = colon;
        valueStart = vs;
        valueEnd = ve;
        if (nameIs(CONNECTION)) {
            connectionClose |= valueHasToken(CLOSE);
            connectionKeepAlive |= valueHasToken(KEEP_ALIVE);
        }
        return FIELD;
    }

    /**
     * Whether the connection persists after this message (RFC 9112 section 9.3): in HTTP/1.1
     * unless a Connection field says "close", in HTTP/1.0 only if one says "keep-alive" (and
     * none "close"). Read once {@link #nextField()} returned {@link #END}.
     */
    boolean persistent(boolean http10) {
        return http10 ? connectionKeepAlive && !connectionClose : !connectionClose;
    }

    /** Whether the current field's name is {@code name} (lower case), ignoring case. */
    boolean nameIs(byte[] name) {
        return Ascii.equalsIgnoreCase(bytes, nameStart, nameEnd, name);
    }

    int valueStart() {
        return valueStart;
    }

    int valueEnd() {
        return valueEnd;
    }

    /** The current field's value as a decimal at most {@code max}, or -1 if it is not one. */
    long valueAsDecimal(long max) {
        return Ascii.parseDecimal(bytes, valueStart, valueEnd, max);
    }

    /** Whether the current field's value, a comma-separated list, holds {@code token} (ignoring case). */
    boolean valueHasToken(byte[] token) {
        for (int t = valueStart; t < valueEnd; ) {
            int comma = Ascii.indexOf(bytes, t, valueEnd, (byte) ',');
            int te = comma < 0 ? valueEnd : comma;
            int ts = t;
            while (ts < te && Ascii.isOws(bytes[ts])) {
                ts++;
            }
            int tEnd = te;
            while (tEnd > ts && Ascii.isOws(bytes[tEnd - 1])) {
                tEnd--;
            }
            if (Ascii.equalsIgnoreCase(bytes, ts, tEnd, token)) {
                return true;
            }
            t = te + 1;
        }
        return false;
    }

    void reset() {
        length = 0;
        start = 0;
        lineStart = 0;
        complete = false;
    }

    /**
     * Restores an incomplete head from the bytes received so far by replaying them, so line
     * positions need not be serialized. Returns false if the bytes are not an incomplete head
     * that fits (they would complete it, or overflow the array).
     */
    boolean restore(DirectBuffer src, int offset, int length) {
        reset();
        if (length > bytes.length) {
            return false;
        }
        return append(src, offset, length) == length && !complete;
    }
}
