package dev.tidemark.repo.store;

import com.fasterxml.jackson.annotation.JsonIgnore;
import java.time.Instant;
import java.util.List;

/**
 * What {@link S3Probe} found an S3 server to do, recorded in the state directory (one file per store, beside its
 * upload spool) and shown by {@code tidemark status}.
 *
 * @param location the repository as the config names it ({@code s3://bucket/prefix at endpoint})
 * @param server   the server's own name for itself (its {@code Server} header), or null if it gives none
 * @param probed   when the probe ran
 * @param findings one per capability, in the order probed
 */
public record S3Capabilities(String location, String server, Instant probed, List<Finding> findings) {

    /**
     * @param capability what was tried ("conditional put (If-None-Match: *)")
     * @param ok         whether the server did it as S3 does
     * @param required   whether a repository cannot be held safely without it, with the settings given
     * @param detail     what the server did, and for one that failed, what tidemark does about it
     */
    public record Finding(String capability, boolean ok, boolean required, String detail) {
        @Override
        public String toString() {
            return capability + ": " + (ok ? "yes" : "NO") + (detail == null || detail.isEmpty() ? "" : " (" + detail
                    + ")");
        }
    }

    /**
     * The first capability that is required and missing; null when the server can hold the repository. Conditional
     * writes count only when {@code conditionalWritesRequired} (the config's {@code s3.conditionalWrites}).
     */
    public Finding refusal(boolean conditionalWritesRequired) {
        return findings.stream().filter(f -> f.required() && !f.ok()
                        && (conditionalWritesRequired || !f.capability().equals(S3Probe.CONDITIONAL_PUT)))
                .findFirst().orElse(null);
    }

    /** Whether the probe found {@code capability} there (false for one it never got to). */
    public boolean can(String capability) {
        return findings.stream().anyMatch(f -> f.capability().equals(capability) && f.ok());
    }

    /** Whether the server kept the conditional write. */
    @JsonIgnore
    public boolean conditionalWrites() {
        return findings.stream().anyMatch(f -> f.capability().equals(S3Probe.CONDITIONAL_PUT) && f.ok());
    }

    /** One line for {@code status}: what is missing, or that everything is there. */
    public String summary() {
        List<Finding> missing = findings.stream().filter(f -> !f.ok()).toList();
        String who = server == null ? "" : server + ", ";
        if (missing.isEmpty()) {
            return who + "all " + findings.size() + " capabilities probed are there (probed " + probed + ")";
        }
        StringBuilder b = new StringBuilder(who).append("missing: ");
        for (int i = 0; i < missing.size(); i++) {
            b.append(i == 0 ? "" : "; ").append(missing.get(i).capability());
            if (missing.get(i).detail() != null) {
                b.append(" (").append(missing.get(i).detail()).append(')');
            }
        }
        return b.append(" (probed ").append(probed).append(')').toString();
    }
}
