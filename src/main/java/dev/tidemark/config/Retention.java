package dev.tidemark.config;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * The {@code retention} section: which restore points to keep ({@link Policy}, restic's vocabulary), how long the
 * journal is kept, how often the daemon forgets and prunes, and how much unused data prune may leave.
 *
 * @param policy        which points to keep
 * @param journalWithin the journal is kept this long, so {@code restore --at} reaches back that far
 * @param every         the daemon runs forget and prune this often
 * @param maxUnused     prune repacks packs until at most this much of the repository is unused
 * @param maxRepack     prune repacks at most this many bytes in one run (null: no limit)
 */
public record Retention(Policy policy, Duration journalWithin, Duration every, MaxUnused maxUnused, Long maxRepack) {
    public static final Duration DEFAULT_JOURNAL_WITHIN = Duration.ofDays(7);
    public static final Duration DEFAULT_EVERY = Duration.ofDays(1);
    public static final MaxUnused DEFAULT_MAX_UNUSED = new MaxUnused(5, -1);

    /**
     * Which points to keep; a point is kept if any rule keeps it, and the newest one always is.
     *
     * @param last    the newest N points
     * @param within  every point within this of the newest point (null: none)
     * @param hourly  the newest point of each of the last N hours that have points
     * @param daily   likewise per day (in this machine's time zone)
     * @param weekly  per ISO week
     * @param monthly per month
     * @param yearly  per year
     * @param tags    every point carrying one of these tags
     */
    public record Policy(int last, Duration within, int hourly, int daily, int weekly, int monthly, int yearly,
                         List<String> tags) {
        /** True if no rule keeps anything (only the newest point would be kept). */
        public boolean empty() {
            return last == 0 && within == null && hourly == 0 && daily == 0 && weekly == 0 && monthly == 0
                    && yearly == 0 && tags.isEmpty();
        }

        @Override
        public String toString() {
            List<String> p = new ArrayList<>();
            if (last > 0) {
                p.add("the last " + last);
            }
            if (within != null) {
                p.add("all within " + ConfigLoader.spell(within) + " of the newest");
            }
            int[] n = {hourly, daily, weekly, monthly, yearly};
            String[] w = {"hourly", "daily", "weekly", "monthly", "yearly"};
            for (int i = 0; i < n.length; i++) {
                if (n[i] > 0) {
                    p.add(n[i] + " " + w[i]);
                }
            }
            if (!tags.isEmpty()) {
                p.add("all tagged " + String.join(", ", tags));
            }
            return p.isEmpty() ? "only the newest" : "keep " + String.join(", ", p);
        }
    }

    /** A limit on unused bytes after prune: a percentage of the used bytes' share, or a number of bytes. */
    public record MaxUnused(double percent, long bytes) {
        /** The unused bytes tolerated when {@code used} bytes are in use. */
        public long limit(long used) {
            return bytes >= 0 ? bytes : (long) (percent / (100 - percent) * used);
        }

        @Override
        public String toString() {
            return bytes >= 0 ? bytes + " bytes" : percent + "%";
        }
    }
}
