package dev.tidemark.testing;

import dev.tidemark.config.Config;
import dev.tidemark.index.Index;
import dev.tidemark.progress.Progress;
import dev.tidemark.repo.Repository;
import dev.tidemark.repo.WriterLock;
import dev.tidemark.repo.store.Store;
import dev.tidemark.scan.PointTaker;
import dev.tidemark.scan.SourceFiles;
import java.io.IOException;
import java.time.Clock;
import java.util.List;

/** Takes points through the library, against any store (for decorators), the way the CLI does. */
public final class Points {
    private Points() {
    }

    public static PointTaker.Outcome take(Config config, Store store, Clock clock) throws IOException {
        return take(config, store, clock, SourceFiles.DEFAULT);
    }

    public static PointTaker.Outcome take(Config config, Store store, Clock clock, SourceFiles sources)
            throws IOException {
        Repository repo = Repository.open(store);
        try (WriterLock lock = WriterLock.acquire(store, clock, "test");
             Index index = Index.open(config.indexDir(), repo.id())) {
            return new PointTaker(config, repo, index, lock, clock, Progress.Mode.OFF, sources).take(List.of());
        }
    }
}
