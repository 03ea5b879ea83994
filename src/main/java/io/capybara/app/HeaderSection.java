package io.capybara.app;

import org.agrona.DirectBuffer;

/**
 * Accumulates one HTTP message head (start line + header fields + the empty line) into a fixed
 * byte array, from bytes that arrive in arbitrary chunks. Lines end with CRLF or a bare LF.
 * Empty lines before the start line are skipped (RFC 9112 section 2.2); they take no room once
 * a call has consumed them, so any number of them is harmless.
 *
 * <p>The whole state is four ints and the array prefix, which makes it trivially snapshotable.
 */
final class HeaderSection {
    private final byte[] bytes;
    /** Bytes stored. */
    private int length;
    /** First byte of the message head (after skipped empty lines). */
    private int start;
    /** First byte of the line being received. */
    private int lineStart;
    private boolean complete;

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
