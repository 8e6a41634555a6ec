package dev.tidemark.repo;

import dev.tidemark.ExitCode;
import dev.tidemark.TidemarkException;
import dev.tidemark.hash.ContentHasher;
import dev.tidemark.repo.crypto.EncryptedStore;
import dev.tidemark.repo.crypto.Keys;
import dev.tidemark.repo.crypto.Passwords;
import dev.tidemark.repo.store.ObjectNotFoundException;
import dev.tidemark.repo.store.Store;
import dev.tidemark.util.Json;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/**
 * An opened repository: its store, its config and the content hasher its seeds define. Reading is always allowed;
 * writing needs a {@link WriterLock}.
 *
 * <p>Layout (object keys): {@code version}, {@code config}, {@code data/xx/<pack id>}, {@code manifests/xx/<key>},
 * {@code points/<point id>}, {@code locks/<lock id>}. See docs/ARCHITECTURE.md.
 */
public final class Repository {
    /**
     * 3: content is cut into chunks ({@link Chunker}, {@link ChunkList}) and manifests and dumps are stored as content
     * in packs, named in points by content key. 2: the journal is numbered and leveled (journal/&lt;level&gt;/…), points
     * carry their journal position, readers hold leases. Older repositories are read as they are and upgraded by the
     * first writer.
     */
    public static final int FORMAT = 3;
    /**
     * The version an encrypted repository records: format 3's layout, every object but {@code version} and
     * {@code keys/} encrypted ({@link EncryptedStore}). A tidemark that reads format 3 and older refuses it as newer.
     */
    public static final int ENCRYPTED_FORMAT = 4;
    public static final String VERSION_KEY = "version";
    public static final String CONFIG_KEY = "config";
    static final String VERSION_PREFIX = "tidemark repository format ";
    public static final long DEFAULT_PACK_SIZE = 16L << 20;

    private final Store store;
    private final RepositoryConfig config;
    private final ContentHasher hasher;
    private volatile int format;
    /** The id of the key that opened an encrypted repository; null for a plain one. */
    private final String keyId;

    private Repository(Store store, RepositoryConfig config, int format, String keyId) {
        this.store = store;
        this.config = config;
        this.format = format;
        this.keyId = keyId;
        this.hasher = new ContentHasher(parseSeed(config.keySeedA()), parseSeed(config.keySeedB()));
    }

    private static long parseSeed(String s) {
        return Long.parseUnsignedLong(s, 16);
    }

    /** A new repository's config: a fresh id and fresh random content-key seeds. */
    private static RepositoryConfig newConfig(Clock clock, long packSize) {
        long[] seeds = ContentHasher.randomSeeds();
        return new RepositoryConfig(FORMAT, UUID.randomUUID().toString(), clock.instant(),
                Long.toHexString(seeds[0]), Long.toHexString(seeds[1]), packSize);
    }

    private static void requireEmpty(Store store) throws IOException {
        if (store.size(VERSION_KEY).isPresent() || store.size(CONFIG_KEY).isPresent()) {
            throw TidemarkException.usage("repository " + store.location() + " already exists; "
                    + "use it as it is, or choose another location");
        }
    }

    /** Creates a new repository in an empty store. */
    public static Repository init(Store store, Clock clock, long packSize) throws IOException {
        requireEmpty(store);
        RepositoryConfig cfg = newConfig(clock, packSize);
        // config before version: a repository without a version file is not yet a repository.
        store.put(CONFIG_KEY, CheckedRecord.seal(Json.MAPPER.writerWithDefaultPrettyPrinter().writeValueAsBytes(cfg)));
        store.put(VERSION_KEY, (VERSION_PREFIX + FORMAT + "\n").getBytes(StandardCharsets.US_ASCII));
        return new Repository(store, cfg, FORMAT, null);
    }

    /**
     * Creates a new encrypted repository in an empty store: a random master key, sealed under {@code password} in
     * {@code keys/}, then the config (encrypted), then the version, which says format {@value #ENCRYPTED_FORMAT}.
     */
    public static Repository initEncrypted(Store raw, Clock clock, long packSize, char[] password)
            throws IOException {
        requireEmpty(raw);
        byte[] master = Keys.newMasterKey();
        String keyId = Keys.add(raw, master, password, clock.instant());
        EncryptedStore store = new EncryptedStore(raw, master);
        RepositoryConfig cfg = newConfig(clock, packSize);
        store.put(CONFIG_KEY, CheckedRecord.seal(Json.MAPPER.writerWithDefaultPrettyPrinter().writeValueAsBytes(cfg)));
        raw.put(VERSION_KEY, (VERSION_PREFIX + ENCRYPTED_FORMAT + "\n").getBytes(StandardCharsets.US_ASCII));
        return new Repository(store, cfg, FORMAT, keyId);
    }

    /**
     * Opens an existing repository; a missing one or a newer format is a clear error. An encrypted one is opened
     * with the password from the environment ({@link Passwords#environment}).
     */
    public static Repository open(Store store) throws IOException {
        return open(store, Passwords.environment());
    }

