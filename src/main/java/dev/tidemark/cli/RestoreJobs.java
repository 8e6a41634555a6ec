package dev.tidemark.cli;

import dev.tidemark.TidemarkException;
import dev.tidemark.config.Config;
import dev.tidemark.config.TreeConfig;
import dev.tidemark.journal.AtTime;
import dev.tidemark.journal.JournalView;
import dev.tidemark.point.Entries;
import dev.tidemark.point.ManifestReader;
import dev.tidemark.point.PointStore;
import dev.tidemark.point.RestorePoint;
import dev.tidemark.point.Totals;
import dev.tidemark.point.TreeSnapshot;
import java.nio.file.Path;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.ZoneId;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What a restore restores: for each tree, where its entries come from (a point's manifest, or a point and the
 * journal at a time) and where they go (the tree's own path, or {@code --to DIR/<tree>}).
 */
final class RestoreJobs {
    private final Config config;
    private final List<String> trees;
    private final Path to;

    /**
     * @param trees the trees asked for (empty: all)
     * @param to    the directory the trees go under, or null for their own paths
     */
    RestoreJobs(Config config, List<String> trees, Path to) {
        this.config = config;
        this.trees = trees;
        this.to = to;
    }

    /** One tree to restore: where from, where to, and how to say what it is. */
    record Job(TreeSnapshot tree, Path target, Entries.Source entries, String what) {
    }

    /** The trees of the point {@code point} names. */
    List<Job> forPoint(RepoSession s, String point) throws java.io.IOException {
        RestorePoint p = new PointStore(s.repo).resolve(point);
        List<Job> jobs = new ArrayList<>();
        for (Map.Entry<TreeSnapshot, Path> e : plan(p).entrySet()) {
            TreeSnapshot t = e.getKey();
            jobs.add(new Job(t, e.getValue(), () -> new ManifestReader(s.contents(), t.manifest()),
                    "point " + p.id()));
        }
        return jobs;
    }

    /** The last point at or before {@code time}, with the journal's changes up to {@code time} on top. */
    List<Job> atTime(RepoSession s, Instant time) throws java.io.IOException {
        AtTime at = AtTime.of(s.repo, time);
        RestorePoint base = at.base();
        List<String> names = new ArrayList<>(trees);
        if (names.isEmpty()) {
            for (TreeConfig t : config.trees()) {
                names.add(t.name());
            }
            if (base != null) {
                for (TreeSnapshot t : base.trees()) {
                    if (!names.contains(t.name())) {
                        names.add(t.name());
                    }
                }
            }
        }
        List<Job> jobs = new ArrayList<>();
        for (String name : names) {
            TreeSnapshot snap = base == null ? null : base.tree(name);
            JournalView view = at.view(name);
            if (snap == null && view.applied() == 0) {
                if (!trees.isEmpty()) {
                    throw TidemarkException.usage("nothing is known of tree '" + name + "' at " + time
                            + ": no point before it has the tree and the journal has no change of it");
                }
                continue;
            }
            TreeConfig tc = config.tree(name);
            TreeSnapshot t = snap != null ? snap : new TreeSnapshot(name,
                    tc != null ? tc.path().toString() : name, null, Totals.ZERO);
            Path target = to != null ? to.toAbsolutePath().normalize().resolve(name)
                    : tc != null ? tc.path() : Path.of(t.path());
            String what = (base == null ? "the journal" : "point " + base.id() + " + the journal") + " at " + time
                    + " (" + view.applied() + " changes)";
            jobs.add(new Job(t, target, at.entries(s.contents(), name), what));
        }
        if (jobs.isEmpty()) {
            throw TidemarkException.failed("nothing to restore at " + time + ": no point before it and no journal"
                    + (s.repo.space().whole() ? "" : " of host " + s.repo.host() + " ('tidemark points' lists every "
                    + "host's points; --host NAME restores another's)"));
        }
        return jobs;
    }

    /** ISO-8601 with a zone or offset, or a local date-time in this machine's zone. */
    static Instant parseTime(String text) {
        String t = text.trim().replace(' ', 'T');
        Instant i;
        try {
            i = OffsetDateTime.parse(t).toInstant();
        } catch (DateTimeParseException e1) {
            try {
                i = Instant.parse(t);
            } catch (DateTimeParseException e2) {
                try {
                    i = LocalDateTime.parse(t).atZone(ZoneId.systemDefault()).toInstant();
                } catch (DateTimeParseException e3) {
                    throw TidemarkException.usage("--at '" + text + "' is not a time: use ISO-8601 such as "
                            + "2026-11-21T14:05:09Z, 2026-11-21T15:05:09+01:00 or local 2026-11-21T15:05:09");
                }
            }
        }
        if (i.isAfter(Instant.now().plusSeconds(1))) {
            throw TidemarkException.usage("--at " + text + " is in the future; for the newest state use the "
                    + "current time or 'latest'");
        }
        return i;
    }

    private Map<TreeSnapshot, Path> plan(RestorePoint p) {
        List<TreeSnapshot> chosen = new ArrayList<>();
        if (trees.isEmpty()) {
            chosen.addAll(p.trees());
        } else {
            for (String name : trees) {
                TreeSnapshot t = p.tree(name);
                if (t == null) {
                    throw TidemarkException.usage("point " + p.id() + " has no tree '" + name + "'; it has: "
                            + String.join(", ", p.trees().stream().map(TreeSnapshot::name).toList()));
                }
                chosen.add(t);
            }
        }
        Map<TreeSnapshot, Path> plan = new LinkedHashMap<>();
        for (TreeSnapshot t : chosen) {
            Path target;
            if (to != null) {
                target = to.toAbsolutePath().normalize().resolve(t.name());
            } else {
                TreeConfig tc = config.tree(t.name());
                target = tc != null ? tc.path() : Path.of(t.path());
            }
            plan.put(t, target);
        }
        return plan;
    }
}
