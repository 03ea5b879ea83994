package io.capybara.tls;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.capybara.wire.BufferCrc;
import java.lang.management.ManagementFactory;
import java.nio.ByteOrder;
import java.security.SecureRandom;
import java.security.spec.AlgorithmParameterSpec;
import java.time.Instant;
import java.util.EnumSet;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.IvParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Allocation per record of the record layer: sealing in place, then receiving, opening and
 * handing the plaintext over, through two sessions of ours (one's write direction is the
 * other's read direction).
 *
 * <p>With the JDK's AEADs the JCA allocates inside the calls every record needs ({@code init}
 * with a fresh nonce, {@code updateAAD}, {@code doFinal}): JDK 25 rebuilds GHASH's key table on
 * every GCM init, a key stream and Poly1305 state on every ChaCha20-Poly1305 init; about 1.1 and
 * 2.2 KB per record and direction, printed here beside the same calls made bare (the two loops
 * are compiled apart, so their figures differ by tens of bytes from run to run: no assertion).
 * With an AEAD behind the same {@link Cipher} API that allocates nothing (a stand-in that copies
 * and checks a 16-byte tag), what is left is ours: the one nonce parameter object per {@code
 * init} that the API demands and nothing else.
 */
class RecordLayerAllocationTest {
    static final int RECORDS = 20_000;
    static final int LENGTH = 1_200;
    /**
     * Per record, with the non-allocating AEAD: the two nonce parameter objects the Cipher API
     * wants (a GCMParameterSpec and its copy of the nonce, 56 B; an IvParameterSpec, 48 B), and
     * a little for a one-off deoptimization. A buffer, a copy or a boxed value per record of
     * ours goes over it.
     */
    static final double OURS_MAX_BYTES = 120;

