package io.capybara.tls;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * HKDF-Expand-Label of RFC 8446 section 7.1 (over RFC 5869's HKDF-Expand): how a traffic
 * secret becomes the record key and IV, and the next secret after a KeyUpdate. Runs once per
 * key change, never per record, so it may allocate.
 */
public final class Hkdf {
    private static final byte[] PREFIX = "tls13 ".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] EMPTY = new byte[0];

    private Hkdf() {
    }

    /** HKDF-Expand-Label(secret, label, context = "", length) under the suite's hash. */
    public static byte[] expandLabel(TlsSuite suite, byte[] secret, String label, int length) {
        return expandLabel(suite.hmac(), secret, label, EMPTY, length);
    }

    public static byte[] expandLabel(String hmac, byte[] secret, String label, byte[] context, int length) {
        byte[] l = label.getBytes(StandardCharsets.US_ASCII);
        byte[] info = new byte[2 + 1 + PREFIX.length + l.length + 1 + context.length];
        int p = 0;
        info[p++] = (byte) (length >>> 8);
        info[p++] = (byte) length;
        info[p++] = (byte) (PREFIX.length + l.length);
        System.arraycopy(PREFIX, 0, info, p, PREFIX.length);
        p += PREFIX.length;
        System.arraycopy(l, 0, info, p, l.length);
        p += l.length;
        info[p++] = (byte) context.length;
        System.arraycopy(context, 0, info, p, context.length);
        return expand(hmac, secret, info, length);
    }

    /** RFC 5869 HKDF-Expand: T(1) | T(2) | ... cut to {@code length}. */
    public static byte[] expand(String hmac, byte[] prk, byte[] info, int length) {
        try {
            Mac mac = Mac.getInstance(hmac);
            mac.init(new SecretKeySpec(prk, hmac));
            byte[] out = new byte[length];
            byte[] t = EMPTY;
            int done = 0;
            for (int i = 1; done < length; i++) {
                mac.update(t);
                mac.update(info);
                mac.update((byte) i);
                t = mac.doFinal();
                int n = Math.min(t.length, length - done);
                System.arraycopy(t, 0, out, done, n);
                done += n;
            }
            return out;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(hmac + " unavailable", e);
        }
    }
}
