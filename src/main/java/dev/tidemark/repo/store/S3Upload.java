package dev.tidemark.repo.store;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.CompletedMultipartUpload;
import software.amazon.awssdk.services.s3.model.CompletedPart;

/**
 * An upload to an {@link S3Store}: spooled ({@link SpoolBuffer}), then at commit one PUT, or a multipart upload
 * (parts of {@value S3Store#PART_SIZE_MIB} MiB on the store's {@value S3Store#UPLOAD_THREADS} upload threads) when
 * it is larger than {@value S3Store#SINGLE_PUT_MIB} MiB. Either way S3 makes the object visible whole or not at all;
 * create-only-if-absent is the conditional write ({@code If-None-Match: *}) on the PUT or on the completion.
 */
final class S3Upload implements Store.Upload {
    private final S3Store store;
    private final S3Client s3;
    private final SpoolBuffer buf;
    private boolean done;

    S3Upload(S3Store store, SpoolBuffer buf) {
        this.store = store;
        this.s3 = store.client();
        this.buf = buf;
    }

    @Override
    public OutputStream stream() {
        return buf;
    }

    @Override
    public long written() {
        return buf.size();
    }

    @Override
    public void commit(String key) throws IOException {
        send(key, false);
    }

    @Override
    public boolean commitIfAbsent(String key) throws IOException {
        return send(key, true);
    }

    private boolean send(String key, boolean ifAbsent) throws IOException {
        if (done) {
            throw new IOException("upload of " + key + " already committed or discarded");
        }
        String objectKey = store.objectKey(key);
        buf.finish();
        try {
            if (ifAbsent && !store.createsOnlyIfAbsent()) {
                return emulatedIfAbsent(key, objectKey);
            }
            if (buf.size() <= S3Store.SINGLE_PUT) {
                byte[] inMemory = buf.bytes(); // a copy each call: taken once
                RequestBody body = inMemory != null ? RequestBody.fromBytes(inMemory)
                        : RequestBody.fromFile(buf.file());
                try {
                    s3.putObject(r -> {
                        r.bucket(store.bucket()).key(objectKey).contentLength(buf.size());
                        if (ifAbsent) {
                            r.ifNoneMatch("*");
                        }
                    }, body);
                } catch (SdkException e) {
                    if (ifAbsent && S3Errors.preconditionFailed(e)) {
                        return ours(key);
                    }
                    throw store.errors().of("write", key, e);
                }
                return true;
            }
            return multipart(key, objectKey, ifAbsent);
        } finally {
            done = true;
            buf.discard();
        }
    }

    /**
     * Create-only-if-absent on a server without conditional writes ({@code s3.conditionalWrites: false}): a look-up,
     * a plain write, and a read-back that must find these bytes. Exact while one process writes, which the writer
     * lock ensures on such a store (every lock exclusive); the read-back still catches a writer that broke in.
     */
    private boolean emulatedIfAbsent(String key, String objectKey) throws IOException {
        if (store.size(key).isPresent()) {
            return ours(key);
        }
        if (buf.size() <= S3Store.SINGLE_PUT) {
            byte[] inMemory = buf.bytes();
            try {
                s3.putObject(r -> r.bucket(store.bucket()).key(objectKey).contentLength(buf.size()),
                        inMemory != null ? RequestBody.fromBytes(inMemory) : RequestBody.fromFile(buf.file()));
            } catch (SdkException e) {
                throw store.errors().of("write", key, e);
            }
        } else {
            multipart(key, objectKey, false);
        }
        if (!ours(key)) {
            throw new IOException(key + " in " + store.location() + " was replaced by another writer as it was "
                    + "created (this server has no conditional writes, \"conditionalWrites\": false): run one "
                    + "tidemark writer at a time against it");
        }
        return true;
    }

    private boolean multipart(String key, String objectKey, boolean ifAbsent) throws IOException {
        String id;
        try {
            id = s3.createMultipartUpload(r -> r.bucket(store.bucket()).key(objectKey)).uploadId();
        } catch (SdkException e) {
            throw store.errors().of("write", key, e);
        }
        boolean completed = false;
        try {
            long size = buf.size();
            int count = (int) ((size + S3Store.PART_SIZE - 1) / S3Store.PART_SIZE);
            List<Future<CompletedPart>> sent = new ArrayList<>(count);
            for (int i = 0; i < count; i++) {
                int number = i + 1;
                long offset = i * S3Store.PART_SIZE;
                long length = Math.min(S3Store.PART_SIZE, size - offset);
                sent.add(store.uploadThreads().submit(() -> {
                    RequestBody body = RequestBody.fromContentProvider(() -> {
                        try {
                            return buf.open(offset, length);
                        } catch (IOException e) {
                            throw new java.io.UncheckedIOException(e);
                        }
                    }, length, "application/octet-stream");
                    String etag = s3.uploadPart(r -> r.bucket(store.bucket()).key(objectKey).uploadId(id)
                            .partNumber(number).contentLength(length), body).eTag();
                    return CompletedPart.builder().partNumber(number).eTag(etag).build();
                }));
            }
            List<CompletedPart> done = new ArrayList<>(count);
            for (Future<CompletedPart> f : sent) {
                done.add(f.get());
            }
            try {
                s3.completeMultipartUpload(r -> {
                    r.bucket(store.bucket()).key(objectKey).uploadId(id)
                            .multipartUpload(CompletedMultipartUpload.builder().parts(done).build());
                    if (ifAbsent) {
                        r.ifNoneMatch("*");
                    }
                });
            } catch (SdkException e) {
                if (ifAbsent && S3Errors.preconditionFailed(e)) {
                    return ours(key);
                }
                if (!S3Errors.noSuchUpload(e) || !ours(key)) {
                    throw e;
                }
                // The upload was completed by an earlier attempt whose answer was lost: the object is ours.
            }
            completed = true;
            return true;
        } catch (ExecutionException e) {
            Throwable c = e.getCause();
            throw c instanceof SdkException s ? store.errors().of("write", key, s)
                    : new IOException("upload of " + key + " to " + store.location() + " failed: " + c, c);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new java.io.InterruptedIOException("upload of " + key + " interrupted");
        } catch (SdkException e) {
            throw store.errors().of("write", key, e);
        } finally {
            if (!completed) {
                try {
                    s3.abortMultipartUpload(r -> r.bucket(store.bucket()).key(objectKey).uploadId(id));
                } catch (SdkException e) {
                    // left for removeStrayTemporaries
                }
            }
        }
    }

    /**
     * Whether the object under {@code key} holds exactly this upload's bytes. Asked when a conditional write
     * is refused, or a completed upload is unknown: the client retries a request whose answer was lost, and
     * the retry then meets the object its own first attempt made. An honest racer's object differs (point
     * records and locks carry their writer and time), so a refusal stays a refusal.
     */
    private boolean ours(String key) throws IOException {
        OptionalLong stored = store.size(key);
        if (stored.isEmpty() || stored.getAsLong() != buf.size()) {
            return false;
        }
        try (InputStream theirs = new java.io.BufferedInputStream(store.open(key), 1 << 16);
             InputStream mine = new java.io.BufferedInputStream(buf.open(0, buf.size()), 1 << 16)) {
            for (long i = 0; i < buf.size(); i++) {
                if (theirs.read() != mine.read()) {
                    return false;
                }
            }
        }
        return true;
    }

    @Override
    public void close() throws IOException {
        if (!done) {
            done = true;
            buf.discard();
        }
    }
}
