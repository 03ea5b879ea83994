package io.capybara.host;

/** The operation a queue token stands for. */
public enum QueueOp {
    ACCEPT, CONNECT, PUSH, POP, CLOSE
}
