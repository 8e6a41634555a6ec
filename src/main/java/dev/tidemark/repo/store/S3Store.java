package dev.tidemark.repo.store;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.List;
import java.util.OptionalLong;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.core.sync.ResponseTransformer;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.Delete;
import software.amazon.awssdk.services.s3.model.DeleteObjectsResponse;
import software.amazon.awssdk.services.s3.model.HeadObjectResponse;
import software.amazon.awssdk.services.s3.model.MultipartUpload;
import software.amazon.awssdk.services.s3.model.ObjectIdentifier;
import software.amazon.awssdk.services.s3.model.S3Error;
import software.amazon.awssdk.services.s3.model.S3Object;

/**
 * A {@link Store} in an S3 bucket (AWS or any S3-compatible server), under a prefix.
 *
 * <p>How it keeps the contract: an upload ({@link S3Upload}) is spooled and sent at commit as one PUT, or as a
 * multipart upload (parts {@value #PART_SIZE_MIB} MiB, {@value #UPLOAD_THREADS} at once) when it is larger than
 * {@value #SINGLE_PUT_MIB} MiB: either way S3 makes the object visible whole or not at all. Create-only-if-absent is
 * S3's conditional write ({@code If-None-Match: *}, on the PUT or on completing the multipart upload): the server
 * decides which of two racers wins. Reads are GETs, positional reads ranged GETs ({@link S3ReadHandle}, which reads
 * ahead while the reads are sequential, as a restore's are), and a whole-object stream picks up where it broke.
 * Throttling, 5xx answers and dropped connections are retried by the client with exponential back-off and jitter
 * ({@link S3Clients}); what is not retried becomes a one-line error ({@link S3Errors}).
 *
 * <p>What the local store calls temporaries are here multipart uploads that were started and never completed, and
 * spool files in the state directory: the writer removes uploads older than an hour and spool files of processes
 * that are gone (or older than an hour) at start-up, as the local store does with its temp files.
 */
public final class S3Store implements Store {
    static final int PART_SIZE_MIB = 16;
    static final int SINGLE_PUT_MIB = 32;
    static final int UPLOAD_THREADS = 4;
    static final long PART_SIZE = (long) PART_SIZE_MIB << 20;
    static final long SINGLE_PUT = (long) SINGLE_PUT_MIB << 20;
    /** Uploads up to this size are held in memory; larger ones are spooled to a file. */
    private static final int IN_MEMORY = 1 << 20;
    private static final Duration STRAY_GRACE = Duration.ofHours(1);
    private static final int DELETE_BATCH = 1000;
    /** The probe's record beside a spool: {@code <state>/upload.s3-server.json} for the repository, and so on. */
    static final String PROBE_RECORD_SUFFIX = ".s3-server.json";
    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(S3Store.class);

    private final S3Location where;
    private final S3Client s3;
    private final Path spool;
    private final S3Errors errors;
    private final ExecutorService parts;
    /** What the probe found, beside the spool; read or made before the first write ({@link #beforeWrite}). */
    private final Path probeRecord;
    private volatile S3Capabilities capabilities;

    /**
     * @param where       the bucket and prefix
     * @param credentials null: the AWS way (environment variables, Java system properties, the credentials file)
     * @param spool       where uploads larger than a MiB wait until they are committed
     */
    public S3Store(S3Location where, AwsCredentialsProvider credentials, Path spool) {
        this(where, credentials, spool, S3Clients.MAX_ATTEMPTS);
    }

    /** As above, with {@code maxAttempts} per request (tests that want failures to surface). */
    S3Store(S3Location where, AwsCredentialsProvider credentials, Path spool, int maxAttempts) {
        this.where = where;
        this.s3 = S3Clients.create(where, credentials, maxAttempts);
        this.spool = spool;
        this.errors = new S3Errors(where);
        this.probeRecord = spool == null ? null : probeRecord(spool);
        this.parts = Executors.newFixedThreadPool(UPLOAD_THREADS, r -> {
            Thread t = new Thread(r, "s3-upload");
            t.setDaemon(true);
            return t;
        });
    }

    S3Client client() {
        return s3;
    }

    S3Location where() {
        return where;
    }

    @Override
    public boolean createsOnlyIfAbsent() {
        return where.conditionalWrites();
    }

    /**
     * Probes the server ({@link S3Probe}) now, records what it found beside the spool, and refuses a server that
     * cannot hold the repository with these settings ({@link S3CompatibilityException}). {@code init} calls it
     * before writing anything; every other write calls {@link #beforeWrite}, which probes only once per state
     * directory and location.
     */
    public S3Capabilities probe() throws IOException {
        S3Capabilities c = S3Probe.run(this, java.time.Clock.systemUTC());
        if (probeRecord != null) {
            try {
                dev.tidemark.util.LocalFiles.writeAtomically(probeRecord,
                        dev.tidemark.util.Json.MAPPER.writerWithDefaultPrettyPrinter().writeValueAsBytes(c));
            } catch (IOException e) {
                LOG.warn("could not record what {} can do in {}: {}", location(), probeRecord, e.toString());
            }
        }
        refuseIfMissing(c);
        capabilities = c;
        return c;
    }

