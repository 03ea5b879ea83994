package io.capybara.mig;

import jdk.jfr.Category;
import jdk.jfr.Description;
import jdk.jfr.Enabled;
import jdk.jfr.Label;
import jdk.jfr.Name;
import jdk.jfr.StackTrace;
import jdk.jfr.Timespan;

/** One timed migration step, for JFR recordings; committed only when the event is enabled. */
@Name("io.capybara.mig.Step")
@Label("Migration step")
@Category({"Capybara", "TCPMig"})
@StackTrace(false)
@Enabled(false) // on demand: -XX:StartFlightRecording:...,+io.capybara.mig.Step#enabled=true or a .jfc
public final class MigrationStepEvent extends jdk.jfr.Event {
    @Label("Step")
    public String step;

    @Label("Migration id")
    public int migrationId;

    @Label("Server")
    @Description("IPv4 address of the server running the step, as an int")
    public int serverIp;

    @Label("Duration")
    @Timespan(Timespan.NANOSECONDS)
    public long durationNanos;
}
