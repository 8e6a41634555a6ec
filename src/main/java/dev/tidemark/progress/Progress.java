package dev.tidemark.progress;

import dev.tidemark.util.Sizes;
import dev.tidemark.util.Threads;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import me.tongfei.progressbar.ConsoleProgressBarConsumer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Progress of long work: files, bytes, rate and (when the totals are known) ETA. On a terminal it is a live bar on
 * stderr; otherwise a plain log line every {@link #LOG_EVERY}. Thread-safe; counting is two atomic adds.
 */
public final class Progress implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger("tidemark.progress");
    public static final Duration LOG_EVERY = Duration.ofSeconds(10);

    /**
     * TERMINAL: a live bar on stderr. LOG: a log line every {@link #LOG_EVERY}. JSON: a line-delimited JSON status
     * object every second on the writer {@link #jsonTo} gave (a command's standard output, beside its --json
     * summary: restic's {@code message_type} convention). OFF: nothing.
     */
    public enum Mode { TERMINAL, LOG, JSON, OFF }

    private static volatile java.io.PrintWriter jsonOut;

    /** Where JSON progress goes (set by a command run with --json). */
    public static void jsonTo(java.io.PrintWriter out) {
        jsonOut = out;
    }

    private final String what;
    private final long totalFiles;
    private final long totalBytes;
    private final AtomicLong files = new AtomicLong();
    private final AtomicLong bytes = new AtomicLong();
    private final long startNanos = System.nanoTime();
    private final ProgressBar bar;
    private final ScheduledExecutorService ticker;
    private final java.io.PrintWriter json;

    private Progress(String what, long totalFiles, long totalBytes, Mode mode) {
        this.what = what;
        this.totalFiles = totalFiles;
        this.totalBytes = totalBytes;
        if (mode == Mode.TERMINAL) {
            bar = new ProgressBarBuilder().setTaskName(what).setInitialMax(totalBytes > 0 ? totalBytes : -1)
                    .setUnit(" MiB", 1 << 20).showSpeed().setStyle(ProgressBarStyle.ASCII)
                    .setConsumer(new ConsoleProgressBarConsumer(System.err)).setUpdateIntervalMillis(500)
                    .continuousUpdate().build();
        } else {
            bar = null;
        }
        json = mode == Mode.JSON ? jsonOut : null;
        if (mode == Mode.OFF || mode == Mode.JSON && json == null) {
            ticker = null;
        } else {
            ticker = Executors.newSingleThreadScheduledExecutor(Threads.daemon("tidemark-progress", false));
            long every = mode == Mode.TERMINAL ? 500 : mode == Mode.JSON ? 1000 : LOG_EVERY.toMillis();
            ticker.scheduleAtFixedRate(mode == Mode.TERMINAL ? this::renderBar : mode == Mode.JSON ? this::jsonLine
                    : this::logLine, every, every, TimeUnit.MILLISECONDS);
            if (mode == Mode.JSON) {
                jsonLine(); // one at the start, however short the work
            }
        }
    }

    /** Terminal if stderr and stdin are a terminal, log lines otherwise. */
    public static Mode defaultMode() {
        return System.console() != null ? Mode.TERMINAL : Mode.LOG;
    }

    public static Progress start(String what, long totalFiles, long totalBytes, Mode mode) {
        return new Progress(what, totalFiles, totalBytes, mode);
    }

    public static Progress off() {
        return new Progress("", 0, 0, Mode.OFF);
    }

    public void add(long nFiles, long nBytes) {
        files.addAndGet(nFiles);
        bytes.addAndGet(nBytes);
    }

    public long files() {
        return files.get();
    }

    public long bytes() {
        return bytes.get();
    }

    public Duration elapsed() {
        return Duration.ofNanos(System.nanoTime() - startNanos);
    }

    private String summary() {
        Duration el = elapsed();
        StringBuilder sb = new StringBuilder();
        sb.append(Sizes.count(files.get()));
        if (totalFiles > 0) {
            sb.append('/').append(Sizes.count(totalFiles));
        }
        sb.append(" files, ").append(Sizes.bytes(bytes.get()));
        if (totalBytes > 0) {
            sb.append('/').append(Sizes.bytes(totalBytes));
        }
        sb.append(", ").append(Sizes.rate(bytes.get(), el));
        if (totalBytes > 0 && bytes.get() > 0) {
            double frac = (double) bytes.get() / totalBytes;
            long etaMs = (long) (el.toMillis() * (1 - frac) / frac);
            sb.append(", ETA ").append(Sizes.duration(Duration.ofMillis(Math.max(0, etaMs))));
        }
        return sb.toString();
    }

    private void renderBar() {
        bar.stepTo(bytes.get());
        bar.setExtraMessage(" " + Sizes.count(files.get()) + (totalFiles > 0 ? "/" + Sizes.count(totalFiles) : "")
                + " files");
    }

    /** One status object: what, elapsed, done and total files and bytes, the share done and the time left. */
    private void jsonLine() {
        java.util.Map<String, Object> m = new java.util.LinkedHashMap<>();
        m.put("message_type", "status");
        m.put("what", what);
        double elapsed = elapsed().toMillis() / 1000.0;
        m.put("seconds_elapsed", elapsed);
        m.put("files_done", files.get());
        m.put("bytes_done", bytes.get());
        if (totalFiles > 0) {
            m.put("total_files", totalFiles);
        }
        if (totalBytes > 0) {
            double frac = Math.min(1, (double) bytes.get() / totalBytes);
            m.put("total_bytes", totalBytes);
            m.put("percent_done", frac);
            if (frac > 0) {
                m.put("seconds_remaining", Math.max(0, elapsed * (1 - frac) / frac));
            }
        }
        try {
            json.println(dev.tidemark.util.Json.MAPPER.writeValueAsString(m));
            json.flush();
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    private void logLine() {
        LOG.info("{}: {}", what, summary());
    }

    @Override
    public void close() {
        if (ticker != null) {
            ticker.shutdownNow();
            try {
                ticker.awaitTermination(5, TimeUnit.SECONDS); // no status line after the summary
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        if (bar != null) {
            renderBar();
            bar.close();
        }
    }
}
