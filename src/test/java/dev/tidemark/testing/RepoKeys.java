package dev.tidemark.testing;

import dev.tidemark.repo.store.Store;
import java.io.IOException;

/** Counting a repository's objects by kind, wherever the format keeps them. */
public final class RepoKeys {
    private RepoKeys() {
    }

    /** Journal objects of every host: {@code hosts/<id>/journal/…} (format 5) and {@code journal/…} (before). */
    public static int journalObjects(Store store) throws IOException {
        int n = store.list("journal/").size();
        for (String k : store.list("hosts/")) {
            if (k.indexOf("/journal/") > 0) {
                n++;
            }
        }
        return n;
    }
}
