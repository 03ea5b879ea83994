package io.capybara.tls;

/**
 * The three TLS 1.3 cipher suites this server speaks (RFC 8446 appendix B.4), with what the
 * record layer needs of each: the AEAD through javax.crypto, its key length, and the hash of
 * the key schedule (HMAC for HKDF, and the length of a traffic secret).
 */
public enum TlsSuite {
    TLS_AES_128_GCM_SHA256(0x1301, "AES/GCM/NoPadding", "AES", 16, "HmacSHA256", 32),
    TLS_AES_256_GCM_SHA384(0x1302, "AES/GCM/NoPadding", "AES", 32, "HmacSHA384", 48),
    TLS_CHACHA20_POLY1305_SHA256(0x1303, "ChaCha20-Poly1305", "ChaCha20", 32, "HmacSHA256", 32);

    /** AEAD tag and nonce lengths, the same for all three. */
    public static final int TAG_LENGTH = 16;
    public static final int IV_LENGTH = 12;

    private final int code;
    private final String transformation;
    private final String keyAlgorithm;
    private final int keyLength;
    private final String hmac;
    private final int hashLength;

    TlsSuite(int code, String transformation, String keyAlgorithm, int keyLength, String hmac, int hashLength) {
        this.code = code;
        this.transformation = transformation;
        this.keyAlgorithm = keyAlgorithm;
        this.keyLength = keyLength;
        this.hmac = hmac;
        this.hashLength = hashLength;
    }

    /** The IANA code point (0x1301..0x1303). */
    public int code() {
        return code;
    }

    public String transformation() {
        return transformation;
    }

    public String keyAlgorithm() {
        return keyAlgorithm;
    }

    public int keyLength() {
        return keyLength;
    }

    public String hmac() {
        return hmac;
    }

    /** Length of the hash, and so of every traffic secret. */
    public int hashLength() {
        return hashLength;
    }

    public boolean isGcm() {
        return this != TLS_CHACHA20_POLY1305_SHA256;
    }

    /** The suite with this IANA code, or null. */
    public static TlsSuite byCode(int code) {
        for (TlsSuite s : values()) {
            if (s.code == code) {
                return s;
            }
        }
        return null;
    }

    /** By name as on the command line: the IANA name, or short forms like aes128, aes256, chacha20. */
    public static TlsSuite byName(String name) {
        String n = name.trim().toUpperCase(java.util.Locale.ROOT).replace('-', '_');
        for (TlsSuite s : values()) {
            if (s.name().equals(n)) {
                return s;
            }
        }
        return switch (n) {
            case "AES128", "AES_128_GCM", "AES128GCM" -> TLS_AES_128_GCM_SHA256;
            case "AES256", "AES_256_GCM", "AES256GCM" -> TLS_AES_256_GCM_SHA384;
            case "CHACHA20", "CHACHA20_POLY1305", "CHACHA" -> TLS_CHACHA20_POLY1305_SHA256;
            default -> throw new IllegalArgumentException("unknown TLS 1.3 cipher suite '" + name
                    + "' (one of aes128, aes256, chacha20)");
        };
    }
}
