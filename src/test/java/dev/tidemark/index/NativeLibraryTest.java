package dev.tidemark.index;

import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tidemark.hash.ContentKey;
import dev.tidemark.repo.BlobLocation;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** NativeLibrary.preload (main() starts it for the commands that open the index) races the indexes opened meanwhile. */
class NativeLibraryTest {
    @TempDir
    Path tmp;

    @Test
    void indexesOpenedWhileTheLibraryIsPreloadedWorkAndNobodyWaitsForever() {
        assertTimeoutPreemptively(Duration.ofSeconds(60), () -> {
            NativeLibrary.preload();
            NativeLibrary.preload(); // a second call starts nothing
            ExecutorService pool = Executors.newFixedThreadPool(3);
            try {
                List<Future<Boolean>> found = new ArrayList<>();
                for (int i = 0; i < 3; i++) {
                    Path dir = tmp.resolve("index-" + i);
                    int seed = i;
                    found.add(pool.submit(() -> {
                        byte[] b = new byte[ContentKey.BYTES];
                        new Random(seed).nextBytes(b);
                        ContentKey k = ContentKey.fromBytes(b);
                        try (Index idx = Index.open(dir, "repo-" + seed)) {
                            String pack = k.hex(); // any 32 hex characters
                            idx.addPack(pack, List.of(new BlobLocation(k, pack, 0, 10, 10, false)));
                            return idx.hasBlob(k);
                        }
                    }));
                }
                for (Future<Boolean> f : found) {
                    assertTrue(f.get());
                }
            } finally {
                pool.shutdownNow();
            }
        });
    }
}
