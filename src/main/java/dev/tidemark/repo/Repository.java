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
     * 5: a host's journal, journal horizon and archived binlog live in its own space, {@code hosts/<id>/}
     * ({@link HostSpace}), so several hosts can share one repository. 3: content is cut into chunks ({@link Chunker}, {@link ChunkList}) and manifests and dumps are stored as content
     * in packs, named in points by content key. 2: the journal is numbered and leveled (journal/&lt;level&gt;/…), points
     * carry their journal position, readers hold leases. Older repositories are read as they are and upgraded by the
     * first writer.
     */
    public static final int FORMAT = 5;
    /**
     * The version an encrypted repository records: format 5's layout, every object but {@code version} and
     * {@code keys/} encrypted ({@link EncryptedStore}). Version 4 was format 3 encrypted. A tidemark that reads only
     * older formats refuses both as newer.
     */
    public static final int ENCRYPTED_FORMAT = 6;
    /** The version of an encrypted repository of format 3 (read, and upgraded to {@link #ENCRYPTED_FORMAT}). */
    static final int ENCRYPTED_FORMAT_3 = 4;
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
    /** Whose journal and binlog {@link #store} shows: see {@link #forHost}. */
    private final HostSpace space;
    /** The repository as first opened (no host's view); this one itself when it is. */
    private final Repository base;

    private Repository(Store store, RepositoryConfig config, int format, String keyId) {
        this.store = store;
        this.config = config;
        this.format = format;
        this.keyId = keyId;
        this.hasher = new ContentHasher(parseSeed(config.keySeedA()), parseSeed(config.keySeedB()));
        this.space = HostSpace.whole(Lease.hostName());
        this.base = this;
    }

    private Repository(Repository base, HostSpace space) {
        this.store = space.whole() ? base.store : new HostStore(base.store, space);
        this.config = base.config;
        this.format = base.format;
        this.keyId = base.keyId;
        this.hasher = base.hasher;
        this.space = space;
        this.base = base;
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
        byte[] config = CheckedRecord.seal(Json.MAPPER.writerWithDefaultPrettyPrinter().writeValueAsBytes(cfg));
        store.put(CONFIG_KEY, config);
        byte[] version = (VERSION_PREFIX + FORMAT + "\n").getBytes(StandardCharsets.US_ASCII);
        store.put(VERSION_KEY, version);
        readBack(store, CONFIG_KEY, config);
        readBack(store, VERSION_KEY, version);
        return new Repository(store, cfg, FORMAT, null).forHost(Lease.hostName());
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
        byte[] config = CheckedRecord.seal(Json.MAPPER.writerWithDefaultPrettyPrinter().writeValueAsBytes(cfg));
        store.put(CONFIG_KEY, config);
        byte[] version = (VERSION_PREFIX + ENCRYPTED_FORMAT + "\n").getBytes(StandardCharsets.US_ASCII);
        raw.put(VERSION_KEY, version);
        readBack(store, CONFIG_KEY, config);
        readBack(raw, VERSION_KEY, version);
        return new Repository(store, cfg, FORMAT, keyId).forHost(Lease.hostName());
    }

    /**
     * {@code init} reads back what it wrote before it says the repository exists: a store that keeps something
     * other than what it was given (an S3 server that stores an upload's framing) is found now, as what it is.
     */
    private static void readBack(Store store, String key, byte[] written) throws IOException {
        byte[] back = store.get(key);
        if (!java.util.Arrays.equals(written, back)) {
            throw TidemarkException.failed("wrote the repository's " + key + " object to " + store.location()
                    + " and read back " + back.length + " bytes that differ from the " + written.length + " written: "
                    + "the store does not keep what it is given; nothing was damaged, but do not use it as it is");
        }
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
        if (format == ENCRYPTED_FORMAT || format == ENCRYPTED_FORMAT_3) {
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
            format = format == ENCRYPTED_FORMAT ? FORMAT : 3;
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
        return new Repository(store, cfg, format, keyId).forHost(Lease.hostName());
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

    /**
     * The repository as {@code host} sees it: its journal, horizon and binlog are the ones in its space (format 5;
     * before that there is one journal, and this is the same repository). Points and packs are everyone's.
     */
    public Repository forHost(String host) throws IOException {
        if (base.format < FORMAT) {
            return new Repository(base, HostSpace.whole(host));
        }
        String prefix = HostSpace.PREFIX + HostSpace.idOf(hasher, host) + "/";
        HostSpace.Record r;
        try {
            r = HostSpace.readRecord(base.store, prefix);
        } catch (DamageException e) {
            throw new TidemarkException(ExitCode.DAMAGED, e.getMessage() + "; run 'tidemark verify'", e);
        }
        return new Repository(base, new HostSpace(host, prefix, r != null && r.legacy()));
    }

    /** Every host with a space in this repository (format 5), or the one whole space of an older one. */
    public List<Repository> hosts() throws IOException {
        List<Repository> out = new ArrayList<>();
        if (base.format < FORMAT) {
            out.add(new Repository(base, HostSpace.whole(space.host())));
            return out;
        }
        for (HostSpace s : HostSpace.list(base.store)) {
            out.add(new Repository(base, s));
        }
        return out;
    }

    /**
     * The upgrade from format 3: the journal, horizon and binlog outside {@code hosts/} are {@code owner}'s (its
     * space's record says so, created before the version moves to format 5; written again by a retried upgrade).
     */
    public void recordLegacyOwner(String owner, Clock clock) throws IOException {
        String prefix = HostSpace.PREFIX + HostSpace.idOf(hasher, owner) + "/";
        new HostSpace(owner, prefix, true).claim(base.store, clock.instant());
    }

    /**
     * The object's own key of {@code key} as this host sees it ({@code hosts/<id>/journal/…}): what messages name,
     * so that a damaged object can be found in the store.
     */
    public String objectKey(String key) throws IOException {
        List<String> own = space.ownKeys(key);
        if (own.size() == 1) {
            return own.get(0);
        }
        return base.store.size(own.get(0)).isPresent() ? own.get(0) : own.get(1);
    }

    /** Whose journal and binlog this view shows. */
    public HostSpace space() {
        return space;
    }

    /** The host whose view this is (the machine's name unless the config says otherwise). */
    public String host() {
        return space.host();
    }

    /** The store underneath: for an encrypted repository the one holding ciphertext, else {@link #store}. */
    public Store rawStore() {
        return base.store instanceof EncryptedStore e ? e.inner() : base.store;
    }

    /** The store with no host's view: every object under its own key. */
    public Store wholeStore() {
        return base.store;
    }

    /**
     * Another store (a replica's) as this repository writes to it: sealed with this repository's key when it is
     * encrypted, so that what is written there (a lock) is as unreadable as here.
     */
    public Store sealedLike(Store raw) {
        return base.store instanceof EncryptedStore e ? new EncryptedStore(raw, e.masterKey()) : raw;
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
        return base.format;
    }

    /**
     * Records that the repository is now in {@code newFormat}: the last step of an upgrade, after everything the
     * new format needs is durable. The writer lock is checked first.
     */
    public void setFormat(int newFormat, WriterLock lock) throws IOException {
        if (base != this) {
            base.setFormat(newFormat, lock);
            return;
        }
        if (newFormat <= format || newFormat > FORMAT) {
            throw new IllegalArgumentException("format " + format + " to " + newFormat);
        }
        lock.check();
        int version = newFormat;
        if (encrypted()) {
            if (newFormat != FORMAT) {
                throw new IllegalStateException("an encrypted repository goes from format 3 to " + FORMAT + " only");
            }
            version = ENCRYPTED_FORMAT;
        }
        rawStore().put(VERSION_KEY, (VERSION_PREFIX + version + "\n").getBytes(StandardCharsets.US_ASCII));
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
