package io.capybara.tls;

/** Record-layer constants of RFC 8446 (content types, limits, alert descriptions). */
public final class TlsRecords {
    public static final byte CHANGE_CIPHER_SPEC = 20;
    public static final byte ALERT = 21;
    public static final byte HANDSHAKE = 22;
    public static final byte APPLICATION_DATA = 23;

    /** Record header: type, legacy version (2), length (2). */
    public static final int HEADER = 5;
    /** Largest plaintext fragment (2^14). */
    public static final int MAX_PLAINTEXT = 1 << 14;
    /** Largest TLSCiphertext length field in TLS 1.3 (2^14 + 256). */
    public static final int MAX_CIPHERTEXT = MAX_PLAINTEXT + 256;
    /** Largest whole record: header and ciphertext. */
    public static final int MAX_RECORD = HEADER + MAX_CIPHERTEXT;
    /** Bytes a record adds to its content: header, inner content type, AEAD tag. */
    public static final int OVERHEAD = HEADER + 1 + TlsSuite.TAG_LENGTH;

    public static final byte HANDSHAKE_KEY_UPDATE = 24;
    public static final byte UPDATE_NOT_REQUESTED = 0;
    public static final byte UPDATE_REQUESTED = 1;

    public static final byte ALERT_WARNING = 1;
    public static final byte ALERT_FATAL = 2;
    public static final byte CLOSE_NOTIFY = 0;
    public static final byte UNEXPECTED_MESSAGE = 10;
    public static final byte BAD_RECORD_MAC = 20;
    public static final byte RECORD_OVERFLOW = 22;
    public static final byte HANDSHAKE_FAILURE = 40;
    public static final byte ILLEGAL_PARAMETER = 47;
    public static final byte DECODE_ERROR = 50;
    public static final byte INTERNAL_ERROR = 80;

    private TlsRecords() {
    }

    /** A name for an alert description, for logs and counters. */
    public static String alertName(int description) {
        return switch (description) {
            case CLOSE_NOTIFY -> "close_notify";
            case UNEXPECTED_MESSAGE -> "unexpected_message";
            case BAD_RECORD_MAC -> "bad_record_mac";
            case RECORD_OVERFLOW -> "record_overflow";
            case HANDSHAKE_FAILURE -> "handshake_failure";
            case ILLEGAL_PARAMETER -> "illegal_parameter";
            case DECODE_ERROR -> "decode_error";
            case INTERNAL_ERROR -> "internal_error";
            default -> org.bouncycastle.tls.AlertDescription.getText((short) description);
        };
    }
}
