package dev.tidemark.scan;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;

/** How the scanner opens the files of a tree. The seam where tests inject writes that race a read. */
@FunctionalInterface
public interface SourceFiles {
    SourceFiles DEFAULT = p -> Files.newInputStream(p, LinkOption.NOFOLLOW_LINKS);

    InputStream open(Path file) throws IOException;
}
