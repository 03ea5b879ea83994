package io.capybara.tls;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.util.HexFormat;

/**
 * Where traffic secrets go for debugging: the NSS key log format that Wireshark and tshark
 * read ({@code LABEL <client_random hex> <secret hex>}, one per line). Called once per key
 * change, never per record.
 */
@FunctionalInterface
public interface KeyLog {
    KeyLog NONE = (label, clientRandom, secret) -> { };

    void log(String label, byte[] clientRandom, byte[] secret);

    /** Writes each line to {@code out} and flushes it (a capture may be decrypted while running). */
    static KeyLog to(Writer out) {
        HexFormat hex = HexFormat.of();
        return (label, clientRandom, secret) -> {
            try {
                out.write(label + " " + hex.formatHex(clientRandom) + " " + hex.formatHex(secret) + "\n");
                out.flush();
            } catch (IOException e) {
                throw new UncheckedIOException("key log: " + e.getMessage(), e);
            }
        };
    }
}
