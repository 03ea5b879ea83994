package io.capybara.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class JsonTest {
    @Test
    void writesNestedObjectsInOrderWithEscapes() {
        Json j = new Json().put("seeds", 3).put("ok", true).put("name", "a\"b\n");
        j.object("lat").put("p50", 1.5).put("nan", Double.NaN);
        assertEquals("{\"seeds\":3,\"ok\":true,\"name\":\"a\\\"b\\n\",\"lat\":{\"p50\":1.5000,\"nan\":null}}",
                j.toString());
    }

    @Test
    void writesMapsAndLists() {
        java.util.Map<String, Object> m = new java.util.LinkedHashMap<>();
        m.put("a", 1);
        m.put("b", java.util.List.of(1, "x"));
        assertEquals("{\"m\":{\"a\":1,\"b\":[1,\"x\"]}}", new Json().put("m", m).toString());
    }
}
