package dev.tokenmin.pipeline.console;

import java.io.PrintStream;
import java.util.List;

/**
 * Where the live view goes. On an interactive terminal each frame replaces the last (ANSI: cursor home, clear
 * screen, which every terminal emulator in use understands — two escape sequences do not warrant a terminal
 * library); otherwise (a pipe, a CI log, {@code --plain}) one summary line every few seconds, so logs stay readable.
 */
public final class Terminal {

    private static final String HOME_AND_CLEAR = "\u001b[H\u001b[2J";
    private static final long PLAIN_EVERY_NANOS = 5_000_000_000L;

    private final PrintStream out;
    private final boolean interactive;
    private long lastPlain;

    public Terminal(PrintStream out, boolean interactive) {
        this.out = out;
        this.interactive = interactive;
    }

    /** Interactive when a console is attached, the terminal is not dumb and {@code plain} was not asked for. */
    public static Terminal detect(PrintStream out, boolean plain) {
        String term = System.getenv("TERM");
        boolean tty = System.console() != null && System.console().isTerminal();
        return new Terminal(out, !plain && tty && term != null && !term.equals("dumb"));
    }

    public boolean interactive() {
        return interactive;
    }

    /** Shows a frame: all of it on a terminal; otherwise its first three lines, at most every five seconds. */
    public void frame(List<String> lines) {
        if (interactive) {
            StringBuilder s = new StringBuilder(HOME_AND_CLEAR);
            lines.forEach(l -> s.append(l).append('\n'));
            out.print(s);
            out.flush();
        } else if (System.nanoTime() - lastPlain >= PLAIN_EVERY_NANOS) {
            lastPlain = System.nanoTime();
            lines.stream().limit(3).forEach(out::println);
            out.flush();
        }
    }

    /** Shows every line of a frame, whatever the terminal (the final frame). */
    public void full(List<String> lines) {
        lines.forEach(out::println);
        out.flush();
    }
}
