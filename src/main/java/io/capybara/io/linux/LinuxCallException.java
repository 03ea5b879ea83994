package io.capybara.io.linux;

/**
 * A failed Linux call. The message names the call, what it acted on and the errno text, e.g.
 * {@code ioctl(TUNSETIFF) on cjtap0: Operation not permitted (errno 1)}.
 */
public final class LinuxCallException extends RuntimeException {
    private final String call;
    private final String subject;
    private final int errno;

    public LinuxCallException(String call, String subject, int errno) {
        super(call + " on " + subject + ": " + LinuxCalls.strerror(errno) + " (errno " + errno + ")");
        this.call = call;
        this.subject = subject;
        this.errno = errno;
    }

    /** The call as named in the message, e.g. {@code ioctl(TUNSETIFF)}. */
    public String call() {
        return call;
    }

    /** What the call acted on: an interface, a device path or a socket address. */
    public String subject() {
        return subject;
    }

    public int errno() {
        return errno;
    }
}