    private static final com.sun.management.ThreadMXBean MX =
            (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();

    private static long allocated() {
        return MX.getThreadAllocatedBytes(Thread.currentThread().threadId());
    }

    /**
     * A session whose read direction is {@code s}'s write direction (its snapshot with the write
     * secret, key, IV, sequence number and generation copied over the read ones), so that the
     * records {@code s} seals can be fed to it: both ends are ours.
     */
    static TlsServerSession mirror(TlsServerContext ctx, TlsServerSession s) throws Exception {
        UnsafeBuffer b = new UnsafeBuffer(new byte[s.snapshotSize()]);
        int n = s.snapshot(b, 0);
        TlsSuite suite = s.suite();
        int keys = suite.hashLength() + suite.keyLength() + TlsSuite.IV_LENGTH;
        b.putBytes(92, b, 92 + keys, keys);              // read secret, key, IV := write's
        b.putLong(52, b.getLong(60, ByteOrder.BIG_ENDIAN), ByteOrder.BIG_ENDIAN); // sequence
        b.putInt(68, b.getInt(72, ByteOrder.BIG_ENDIAN), ByteOrder.BIG_ENDIAN);   // generation
        b.putInt(n - 4, BufferCrc.crc32c(b, 0, n - 4), ByteOrder.BIG_ENDIAN);
        return TlsServerSession.restore(ctx, b, 0, n);
    }

    /** The same session moved to {@code ctx} (snapshot, restore): it takes its ciphers from that context's pool. */
    static TlsServerSession moved(TlsServerContext ctx, TlsServerSession s) throws Exception {
        UnsafeBuffer b = new UnsafeBuffer(new byte[s.snapshotSize()]);
        int n = s.snapshot(b, 0);
        s.release();
        return TlsServerSession.restore(ctx, b, 0, n);
    }

    /** One record: sealed in place by {@code sender}, received, opened and taken from {@code receiver}. */
    static Runnable record(TlsServerSession sender, TlsServerSession receiver) {
        org.agrona.MutableDirectBuffer seal = sender.sealBuffer();
        return () -> {
            int p = sender.maxPlaintext(1 << 16);
            if (p < LENGTH) {
                throw new AssertionError("room for " + p + " bytes");
            }
            seal.setMemory(TlsServerSession.SEAL_OFFSET, LENGTH, (byte) 'x');
            int r = sender.seal(LENGTH);
            int taken = receiver.receive(seal, 0, r);
            if (taken != r || receiver.plaintextLength() != LENGTH) {
                throw new AssertionError("record not delivered: " + taken + "/" + r + ", "
                        + receiver.plaintextLength() + " " + receiver.failure());
            }
            receiver.consumePlaintext(LENGTH);
        };
    }

    private static double perRecord(Runnable r) {
        for (int i = 0; i < RECORDS; i++) { // warm-up: pools filled, JIT settled
            r.run();
        }
        long before = allocated();
        for (int i = 0; i < RECORDS; i++) {
            r.run();
        }
        return (allocated() - before) / (double) RECORDS;
    }

    @ParameterizedTest
    @EnumSource(TlsSuite.class)
    void theRecordLayerAllocatesOnlyTheNonceObjectTheCipherApiDemands(TlsSuite suite) throws Exception {
        io.capybara.testing.Require.that(MX.isThreadAllocatedMemorySupported(),
                () -> "needs per-thread allocation counters");
        MX.setThreadAllocatedMemoryEnabled(true);
        SecureRandom random = TlsServerSessionTest.seeded(3);
        TlsServerContext ctx = new TlsServerContext(TlsServerSessionTest.IDENTITY, EnumSet.of(suite), random,
                KeyLog.NONE);
        TlsServerSession sender = LoopbackClient.establish(ctx, suite, LoopbackClient.crypto(random), null);
        TlsServerSession receiver = mirror(ctx, sender);

        // the JDK's AEAD: what the JCA allocates per record, through our sessions and bare
        double jdk = perRecord(record(sender, receiver));
        double bare = perRecord(bareJca(suite));
        System.err.printf("%s with the JDK's AEAD: %.1f B per record through the sessions, %.1f B in the same"
                + " JCA calls made bare%n", suite, jdk, bare);

        // the same sessions moved to a host whose ciphers allocate nothing: what is left is ours
        TlsServerContext stand = new TlsServerContext(TlsServerSessionTest.IDENTITY, EnumSet.of(suite), random,
                KeyLog.NONE);
        for (int i = 0; i < 4; i++) {
            stand.giveCipher(suite, NonAllocatingAead.cipher());
        }
        sender = moved(stand, sender);
        receiver = moved(stand, receiver);
        double ours = perRecord(record(sender, receiver));
        System.err.printf("%s with a non-allocating AEAD: %.1f B per record%n", suite, ours);
        assertTrue(ours <= OURS_MAX_BYTES, () -> String.format(
                "the record layer allocates %.1f B per record beyond the AEAD (at most %.0f: the nonce objects)",
                ours, OURS_MAX_BYTES));
        assertEquals(0, receiver.plaintextLength());
        assertTrue(!receiver.failed() && !sender.failed());
        // and the stand-in does check: a flipped bit is refused as with the real AEAD
        org.agrona.MutableDirectBuffer seal = sender.sealBuffer();
        int r = sender.seal(10);
        seal.putByte(r - 20, (byte) (seal.getByte(r - 20) ^ 1));
        receiver.receive(seal, 0, r);
        assertEquals(TlsRecords.BAD_RECORD_MAC, receiver.alertSent());
        sender.release();
        receiver.release();
    }

    /** The JCA calls a record needs, made directly: an init with a fresh nonce, the header, the AEAD, both ways. */
    private static Runnable bareJca(TlsSuite suite) throws Exception {
        Cipher c = Cipher.getInstance(suite.transformation());
        SecretKeySpec key = new SecretKeySpec(new byte[suite.keyLength()], suite.keyAlgorithm());
        byte[] nonce = new byte[TlsSuite.IV_LENGTH];
        byte[] buf = new byte[TlsRecords.MAX_RECORD];
        long[] seq = {0};
        return () -> {
            try {
                seq[0]++;
                for (int i = 0; i < 8; i++) {
                    nonce[TlsSuite.IV_LENGTH - 1 - i] = (byte) (seq[0] >>> (8 * i));
                }
                c.init(Cipher.ENCRYPT_MODE, key, spec(suite, nonce));
                c.updateAAD(buf, 0, TlsRecords.HEADER);
                int n = c.doFinal(buf, TlsRecords.HEADER, LENGTH + 1, buf, TlsRecords.HEADER);
                c.init(Cipher.DECRYPT_MODE, key, spec(suite, nonce));
                c.updateAAD(buf, 0, TlsRecords.HEADER);
                c.doFinal(buf, TlsRecords.HEADER, n, buf, TlsRecords.HEADER);
            } catch (java.security.GeneralSecurityException e) {
                throw new AssertionError(e);
            }
        };
    }

    private static AlgorithmParameterSpec spec(TlsSuite suite, byte[] nonce) {
        return suite.isGcm() ? new GCMParameterSpec(TlsSuite.TAG_LENGTH * 8, nonce) : new IvParameterSpec(nonce);
    }

    /**
     * An AEAD stand-in behind the {@link Cipher} API that allocates nothing: the ciphertext is the
     * plaintext, the tag a sum over additional data and text; opening checks the tag.
     * Not encryption: it only takes the real AEAD's allocations out of the measurement.
     */
    static final class NonAllocatingAead extends javax.crypto.CipherSpi {
        private static final java.security.Provider PROVIDER = new java.security.Provider("capybara-test", "1",
                "non-allocating AEAD stand-in") {
        };
        private boolean encrypt;
        private long sum;

        static Cipher cipher() {
            return new Cipher(new NonAllocatingAead(), PROVIDER, "NonAllocatingAead") {
            };
        }

        @Override
        protected void engineInit(int opmode, java.security.Key key, AlgorithmParameterSpec params,
                                  SecureRandom random) {
            if (!(params instanceof GCMParameterSpec || params instanceof IvParameterSpec)) {
                throw new IllegalArgumentException("a nonce is needed");
            }
            encrypt = opmode == Cipher.ENCRYPT_MODE;
            sum = 17; // (the nonce is left out: getIV() would copy it, an allocation of the stand-in's)
        }

        @Override
        protected void engineUpdateAAD(byte[] src, int offset, int len) {
            for (int i = 0; i < len; i++) {
                sum = sum * 31 + src[offset + i];
            }
        }

        @Override
        protected int engineDoFinal(byte[] in, int inOff, int len, byte[] out, int outOff)
                throws javax.crypto.AEADBadTagException {
            int text = encrypt ? len : len - TlsSuite.TAG_LENGTH;
            long s = sum;
            for (int i = 0; i < text; i++) {
                s = s * 31 + in[inOff + i];
            }
            if (!encrypt) {
                for (int i = 0; i < TlsSuite.TAG_LENGTH; i++) {
                    if (in[inOff + text + i] != (byte) (s >>> (8 * (i & 7)))) {
                        throw new javax.crypto.AEADBadTagException("tag mismatch");
                    }
                }
            }
            System.arraycopy(in, inOff, out, outOff, text);
            if (encrypt) {
                for (int i = 0; i < TlsSuite.TAG_LENGTH; i++) {
                    out[outOff + text + i] = (byte) (s >>> (8 * (i & 7)));
                }
                return text + TlsSuite.TAG_LENGTH;
            }
            return text;
        }

        @Override
        protected void engineSetMode(String mode) {
        }

        @Override
        protected void engineSetPadding(String padding) {
        }

        @Override
        protected int engineGetBlockSize() {
            return 0;
        }

        @Override
        protected int engineGetOutputSize(int inputLen) {
            return inputLen + TlsSuite.TAG_LENGTH;
        }

        @Override
        protected byte[] engineGetIV() {
            return null;
        }

        @Override
        protected java.security.AlgorithmParameters engineGetParameters() {
            return null;
        }

        @Override
        protected void engineInit(int opmode, java.security.Key key, SecureRandom random) {
            throw new UnsupportedOperationException("a nonce is needed");
        }

        @Override
        protected void engineInit(int opmode, java.security.Key key, java.security.AlgorithmParameters params,
                                  SecureRandom random) {
            throw new UnsupportedOperationException("a nonce is needed");
        }

        @Override
        protected byte[] engineUpdate(byte[] input, int inputOffset, int inputLen) {
            throw new UnsupportedOperationException("doFinal only");
        }

        @Override
        protected int engineUpdate(byte[] input, int inputOffset, int inputLen, byte[] output, int outputOffset) {
            throw new UnsupportedOperationException("doFinal only");
        }

        @Override
        protected byte[] engineDoFinal(byte[] input, int inputOffset, int inputLen) {
            throw new UnsupportedOperationException("in place only");
        }
    }
}
