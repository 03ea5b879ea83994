package io.capybara.tcp;

import java.util.function.Consumer;
import org.agrona.concurrent.UnsafeBuffer;

/** One snapshot group's bytes, written and read back on their own: for unit tests of a group. */
final class SnapshotBytes {
    private SnapshotBytes() {
    }

    /** What {@code group} writes, exactly. */
    static byte[] written(Consumer<SnapshotWriter> group) {
        UnsafeBuffer b = new UnsafeBuffer(new byte[256]);
        SnapshotWriter w = new SnapshotWriter().wrap(b, 0);
        group.accept(w);
        byte[] out = new byte[w.position()];
        b.getBytes(0, out);
        return out;
    }

    static SnapshotReader reader(byte[] s) {
        return new SnapshotReader().wrap(new UnsafeBuffer(s), 0, s.length);
    }
}
