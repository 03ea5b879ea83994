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
}
