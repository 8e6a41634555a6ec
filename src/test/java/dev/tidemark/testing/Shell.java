package dev.tidemark.testing;

import java.nio.charset.StandardCharsets;

/** A bash script for what Java cannot do itself in a test: mount, mkfifo, names that are not UTF-8. */
public final class Shell {
    private Shell() {
    }

    /** Runs {@code script}; a non-zero exit is an AssertionError carrying the script and its output. */
    public static void run(String script) throws Exception {
        Process p = new ProcessBuilder("bash", "-c", script).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (p.waitFor() != 0) {
            throw new AssertionError(script + ": " + out);
        }
    }
}
