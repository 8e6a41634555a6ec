package dev.tidemark.db;

import dev.tidemark.TidemarkException;
import dev.tidemark.config.HookConfig;
import java.io.IOException;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** Runs a restore hook: the configured argument list (no shell), its output passed through, killed at its timeout. */
public final class Hooks {
    private Hooks() {
    }

    /** Runs the hook; a non-zero exit, a timeout or a command that cannot start throws, naming the field. */
    public static void run(String field, HookConfig hook, Map<String, String> env) {
        ProcessBuilder pb = new ProcessBuilder(hook.command()).inheritIO();
        pb.environment().putAll(env);
        Process p;
        try {
            p = pb.start();
        } catch (IOException e) {
            throw TidemarkException.failed(field + ": '" + hook.command().get(0) + "' cannot be started ("
                    + e.getMessage() + "); fix the command in the config");
        }
        try {
            if (!p.waitFor(hook.timeout().toMillis(), TimeUnit.MILLISECONDS)) {
                p.descendants().forEach(ProcessHandle::destroyForcibly);
                p.destroyForcibly();
                p.waitFor(10, TimeUnit.SECONDS);
                throw TidemarkException.failed(field + " " + String.join(" ", hook.command()) + " did not finish in "
                        + hook.timeout().toSeconds() + " s and was killed; raise " + field + ".timeout if it needs longer");
            }
        } catch (InterruptedException e) {
            p.destroyForcibly();
            Thread.currentThread().interrupt();
            throw TidemarkException.failed(field + " interrupted");
        }
        if (p.exitValue() != 0) {
            throw TidemarkException.failed(field + " " + String.join(" ", hook.command()) + " exited with "
                    + p.exitValue());
        }
    }
}
