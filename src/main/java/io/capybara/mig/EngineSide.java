package io.capybara.mig;

import io.capybara.host.Host;
import io.capybara.wire.ConnStateEnvelope;
import io.capybara.wire.TcpMigHeader;
import java.util.function.LongConsumer;

/**
 * What the two halves of one server's engine ({@link Origin}, {@link Target}) share: the
 * engine's host, configuration, application and metrics, the control channel, the forwarding
 * table and the control message being handled.
 */
abstract class EngineSide {
    final MigrationEngine engine;
    final Host host;
    final MigrationConfig config;
    final MigratableApp app;
    final MigrationMetrics metrics;
    final ControlSender sender;
    final ForwardTable forward;
    /** The control message being handled (one flyweight per engine). */
    final TcpMigHeader rx;
    /** This server's address. */
    final int self;
    final ConnStateEnvelope envelope = new ConnStateEnvelope();
    /** {@link MigrationEngine#arm}, for {@link SlotPool#expire} (made once: no allocation per scan). */
    final LongConsumer armTimer;

    EngineSide(MigrationEngine engine, ControlSender sender, ForwardTable forward, TcpMigHeader rx) {
        this.engine = engine;
        this.host = engine.host();
        this.config = engine.config();
        this.app = engine.app();
        this.metrics = engine.metrics();
        this.sender = sender;
        this.forward = forward;
        this.rx = rx;
        this.self = host.config().ip();
        this.armTimer = engine::arm;
    }
}