    /** Opens an existing repository; an encrypted one with the password {@code passwords} finds. */
    public static Repository open(Store store, Passwords passwords) throws IOException {
        byte[] v;
        try {
            v = store.get(VERSION_KEY);
        } catch (ObjectNotFoundException e) {
            throw new TidemarkException(ExitCode.USAGE, "no tidemark repository at " + store.location()
                    + ": run 'tidemark init' first, or fix 'repository' in the config");
        }
        String version = new String(v, StandardCharsets.US_ASCII);
        java.util.regex.Matcher m = VERSION_LINE.matcher(version);
        if (!m.matches()) {
            throw new TidemarkException(ExitCode.DAMAGED, "repository " + store.location() + ": its version object is "
                    + "damaged (" + printable(version) + "); put back 'tidemark repository format N' from a replica "
                    + "or a copy");
        }
        int format = Integer.parseInt(m.group(1));
        String keyId = null;
        if (format == ENCRYPTED_FORMAT) {
            char[] password = passwords.password();
            if (password == null) {
                throw TidemarkException.usage("repository " + store.location() + " is encrypted: give its password in "
                        + "TIDEMARK_PASSWORD, in a file named by TIDEMARK_PASSWORD_FILE, or in the config's "
                        + "repositoryPasswordFile");
            }
            Keys.Unlocked u = Keys.unlock(store, password);
            if (u == null) {
                throw TidemarkException.usage("wrong password for repository " + store.location()
                        + ": none of its keys opens with it");
            }
            store = new EncryptedStore(store, u.masterKey());
            keyId = u.keyId();
            format = FORMAT;
        } else if (format > FORMAT) {
            throw TidemarkException.failed("repository " + store.location() + " has format " + format
                    + "; this tidemark reads format " + ENCRYPTED_FORMAT + " and older: upgrade tidemark");
        }
        RepositoryConfig cfg = readConfig(store);
        if (cfg.format() > format) {
            throw new TidemarkException(ExitCode.DAMAGED, "repository " + store.location() + ": its version object "
                    + "says format " + format + " but its config was written at format " + cfg.format()
                    + ": the version object is damaged");
        }
        return new Repository(store, cfg, format, keyId);
    }

    private static final java.util.regex.Pattern VERSION_LINE =
            java.util.regex.Pattern.compile(java.util.regex.Pattern.quote(VERSION_PREFIX) + "([1-9][0-9]{0,3})\\n?");

    private static RepositoryConfig readConfig(Store store) throws IOException {
        String what = "repository " + store.location() + ": its config object";
        try {
            return CheckedRecord.read(store.get(CONFIG_KEY), RepositoryConfig.class, what);
        } catch (DamageException e) {
            throw new TidemarkException(ExitCode.DAMAGED, e.getMessage() + "; copy it back from a replica", e);
        } catch (ObjectNotFoundException e) {
            throw new TidemarkException(ExitCode.DAMAGED, what + " is missing; copy it back from a replica", e);
        }
    }

    /** A damaged text, shown safely on one line. */
    private static String printable(String s) {
        StringBuilder b = new StringBuilder();
        for (char c : s.toCharArray()) {
            b.append(c >= 0x20 && c < 0x7f ? String.valueOf(c) : String.format("\\x%02x", (int) c));
            if (b.length() > 60) {
                return b.append("...").toString();
            }
        }
        return b.toString();
    }

    public Store store() {
        return store;
    }

    /** The store underneath: for an encrypted repository the one holding ciphertext, else {@link #store}. */
    public Store rawStore() {
        return store instanceof EncryptedStore e ? e.inner() : store;
    }

    /**
     * Another store (a replica's) as this repository writes to it: sealed with this repository's key when it is
     * encrypted, so that what is written there (a lock) is as unreadable as here.
     */
    public Store sealedLike(Store raw) {
        return store instanceof EncryptedStore e ? new EncryptedStore(raw, e.masterKey()) : raw;
    }

    /** Whether the repository is encrypted. */
    public boolean encrypted() {
        return keyId != null;
    }

    /** The id of the key that opened this encrypted repository; null for a plain one. */
    public String keyId() {
        return keyId;
    }

    /** The format this repository is in (older ones are read, and upgraded by the first writer). */
    public int format() {
        return format;
    }

    /**
     * Records that the repository is now in {@code newFormat}: the last step of an upgrade, after everything the
     * new format needs is durable. The writer lock is checked first.
     */
    public void setFormat(int newFormat, WriterLock lock) throws IOException {
        if (newFormat <= format || newFormat > FORMAT) {
            throw new IllegalArgumentException("format " + format + " to " + newFormat);
        }
        lock.check();
        if (encrypted()) {
            throw new IllegalStateException("an encrypted repository starts at format " + FORMAT);
        }
        store.put(VERSION_KEY, (VERSION_PREFIX + newFormat + "\n").getBytes(StandardCharsets.US_ASCII));
        format = newFormat;
    }

    public RepositoryConfig config() {
        return config;
    }

    public String id() {
        return config.id();
    }

    public ContentHasher hasher() {
        return hasher;
    }

    /** The seed of the {@link Chunker}'s gear table: per repository, so chunk sizes say nothing across them. */
    public long chunkSeed() {
        return hasher.chunkSeed();
    }

    public String location() {
        return store.location();
    }

    /** Ids of every pack in the repository. */
    public List<String> packIds() throws IOException {
        List<String> ids = new ArrayList<>();
        for (String k : store.list(PackFormat.PREFIX)) {
            String id = PackFormat.idOf(k);
            if (id != null) {
                ids.add(id);
            }
        }
        return ids;
    }

    public List<BlobLocation> readTrailer(String packId) throws IOException {
        return PackFormat.readTrailer(store, packId);
    }
}
