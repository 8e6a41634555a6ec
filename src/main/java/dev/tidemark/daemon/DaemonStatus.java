package dev.tidemark.daemon;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

/** What the daemon has done, for {@code tidemark status} and its summary lines. Counters are written by the worker. */
final class DaemonStatus {
    private static final int LATENCY_SAMPLES = 4096;

    final AtomicLong changesJournaled = new AtomicLong();
    final AtomicLong filesCopied = new AtomicLong();
    final AtomicLong bytesStored = new AtomicLong();
    final AtomicLong batches = new AtomicLong();
    private final long[] latencies = new long[LATENCY_SAMPLES];
    private long latencyCount;
    volatile Instant lastDurable;

    /** Records how long each change of a batch took from its first event to durable. */
    void durable(long nowNanos, long[] firstEvents, Instant at) {
        synchronized (latencies) {
            for (long first : firstEvents) {
                latencies[(int) (latencyCount++ % LATENCY_SAMPLES)] = nowNanos - first;
            }
        }
        lastDurable = at;
    }

    /** Latency percentiles of the last changes, into {@code s}. */
    void latencies(Map<String, Object> s) {
        long[] lat;
        synchronized (latencies) {
            lat = Arrays.copyOf(latencies, (int) Math.min(latencyCount, LATENCY_SAMPLES));
        }
        if (lat.length > 0) {
            Arrays.sort(lat);
            s.put("latencyP50Millis", lat[(int) Math.floor(0.50 * (lat.length - 1))] / 1_000_000.0);
            s.put("latencyP99Millis", lat[(int) Math.floor(0.99 * (lat.length - 1))] / 1_000_000.0);
            s.put("latencySamples", lat.length);
        }
    }

    Map<String, Object> counters() {
        Map<String, Object> s = new LinkedHashMap<>();
        s.put("changesJournaled", changesJournaled.get());
        s.put("filesCopied", filesCopied.get());
        s.put("bytesStored", bytesStored.get());
        s.put("journalBatches", batches.get());
        return s;
    }

    /** VmRSS of this process, or -1 where /proc is not there. */
    static long residentBytes() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("VmRSS:")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
                }
            }
        } catch (IOException | RuntimeException e) {
            return -1;
        }
        return -1;
    }
}
