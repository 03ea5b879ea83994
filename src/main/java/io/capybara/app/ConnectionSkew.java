package io.capybara.app;

import java.util.SplittableRandom;

/** How the open-loop generator spreads requests over its connections. */
public interface ConnectionSkew {
    /** Number of connections, indexed 0 .. n-1. */
    int connections();

    /** Draws the connection of the next request. */
    int sample(SplittableRandom random);

    /** Probability that a request goes to {@code connection}. */
    double probability(int connection);
}
