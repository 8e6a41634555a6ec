package dev.tidemark.torture;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The fault mode of {@link KillTorture}: which I/O faults libfiu injects, how they are injected into a running
 * process, how a faulted process must end, and how the process is started so that a fault tests tidemark's I/O
 * rather than the JVM's class loading ({@link Preloaded}).
 */
final class FaultInjection {
    private FaultInjection() {
    }

    /**
     * An I/O fault injected with libfiu ({@code fiu-run -x}, then {@code fiu-ctrl} at the trial's moment) instead of
     * the kill: from then on every such call of the process fails with EIO, as on a disk going bad. The process must
     * then finish, or fail with one line and no stack trace; the checks after it are the kill's.
     */
    public enum Fault {
        FSYNC(false, "posix/io/sync/fsync", "posix/io/sync/fdatasync"),
        RENAME(false, "posix/io/dir/rename"),
        UNLINK(false, "posix/io/dir/unlink"),
        OPEN(false, "posix/io/oc/open"),
        READ(false, "posix/io/rw/readv", "posix/io/rw/read"),
        /**
         * Positioned reads (FileChannel.read at a position). Apart from READ: with both failing, the JVM itself
         * dies of SIGSEGV (tried on OpenJDK 17 with a ten-line program that only reads a file).
         */
        PREAD(false, "posix/io/rw/pread", "posix/io/rw/preadv"),
        /** Every write fails, the process's own output too: it cannot say why it stopped, only exit non-zero. */
        WRITE(false, "posix/io/rw/pwrite", "posix/io/rw/writev", "posix/io/rw/pwritev", "posix/io/rw/write"),
        /** Reads return fewer bytes than asked (not an error): the process must finish as if nothing happened. */
        SHORT_READ(true, "posix/io/rw/pread/reduce", "posix/io/rw/readv/reduce", "posix/io/rw/preadv/reduce",
                "posix/io/rw/read/reduce"),
        /** Writes take fewer bytes than given (not an error): the process must finish as if nothing happened. */
        SHORT_WRITE(true, "posix/io/rw/pwrite/reduce", "posix/io/rw/writev/reduce", "posix/io/rw/pwritev/reduce",
                "posix/io/rw/write/reduce");
        // open(2) and read(2) faults need tidemark's classes loaded first (Preloaded): the JVM opens and reads a
        // class file when the class is first used, and such a fault would otherwise break class loading, not test
        // tidemark (tried: every such failure was a NoClassDefFoundError).

        final boolean shortOnly;
        final List<String> failpoints;

        Fault(boolean shortOnly, String... failpoints) {
            this.shortOnly = shortOnly;
            this.failpoints = List.of(failpoints);
        }
    }

    /** Whether libfiu's tools are installed (the fault mode needs them). */
    public static boolean fiuInstalled() {
        return Files.isExecutable(Path.of("/usr/bin/fiu-run")) && Files.isExecutable(Path.of("/usr/bin/fiu-ctrl"));
    }

    /** Enables {@code f} in the running process: every such call fails with EIO from now on. */
    static void inject(Process p, Fault f) throws Exception {
        // One command at a time through libfiu's control pipe, whose reader in the process does its I/O through the
        // very calls being faulted: the plain read(2) or write(2) failpoint comes last, and a reply that cannot be
        // written (WRITE) leaves fiu-ctrl waiting for it, so it is given a few seconds and then stopped.
        for (String failpoint : f.failpoints) {
            Path out = Files.createTempFile("fiu-ctrl", ".out");
            try {
                Process ctl = new ProcessBuilder("/usr/bin/fiu-ctrl", "-c", "enable name=" + failpoint
                        + (f.shortOnly ? "" : ",failinfo=5"), String.valueOf(p.pid())).redirectErrorStream(true)
                        .redirectOutput(out.toFile()).start();
                if (!ctl.waitFor(3, TimeUnit.SECONDS)) {
                    ctl.destroyForcibly();
                    ctl.waitFor(10, TimeUnit.SECONDS);
                    continue;
                }
                // A process that ended before the fault could be injected simply finished: its exit is checked
                // all the same.
                if (ctl.exitValue() != 0 && p.isAlive()) {
                    throw new IOException("fiu-ctrl failed: " + Files.readString(out));
                }
            } finally {
                Files.deleteIfExists(out);
            }
        }
    }

    /**
     * A faulted process ended well: it finished (exit 0), or it said why it stopped in one line (exit 1 with
     * "tidemark: ..." last; exit 5 for a point that left files out, each named) and printed no stack trace.
     */
    static void checkFailedCleanly(Fault f, int exit, String output) {
        if (output.contains("\tat ") || output.contains("Exception in thread") || output.contains("hs_err")) {
            throw new AssertionError("exit " + exit + " with a stack trace or a crash: " + output);
        }
        if (exit == 0) {
            return;
        }
        if (f.shortOnly) {
            throw new AssertionError("exit " + exit + " after short reads or writes, which are not errors: " + output);
        }
        if (exit != 1 && exit != 3 && exit != 4 && exit != 5) {
            throw new AssertionError("exit " + exit + " is not one of tidemark's codes: " + output);
        }
        if (f == Fault.WRITE) {
            return; // its own output fails too: the exit code is all it can say
        }
        String last = output.strip().lines().reduce((a, b) -> b).orElse("");
        if (!last.startsWith("tidemark: ")) {
            throw new AssertionError("exit " + exit + " without a line saying why: " + output);
        }
    }

    /** Fault mode: the directory holding {@link Preloaded}, first on the child's classpath. */
    static Path preloadDir(Path base) throws IOException {
        Path dir = base.resolve("preload");
        Path cls = dir.resolve("dev/tidemark/torture/Preloaded.class");
        if (!Files.exists(cls)) {
            Files.createDirectories(cls.getParent());
            try (java.io.InputStream in = Preloaded.class.getResourceAsStream("Preloaded.class")) {
                Files.copy(in, cls);
            }
        }
        return dir;
    }

    /** Waits until the child has loaded its classes (or ended): faults are injected only after that. */
    static void awaitPreloaded(Process p, Path marker) throws IOException {
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(2);
        while (!Files.exists(marker) && p.isAlive()) {
            if (System.nanoTime() > deadline) {
                p.destroyForcibly();
                throw new IOException("the child did not load its classes within 2 minutes");
            }
            try {
                Thread.sleep(5);
            } catch (InterruptedException ie) {
                Thread.currentThread().interrupt();
                throw new IOException(ie);
            }
        }
    }
}