    /** Where the probe of a store whose uploads wait in {@code spool} records what it found. */
    public static Path probeRecord(Path spool) {
        return spool.resolveSibling(spool.getFileName() + PROBE_RECORD_SUFFIX);
    }

    /** What the last probe from this state directory found for this location, or null. */
    public static S3Capabilities recorded(Path record) {
        try {
            return dev.tidemark.util.Json.MAPPER.readValue(java.nio.file.Files.readAllBytes(record),
                    S3Capabilities.class);
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    private void refuseIfMissing(S3Capabilities c) throws S3CompatibilityException {
        S3Capabilities.Finding f = c.refusal(where.conditionalWrites());
        if (f != null) {
            throw new S3CompatibilityException("S3 server " + where.server() + (c.server() == null ? ""
                    : " (" + c.server() + ")") + " cannot hold repository " + where.url() + ": " + f.capability()
                    + ": it " + f.detail());
        }
    }

    /** Before the first write through this store: the probe's record, or a probe (once per state directory). */
    private void beforeWrite() throws IOException {
        if (capabilities != null) {
            return;
        }
        synchronized (this) {
            if (capabilities != null) {
                return;
            }
            S3Capabilities c = probeRecord == null ? null : recorded(probeRecord);
            if (c != null && c.location().equals(location())) {
                refuseIfMissing(c);
                capabilities = c;
            } else {
                probe();
            }
        }
    }

    S3Errors errors() {
        return errors;
    }

    String bucket() {
        return where.bucket();
    }

    ExecutorService uploadThreads() {
        return parts;
    }

    String objectKey(String key) {
        return where.objectKey(Store.checkKey(key));
    }

    /** Fails with a clear message if the bucket cannot be reached, does not exist, or refuses the credentials. */
    public void check() throws IOException {
        try {
            // A listing, not HEAD: an answer to HEAD has no body, so no error code to say what is wrong.
            s3.listObjectsV2(r -> r.bucket(where.bucket()).prefix(where.listPrefix("")).maxKeys(1));
        } catch (SdkException e) {
            throw errors.of("open", null, e);
        }
    }

    @Override
    public Upload upload() throws IOException {
        beforeWrite();
        return new S3Upload(this, new SpoolBuffer(spool, IN_MEMORY));
    }

    @Override
    public byte[] get(String key) throws IOException {
        software.amazon.awssdk.core.ResponseBytes<software.amazon.awssdk.services.s3.model.GetObjectResponse> b;
        try {
            b = s3.getObject(r -> r.bucket(where.bucket()).key(objectKey(key)), ResponseTransformer.toBytes());
        } catch (SdkException e) {
            throw errors.of("read", key, e);
        }
        byte[] bytes = b.asByteArray();
        if (awsChunked(b.response())) {
            throw errors.awsChunked(key, "content-encoding: " + b.response().contentEncoding());
        }
        if (S3Errors.looksAwsChunked(bytes)) {
            throw errors.awsChunked(key, "its bytes start '" + S3Errors.firstChunkLine(bytes) + "'");
        }
        return bytes;
    }

    @Override
    public InputStream open(String key) throws IOException {
        OptionalLong size = size(key);
        if (size.isEmpty()) {
            throw new ObjectNotFoundException(key, location());
        }
        return new S3ObjectStream(this, key, size.getAsLong());
    }

    @Override
    public ReadHandle openForRead(String key) throws IOException {
        OptionalLong size = size(key);
        if (size.isEmpty()) {
            throw new ObjectNotFoundException(key, location());
        }
        return new S3ReadHandle(this, key, size.getAsLong());
    }

    /**
     * {@code len} bytes of {@code key} from {@code offset}: one ranged GET, read whole. A connection that drops in
     * the middle of the body (the client retries only until the answer starts) is asked again, up to
     * {@value S3ObjectStream#REOPENS} times.
     */
    void readRange(String key, long offset, byte[] dst, int dstOff, int len) throws IOException {
        if (len == 0) {
            return;
        }
        String range = "bytes=" + offset + "-" + (offset + len - 1);
        for (int attempt = 0; ; attempt++) {
            try (software.amazon.awssdk.core.ResponseInputStream<software.amazon.awssdk.services.s3.model
                    .GetObjectResponse> in = s3.getObject(r -> r.bucket(where.bucket()).key(objectKey(key))
                    .range(range))) {
                if (awsChunked(in.response())) {
                    throw errors.awsChunked(key, "content-encoding: " + in.response().contentEncoding());
                }
                int n = in.readNBytes(dst, dstOff, len);
                if (n != len) {
                    throw new java.io.EOFException(key + " in " + location() + ": " + len + " bytes at " + offset
                            + " asked, " + n + " read: the object is shorter");
                }
                return;
            } catch (SdkException e) {
                throw errors.of("read", key, e); // the client's own retries are spent
            } catch (java.io.EOFException | S3CompatibilityException e) {
                throw e;
            } catch (IOException e) {
                if (attempt >= S3ObjectStream.REOPENS) {
                    throw new IOException("read of " + key + " from " + location() + " broke off " + (attempt + 1)
                            + " times: " + e.getMessage(), e);
                }
            }
        }
    }

    /** Whether the server says it returns the object as an aws-chunked body (it kept the framing of the upload). */
    static boolean awsChunked(software.amazon.awssdk.services.s3.model.GetObjectResponse r) {
        return r.contentEncoding() != null && r.contentEncoding().contains("aws-chunked");
    }

    /** A stream over {@code key} from {@code offset} to its end. */
    InputStream openFrom(String key, long offset) throws IOException {
        try {
            return s3.getObject(r -> {
                r.bucket(where.bucket()).key(objectKey(key));
                if (offset > 0) {
                    r.range("bytes=" + offset + "-");
                }
            });
        } catch (SdkException e) {
            throw errors.of("read", key, e);
        }
    }

    @Override
    public OptionalLong size(String key) throws IOException {
        try {
            HeadObjectResponse h = s3.headObject(r -> r.bucket(where.bucket()).key(objectKey(key)));
            return OptionalLong.of(h.contentLength());
        } catch (SdkException e) {
            IOException io = errors.of("look up", key, e);
            if (io instanceof ObjectNotFoundException) {
                return OptionalLong.empty();
            }
            check(); // HEAD's answer carries no error code: a listing says what is wrong (bucket, credentials)
            throw io;
        }
    }

    @Override
    public List<String> list(String prefix) throws IOException {
        List<String> keys = new ArrayList<>();
        try {
            for (S3Object o : s3.listObjectsV2Paginator(r -> r.bucket(where.bucket())
                    .prefix(where.listPrefix(prefix))).contents()) {
                keys.add(where.repositoryKey(o.key()));
            }
        } catch (SdkException e) {
            throw errors.of("list", prefix.isEmpty() ? null : prefix, e);
        }
        Collections.sort(keys);
        return keys;
    }

    @Override
    public void delete(String key) throws IOException {
        beforeWrite();
        try {
            s3.deleteObject(r -> r.bucket(where.bucket()).key(objectKey(key)));
        } catch (SdkException e) {
            IOException io = errors.of("delete", key, e);
            if (!(io instanceof ObjectNotFoundException)) {
                throw io;
            }
        }
    }

    @Override
    public void delete(Collection<String> keys) throws IOException {
        beforeWrite();
        List<ObjectIdentifier> batch = new ArrayList<>(Math.min(keys.size(), DELETE_BATCH));
        for (String k : keys) {
            batch.add(ObjectIdentifier.builder().key(objectKey(k)).build());
            if (batch.size() == DELETE_BATCH) {
                deleteBatch(batch);
                batch.clear();
            }
        }
        if (!batch.isEmpty()) {
            deleteBatch(batch);
        }
    }

    private void deleteBatch(List<ObjectIdentifier> batch) throws IOException {
        DeleteObjectsResponse r;
        try {
            r = s3.deleteObjects(d -> d.bucket(where.bucket())
                    .delete(Delete.builder().objects(batch).quiet(true).build()));
        } catch (SdkException e) {
            throw errors.of("delete", batch.get(0).key(), e);
        }
        for (S3Error err : r.errors()) {
            if (!"NoSuchKey".equals(err.code())) {
                throw new IOException(location() + ": delete of " + where.repositoryKey(err.key()) + " refused: "
                        + err.code() + " " + err.message());
            }
        }
    }

    @Override
    public int removeStrayTemporaries() throws IOException {
        beforeWrite();
        Instant before = Instant.now().minus(STRAY_GRACE);
        int removed = 0;
        if (!capabilities.can(S3Probe.LIST_UPLOADS)) {
            return SpoolBuffer.removeStray(spool, STRAY_GRACE); // said by the probe, and by status
        }
        try {
            for (MultipartUpload u : s3.listMultipartUploadsPaginator(r -> r.bucket(where.bucket())
                    .prefix(where.listPrefix(""))).uploads()) {
                if (u.initiated() != null && u.initiated().isBefore(before)) {
                    s3.abortMultipartUpload(r -> r.bucket(where.bucket()).key(u.key()).uploadId(u.uploadId()));
                    removed++;
                }
            }
        } catch (SdkException e) {
            throw errors.of("clean up", null, e);
        }
        return removed + SpoolBuffer.removeStray(spool, STRAY_GRACE);
    }

    @Override
    public String location() {
        return where.toString();
    }

    @Override
    public void close() {
        parts.shutdownNow();
        s3.close();
    }
}
