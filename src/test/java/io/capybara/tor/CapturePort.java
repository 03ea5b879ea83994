package io.capybara.tor;

import io.capybara.io.ScriptedChannel;

/** A test port of the switch: frames queued for it to poll, and a record of what it sent out. */
final class CapturePort extends ScriptedChannel {
    CapturePort(String name) {
        super(name);
    }
}
