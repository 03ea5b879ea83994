package io.capybara.app;

import java.util.SplittableRandom;

/** Every connection equally likely. */
public final class UniformSkew implements ConnectionSkew {
    private final int connections;

    public UniformSkew(int connections) {
        if (connections < 1) {
            throw new IllegalArgumentException("connections < 1: " + connections);
        }
        this.connections = connections;
    }

    @Override
    public int connections() {
        return connections;
    }

    @Override
    public int sample(SplittableRandom random) {
        return random.nextInt(connections);
    }

    @Override
    public double probability(int connection) {
        return 1.0 / connections;
    }
}
