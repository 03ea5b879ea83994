package io.capybara.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class JsonTest {
    @Test
    void writesNestedObjectsInOrderWithEscapes() {
        Json j = new Json().put("seeds", 3).put("ok", true).put("name", "a\"b\n");
        j.object("lat").put("p50", 1.5).put("nan", Double.NaN).put("inf", Double.POSITIVE_INFINITY);
        assertEquals("{\"seeds\":3,\"ok\":true,\"name\":\"a\\\"b\\n\",\"lat\":{\"p50\":1.5,\"nan\":null,\"inf\":null}}",
                j.toString());
    }

    @Test
    void numbersKeepFullPrecision() {
        double third = 1.0 / 3;
        String s = new Json().put("third", third).put("tiny", 1.25e-7).put("big", Long.MAX_VALUE).toString();
        @SuppressWarnings("unchecked")
        Map<String, Object> back = (Map<String, Object>) Json.parse(s);
        assertEquals(third, ((Number) back.get("third")).doubleValue());
        assertEquals(1.25e-7, ((Number) back.get("tiny")).doubleValue());
        assertEquals(Long.MAX_VALUE, ((Number) back.get("big")).longValue());
    }

    @Test
    void writesMapsListsAndArraysAsArrays() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("a", 1);
        m.put("b", List.of(1, "x"));
        m.put("c", new long[] {0, 7, 3});
        m.put("d", new double[] {0.5});
        m.put("e", new String[] {"x"});
        assertEquals("{\"m\":{\"a\":1,\"b\":[1,\"x\"],\"c\":[0,7,3],\"d\":[0.5],\"e\":[\"x\"]}}",
                new Json().put("m", m).toString());
    }

    @Test
    void counterObjectsAreNumbers() {
        java.util.concurrent.atomic.LongAdder adder = new java.util.concurrent.atomic.LongAdder();
        adder.add(3);
        assertEquals("{\"a\":5,\"b\":3.0,\"c\":\"X\"}", new Json().put("a", new java.util.concurrent.atomic.AtomicLong(5))
                .put("b", adder).put("c", Thread.State.NEW.name().replace("NEW", "X")).toString());
    }

    @Test
    void otherObjectsAreWrittenAsTheirText() {
        assertEquals("{\"p\":\"/tmp/x\"}", new Json().put("p", java.nio.file.Path.of("/tmp/x")).toString());
    }
}
