package io.capybara.tls;

import java.security.GeneralSecurityException;
import java.security.spec.AlgorithmParameterSpec;
import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.IvParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * One direction of the TLS 1.3 record layer (RFC 8446 section 5.2 and 5.3): the traffic
 * secret, the key and IV derived from it, the 64-bit record sequence number and how many
 * KeyUpdates made this secret (the N of the key log's {@code *_TRAFFIC_SECRET_N}).
 *
 * <p>Per record: nonce = IV xor the sequence number left-padded to 12 bytes; additional data
 * = the 5-byte record header. Sealing and opening work in place on a byte array and reuse the
 * nonce array and the {@link Cipher} (taken from the context's pool). What still allocates per
 * record is the JCA, and no use of it avoids that: each record needs an {@code init} with a
 * fresh nonce (AES-GCM and ChaCha20-Poly1305 refuse a reused key and nonce, and the parameter
 * objects copy the nonce), and JDK 25 rebuilds GHASH's key table on every GCM init and a key
 * stream and Poly1305 state on every ChaCha20-Poly1305 init: about 1.1 KB (AES-GCM) and 2.2 KB
 * (ChaCha20-Poly1305) per record and direction, whatever the record's length.
 * RecordLayerAllocationTest holds the rest of the path (framing, nonce, buffers, the session's
 * receive and seal) to zero bytes beyond the JCA's own calls.
 */
final class RecordProtection {
    private final TlsSuite suite;
    private final byte[] secret;
    private final byte[] keyBytes;
    private final byte[] iv = new byte[TlsSuite.IV_LENGTH];
    private final byte[] nonce = new byte[TlsSuite.IV_LENGTH];
    private SecretKeySpec key;
    private long seq;
    private int generation;
    private Cipher cipher;

    RecordProtection(TlsSuite suite) {
        this.suite = suite;
        this.secret = new byte[suite.hashLength()];
        this.keyBytes = new byte[suite.keyLength()];
    }

    /** Installs a traffic secret: derives its key and IV; sequence number 0. */
    void install(byte[] trafficSecret, int gen) {
        System.arraycopy(trafficSecret, 0, secret, 0, secret.length);
        System.arraycopy(Hkdf.expandLabel(suite, secret, "key", keyBytes.length), 0, keyBytes, 0, keyBytes.length);
        System.arraycopy(Hkdf.expandLabel(suite, secret, "iv", TlsSuite.IV_LENGTH), 0, iv, 0, TlsSuite.IV_LENGTH);
        key = new SecretKeySpec(keyBytes, suite.keyAlgorithm());
        seq = 0;
        generation = gen;
    }

    /** Restores exactly: secret, derived key and IV, sequence number, generation. */
    void restore(byte[] src, int secretAt, int keyAt, int ivAt, long sequence, int gen) {
        System.arraycopy(src, secretAt, secret, 0, secret.length);
        System.arraycopy(src, keyAt, keyBytes, 0, keyBytes.length);
        System.arraycopy(src, ivAt, iv, 0, iv.length);
        key = new SecretKeySpec(keyBytes, suite.keyAlgorithm());
        seq = sequence;
        generation = gen;
    }

    /** Section 7.2: the next traffic secret, its key and IV; sequence number back to 0. */
    void update() {
        install(Hkdf.expandLabel(suite, secret, "traffic upd", secret.length), generation + 1);
    }

    void cipher(Cipher c) {
        cipher = c;
    }

    Cipher cipher() {
        return cipher;
    }

    TlsSuite suite() {
        return suite;
    }

    byte[] secret() {
        return secret;
    }

    byte[] keyBytes() {
        return keyBytes;
    }

    byte[] iv() {
        return iv;
    }

    long sequence() {
        return seq;
    }

    int generation() {
        return generation;
    }

    private AlgorithmParameterSpec nextNonce() {
        System.arraycopy(iv, 0, nonce, 0, nonce.length);
        long s = seq;
        for (int i = nonce.length - 1; i >= nonce.length - 8; i--) {
            nonce[i] ^= (byte) s;
            s >>>= 8;
        }
        return suite.isGcm() ? new GCMParameterSpec(TlsSuite.TAG_LENGTH * 8, nonce) : new IvParameterSpec(nonce);
    }

    /**
     * Protects one record in place: {@code buf[off + 5, off + 5 + innerLength)} holds the
     * TLSInnerPlaintext (content, type byte, padding); the header is written at {@code off} and
     * the ciphertext with its tag replaces the plaintext.
     *
     * @return the record's length, header included
     */
    int seal(byte[] buf, int off, int innerLength) {
        int length = innerLength + TlsSuite.TAG_LENGTH;
        buf[off] = TlsRecords.APPLICATION_DATA;
        buf[off + 1] = 3;
        buf[off + 2] = 3;
        buf[off + 3] = (byte) (length >>> 8);
        buf[off + 4] = (byte) length;
        try {
            cipher.init(Cipher.ENCRYPT_MODE, key, nextNonce());
            cipher.updateAAD(buf, off, TlsRecords.HEADER);
            int n = cipher.doFinal(buf, off + TlsRecords.HEADER, innerLength, buf, off + TlsRecords.HEADER);
            if (n != length) {
                throw new IllegalStateException("AEAD output " + n + " bytes, expected " + length);
            }
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("record sealing failed", e);
        }
        seq++;
        return TlsRecords.HEADER + length;
    }

    /**
     * Opens one whole record in place (header at {@code off}, {@code length} bytes of
     * ciphertext and tag after it).
     *
     * @return the TLSInnerPlaintext's length at {@code off + 5}, or -1 if it does not
     *     authenticate (bad_record_mac); the sequence number moves only on success
     */
    int open(byte[] buf, int off, int length) {
        if (length < TlsSuite.TAG_LENGTH) {
            return -1;
        }
        try {
            cipher.init(Cipher.DECRYPT_MODE, key, nextNonce());
            cipher.updateAAD(buf, off, TlsRecords.HEADER);
            int n = cipher.doFinal(buf, off + TlsRecords.HEADER, length, buf, off + TlsRecords.HEADER);
            seq++;
            return n;
        } catch (AEADBadTagException e) {
            return -1;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("record opening failed", e);
        }
    }
}
