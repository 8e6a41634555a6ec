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
 * The kill torture's short form for CI: {@code -Dtidemark.torture.trials=N} kills of each subject (default 3;
 * {@code bench/torture} runs hundreds). No failure is allowed: each names its trial and keeps its directory.
 */
@Tag("slow")
@Timeout(value = 40, unit = TimeUnit.MINUTES)
class TortureTest {
    static final int TRIALS = Integer.getInteger("tidemark.torture.trials", 3);

    @TempDir
    Path tmp;

    @Test
    void killsAtRandomMomentsLeaveEveryCommittedPointAndConverge() throws Exception {
        String only = System.getProperty("tidemark.torture.subjects");
        List<KillTorture.Subject> subjects = only == null ? List.of(KillTorture.Subject.values())
                : java.util.Arrays.stream(only.split(",")).map(s -> KillTorture.Subject.valueOf(s.trim()
                        .toUpperCase(java.util.Locale.ROOT))).toList();
        Map<KillTorture.Subject, KillTorture.Tally> t;
        try (KillTorture torture = new KillTorture(tmp, Long.getLong("tidemark.torture.seed", System.nanoTime()))) {
            t = torture.run(subjects, TRIALS);
        }
        assertEquals(0, t.values().stream().mapToInt(x -> x.failures.size()).sum(), KillTorture.table(t));
        if (t.containsKey(KillTorture.Subject.RUN)) {
            // The durable check read the daemon's own words: if it never found any, it checked nothing.
            assertTrue(t.get(KillTorture.Subject.RUN).reportedDurable > 0, "no killed daemon reported a file "
                    + "durable: the check found nothing to check\n" + KillTorture.table(t));
        }
    }
}
