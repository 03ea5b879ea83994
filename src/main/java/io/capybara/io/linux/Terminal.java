package io.capybara.io.linux;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;

/**
 * Whether a standard stream is a terminal ({@code isatty(3)}): progress is redrawn in place
 * with {@code \r} only there; into a file or a pipe it goes as plain lines. (System.console()
 * speaks for stdin and stdout together, not for stderr, where progress goes.)
 */
public final class Terminal {
    public static final int STDOUT = 1;
    public static final int STDERR = 2;

    private static final MethodHandle ISATTY = Linker.nativeLinker().defaultLookup().find("isatty")
            .map(a -> Linker.nativeLinker().downcallHandle(a, FunctionDescriptor.of(ValueLayout.JAVA_INT,
                    ValueLayout.JAVA_INT)))
            .orElse(null);

    private Terminal() {
    }

    /** True if file descriptor {@code fd} is a terminal; false if unknown. */
    public static boolean isTerminal(int fd) {
        if (ISATTY == null) {
            return false;
        }
        try {
            return (int) ISATTY.invokeExact(fd) == 1;
        } catch (Throwable t) {
            return false;
        }
    }

    /** stderr is a terminal (where progress lines go). */
    public static boolean stderr() {
        return isTerminal(STDERR);
    }
}
