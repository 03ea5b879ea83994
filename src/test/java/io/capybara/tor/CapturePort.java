package io.capybara.tor;

import io.capybara.io.ScriptedChannel;
import org.agrona.DirectBuffer;

/** A test port of the switch: frames queued for it to poll, and a record of what it sent out. */
final class CapturePort extends ScriptedChannel {
    /** When set, {@link #send} refuses every frame, as a full transmit ring does. */
    boolean refuse;

    CapturePort(String name) {
        super(name);
    }

    @Override
    public boolean send(DirectBuffer buffer, int offset, int length) {
        return !refuse && super.send(buffer, offset, length);
    }
}
