package io.capybara.app;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.agrona.concurrent.UnsafeBuffer;

/** Parses a server's whole output into responses (for assertions). */
final class ResponseList {
    record Resp(int status, long length, boolean keepAlive, boolean contentOk) {
    }

    private ResponseList() {
    }

    /** @param heads which responses answer HEAD requests, in order (null: none) */
    static List<Resp> parse(byte[] output, boolean[] heads, boolean verify) {
        HttpResponseParser p = new HttpResponseParser(8192);
        p.verifyBytesContent(verify);
        List<Resp> out = new ArrayList<>();
        UnsafeBuffer buf = new UnsafeBuffer(output);
        int off = 0;
        while (off < output.length) {
            p.expectHead(heads != null && out.size() < heads.length && heads[out.size()]);
            int used = p.parse(buf, off, output.length - off);
            assertFalse(p.failed(), () -> "response " + out.size() + " malformed: " + p.error());
            off += used;
            if (p.hasResponse()) {
                out.add(new Resp(p.status(), p.contentLength(), p.keepAlive(), p.contentOk()));
            }
        }
        assertTrue(!p.inProgress(), "output ends inside a response");
        return out;
    }
}
