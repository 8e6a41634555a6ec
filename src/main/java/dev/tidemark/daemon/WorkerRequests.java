package dev.tidemark.daemon;

import dev.tidemark.TidemarkException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * Work handed to the daemon's worker by other threads (the control socket, watchers, reconciliations): run by the
 * worker between batches, so it never meets a second writer; refused at once, never left hanging, once the worker
 * takes no more.
 */
final class WorkerRequests {
    private record Request(Runnable run, Consumer<Throwable> refuse) {
    }

    private final ConcurrentLinkedQueue<Request> queue = new ConcurrentLinkedQueue<>();
    private final Runnable wake;
    /** Set (under {@code queue}'s lock) once the worker takes no more requests: later ones are refused. */
    private boolean closed;

    /** @param wake wakes the worker up */
    WorkerRequests(Runnable wake) {
        this.wake = wake;
    }

    /** Queues {@code task} unless {@code stopping} says no; the future completes with its result. Any thread. */
    <T> CompletableFuture<T> submit(Supplier<T> task, BooleanSupplier stopping) {
        CompletableFuture<T> f = new CompletableFuture<>();
        synchronized (queue) {
            if (stopping.getAsBoolean() || closed) {
                f.completeExceptionally(stoppingError());
                return f;
            }
            queue.add(new Request(() -> {
                try {
                    f.complete(task.get());
                } catch (Throwable t) {
                    f.completeExceptionally(t);
                }
            }, f::completeExceptionally));
        }
        wake.run();
        return f;
    }

    /** Runs every queued request. The worker only. */
    void runAll() {
        for (Request r = queue.poll(); r != null; r = queue.poll()) {
            r.run().run();
        }
    }

    /** Takes no more requests, and refuses those still queued (late requests fail fast rather than hang). */
    void close() {
        synchronized (queue) {
            closed = true;
        }
        for (Request r = queue.poll(); r != null; r = queue.poll()) {
            r.refuse().accept(stoppingError());
        }
    }

    static TidemarkException stoppingError() {
        return TidemarkException.failed("the daemon is stopping: nothing was done; once it has stopped, run the "
                + "command again (it then works on the repository itself)");
    }
}
