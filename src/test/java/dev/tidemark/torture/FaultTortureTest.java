package dev.tidemark.torture;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The fault torture's short form for CI: I/O faults injected with libfiu at a random moment, from then on (EIO from
 * open, read, write, fsync, rename or unlink; or short reads and writes) in real point (with and without a
 * database), restore, index rebuild, prune and run processes; {@code -Dtidemark.torture.trials=N} of each (default
 * 2; {@code bench/torture N all faults} runs more; {@code -Dtidemark.torture.faults=read,open} draws from those
 * only). Each faulted process must finish, or fail in one line without a stack trace (short reads and writes are
 * not errors: it must finish); what follows is the kill torture's check: verify --read-data exits 0, every committed
 * point restores byte-exact, the next run converges.
 */
@Tag("slow")
@Timeout(value = 40, unit = TimeUnit.MINUTES)
class FaultTortureTest {
    @TempDir
    Path tmp;

    @Test
    void ioErrorsAtRandomMomentsFailInOneLineLeaveEveryCommittedPointAndConverge() throws Exception {
        assertTrue(FaultInjection.fiuInstalled(), "libfiu's fiu-run and fiu-ctrl are needed (Debian: fiu-utils; "
                + ".ci/run installs them)");
        String only = System.getProperty("tidemark.torture.subjects");
        List<KillTorture.Subject> subjects = only == null ? List.of(KillTorture.Subject.values())
                : java.util.Arrays.stream(only.split(",")).map(s -> KillTorture.Subject.valueOf(s.trim()
                        .toUpperCase(java.util.Locale.ROOT))).toList();
        Map<KillTorture.Subject, KillTorture.Tally> t;
        try (KillTorture torture = new KillTorture(tmp, Long.getLong("tidemark.torture.seed", System.nanoTime()),
                true)) {
            t = torture.run(subjects, Integer.getInteger("tidemark.torture.trials", 2));
        }
        assertEquals(0, t.values().stream().mapToInt(x -> x.failures.size()).sum(), KillTorture.table(t));
    }
}
