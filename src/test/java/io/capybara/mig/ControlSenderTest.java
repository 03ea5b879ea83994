package io.capybara.mig;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/** How a state is cut into CONN_STATE fragments. */
class ControlSenderTest {
    @Test
    void aStateTakesAsManyFragmentsAsItsBodiesFillAndNoMore() {
        ControlSender s = new ControlSender(new LoneEngine(LoneEngine.quiet(), null).host, 1500);
        int body = s.fragmentBody();
        assertEquals(MigrationConfig.fragmentBody(1500), body);
        assertEquals(0, s.fragments(0));
        assertEquals(1, s.fragments(1));
        assertEquals(1, s.fragments(body));
        assertEquals(2, s.fragments(body + 1));
        assertEquals(3, s.fragments(3 * body));
    }
}
