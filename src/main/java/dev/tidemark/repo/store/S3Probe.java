package dev.tidemark.repo.store;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.UUID;
import software.amazon.awssdk.awscore.exception.AwsServiceException;
import software.amazon.awssdk.core.ResponseBytes;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.core.sync.ResponseTransformer;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.CompletedMultipartUpload;
import software.amazon.awssdk.services.s3.model.CompletedPart;
import software.amazon.awssdk.services.s3.model.Delete;
import software.amazon.awssdk.services.s3.model.GetObjectResponse;
import software.amazon.awssdk.services.s3.model.ObjectIdentifier;
import software.amazon.awssdk.services.s3.model.S3Object;

/**
 * Tries, on a real S3 server, each thing the repository relies on, before anything of the repository is written
 * there: a PUT read back byte for byte, a ranged GET, the conditional PUT ({@code If-None-Match: *}: created when
 * absent, refused with 412 when present), a listing by prefix across pages, a multipart upload (a 5 MiB part and
 * a small one, read back across the boundary), the listing of unfinished uploads, a multi-object delete, and a
 * missing object answered as missing. Everything it writes is under {@code probe/<random>/} in the repository's
 * prefix and removed before it returns (a probe cut short leaves only that folder, which nothing of the repository
 * reads, and {@code copy} skips).
 *
 * <p>Why: a server that accepts a request is not one that does what it says. s3rver takes an aws-chunked upload and
 * stores its framing as the object's bytes; several servers take {@code If-None-Match: *} and replace the object
 * anyway. Found here, that is one line naming the server and the capability, at {@code init} or at the first write
 * from a state directory, instead of a repository that later looks damaged, or two points written under one id.
 */
public final class S3Probe {
    static final String PUT_GET = "put and read back";
    static final String RANGED_GET = "ranged get";
    static final String CONDITIONAL_PUT = "conditional put (If-None-Match: *)";
    static final String LIST = "list by prefix, across pages";
    static final String MULTIPART = "multipart upload";
    static final String LIST_UPLOADS = "list unfinished multipart uploads";
    static final String MULTI_DELETE = "multi-object delete";
    static final String NOT_FOUND = "a missing object answered as missing";
    /** S3's smallest part but the last. */
    private static final int PART = 5 << 20;
    public static final String PREFIX = "probe/";

    private final S3Store store;
    private final S3Client s3;
    private final String base;
    private final SecureRandom random = new SecureRandom();
    private final List<S3Capabilities.Finding> findings = new ArrayList<>();
    private final List<String> written = new ArrayList<>();
    private String server;

    private S3Probe(S3Store store) {
        this.store = store;
        this.s3 = store.client();
        this.base = PREFIX + UUID.randomUUID() + "/";
    }

    /**
     * Probes the server {@code store} talks to. Failures to reach it at all (credentials, bucket, network) are
     * thrown as the store's usual one-line errors; what the server does wrong is in the findings.
     */
    public static S3Capabilities run(S3Store store, Clock clock) throws IOException {
        S3Probe p = new S3Probe(store);
        try {
            p.probe();
        } catch (SdkException e) {
            throw store.errors().of("probe", null, e); // a request the store itself makes failed: the usual line
        } finally {
            p.cleanUp();
        }
        return new S3Capabilities(store.location(), p.server, clock.instant(), List.copyOf(p.findings));
    }

    private void probe() throws IOException {
        boolean conditional = store.where().conditionalWrites();
        byte[] small = randomBytes(64);
        String a = key("a");
        put(a, small, false);
        byte[] back = get(a, null);
        if (!Arrays.equals(small, back)) {
            fail(PUT_GET, true, storedDifferently(small, back));
            return; // nothing else can be judged on a server that changes what it stores
        }
        ok(PUT_GET, "64 bytes");
        byte[] range = get(a, "bytes=8-23");
        if (Arrays.equals(Arrays.copyOfRange(small, 8, 24), range)) {
            ok(RANGED_GET, null);
        } else {
            fail(RANGED_GET, true, "answered " + range.length + " bytes where 16 at offset 8 were asked"
                    + (range.length == small.length ? ": it ignores Range" : ""));
        }
        probeConditional(a, conditional);
        probeList();
        probeMultipart();
        probeDeletes(a);
    }

    private void probeConditional(String existing, boolean required) throws IOException {
        String fix = required ? "set \"s3\": {\"conditionalWrites\": false} to write from one process at a time "
                + "(every writer lock exclusive), or use a server that keeps it"
                : "with \"conditionalWrites\": false: one writer at a time, every writer lock exclusive";
        required = true; // whether it refuses the server is the config's to say (S3Capabilities.refusal)
        String fresh = key("b");
        byte[] mine = randomBytes(16);
        try {
            put(fresh, mine, true);
        } catch (SdkException e) {
            // A 412 whose object holds these bytes is the client's retry of a put whose answer was lost.
            if (!S3Errors.preconditionFailed(e) || !Arrays.equals(mine, get(fresh, null))) {
                fail(CONDITIONAL_PUT, required, "refused a conditional put of a new object (" + code(e) + "); " + fix);
                return;
            }
        }
        byte[] other = randomBytes(64);
        try {
            put(existing, other, true);
        } catch (SdkException e) {
            if (S3Errors.preconditionFailed(e)) {
                ok(CONDITIONAL_PUT, "412 on an existing object");
            } else {
                fail(CONDITIONAL_PUT, required, "answered a conditional put of an existing object with " + code(e)
                        + " instead of 412; " + fix);
            }
            return;
        }
        fail(CONDITIONAL_PUT, required, "took If-None-Match: * and replaced the existing object; " + fix);
    }

    private void probeList() throws IOException {
        List<String> want = List.of(key("list/1"), key("list/2"), key("list/3"));
        for (String k : want) {
            put(k, new byte[] {1}, false);
        }
        put(key("listed-not"), new byte[] {1}, false);
        List<String> got = new ArrayList<>();
        try {
            for (S3Object o : s3.listObjectsV2Paginator(r -> r.bucket(store.bucket()).prefix(store.where().listPrefix(
                    key("list/"))).maxKeys(2)).contents()) {
                got.add(o.key());
            }
        } catch (SdkException e) {
            fail(LIST, true, "failed with 2 keys a page: " + code(e));
            return;
        }
        List<String> wantObjects = want.stream().map(store::objectKey).toList();
        if (got.equals(wantObjects)) {
            ok(LIST, "3 keys, 2 a page");
        } else {
            fail(LIST, true, "listed " + got.size() + " keys where 3 were under the prefix"
                    + (got.size() == 2 ? ": it does not continue across pages" : ""));
        }
    }

    private void probeMultipart() throws IOException {
        String k = key("multipart");
        String objectKey = store.objectKey(k);
        String id;
        try {
            id = s3.createMultipartUpload(r -> r.bucket(store.bucket()).key(objectKey)).uploadId();
        } catch (SdkException e) {
            fail(MULTIPART, true, "refused to start one: " + code(e));
            return;
        }
        boolean completed = false;
        try {
            byte[] one = randomBytes(PART);
            byte[] two = randomBytes(1000);
            String e1 = s3.uploadPart(r -> r.bucket(store.bucket()).key(objectKey).uploadId(id).partNumber(1)
                    .contentLength((long) one.length), RequestBody.fromBytes(one)).eTag();
            String e2 = s3.uploadPart(r -> r.bucket(store.bucket()).key(objectKey).uploadId(id).partNumber(2)
                    .contentLength((long) two.length), RequestBody.fromBytes(two)).eTag();
            try {
                boolean listed = s3.listMultipartUploads(r -> r.bucket(store.bucket()).prefix(objectKey)).uploads()
                        .stream().anyMatch(u -> id.equals(u.uploadId()));
                if (listed) {
                    ok(LIST_UPLOADS, null);
                } else {
                    fail(LIST_UPLOADS, false, "did not list the upload in progress: uploads an interrupted run "
                            + "leaves are not removed by tidemark; remove them with the server's own tools");
                }
            } catch (SdkException e) {
                fail(LIST_UPLOADS, false, "answered " + code(e) + ": uploads an interrupted run leaves are not "
                        + "removed by tidemark; remove them with the server's own tools");
            }
            if (!written.contains(k)) {
                written.add(k);
            }
            s3.completeMultipartUpload(r -> r.bucket(store.bucket()).key(objectKey).uploadId(id).multipartUpload(
                    CompletedMultipartUpload.builder().parts(CompletedPart.builder().partNumber(1).eTag(e1).build(),
                            CompletedPart.builder().partNumber(2).eTag(e2).build()).build()));
            completed = true;
            byte[] across = get(k, "bytes=" + (PART - 10) + "-" + (PART + 9));
            byte[] expected = new byte[20];
            System.arraycopy(one, PART - 10, expected, 0, 10);
            System.arraycopy(two, 0, expected, 10, 10);
            long size = s3.headObject(r -> r.bucket(store.bucket()).key(objectKey)).contentLength();
            if (size == PART + two.length && Arrays.equals(expected, across)) {
                ok(MULTIPART, "parts of 5 MiB and 1000 bytes");
            } else {
                fail(MULTIPART, true, "made an object of " + size + " bytes where " + (PART + two.length)
                        + " were sent" + (size == PART + two.length ? ", and they differ" : ""));
            }
        } catch (SdkException e) {
            fail(MULTIPART, true, "failed: " + code(e));
        } finally {
            if (!completed) {
                try {
                    s3.abortMultipartUpload(r -> r.bucket(store.bucket()).key(objectKey).uploadId(id));
                } catch (SdkException ignored) {
                    // left for the server's own clean-up; said in the finding
                }
            }
        }
    }

    private void probeDeletes(String gone) throws IOException {
        List<ObjectIdentifier> ids = written.stream().map(k -> ObjectIdentifier.builder().key(store.objectKey(k))
                .build()).toList();
        try {
            var r = s3.deleteObjects(d -> d.bucket(store.bucket()).delete(Delete.builder().objects(ids).quiet(true)
                    .build()));
            List<String> left = new ArrayList<>();
            for (S3Object o : s3.listObjectsV2Paginator(l -> l.bucket(store.bucket())
                    .prefix(store.where().listPrefix(base))).contents()) {
                left.add(o.key());
            }
            if (r.errors().isEmpty() && left.isEmpty()) {
                ok(MULTI_DELETE, ids.size() + " objects");
                written.clear();
            } else {
                fail(MULTI_DELETE, true, "left " + left.size() + " of " + ids.size() + " objects"
                        + (r.errors().isEmpty() ? "" : ": " + r.errors().get(0).code()));
            }
        } catch (SdkException e) {
            fail(MULTI_DELETE, true, "failed: " + code(e));
        }
        try {
            store.get(gone);
            fail(NOT_FOUND, true, "still served a deleted object");
        } catch (ObjectNotFoundException e) {
            ok(NOT_FOUND, null);
        } catch (IOException e) {
            fail(NOT_FOUND, true, "failed a read of a deleted object otherwise (" + e.getMessage() + "): "
                    + "tidemark could not tell a missing object from a failing server");
        }
    }

    private void put(String key, byte[] data, boolean ifAbsent) {
        if (!written.contains(key)) {
            written.add(key); // before: a put that fails may still have made the object
        }
        var resp = s3.putObject(r -> {
            r.bucket(store.bucket()).key(store.objectKey(key)).contentLength((long) data.length);
            if (ifAbsent) {
                r.ifNoneMatch("*");
            }
        }, RequestBody.fromBytes(data));
        if (server == null) {
            server = resp.sdkHttpResponse().firstMatchingHeader("Server").orElse(null);
        }
    }

    private byte[] get(String key, String range) throws IOException {
        try {
            ResponseBytes<GetObjectResponse> b = s3.getObject(r -> {
                r.bucket(store.bucket()).key(store.objectKey(key));
                if (range != null) {
                    r.range(range);
                }
            }, ResponseTransformer.toBytes());
            return b.asByteArray();
        } catch (SdkException e) {
            throw store.errors().of("read", key, e);
        }
    }

    private void cleanUp() {
        for (String k : written) {
            try {
                s3.deleteObject(r -> r.bucket(store.bucket()).key(store.objectKey(k)));
            } catch (SdkException | IllegalArgumentException ignored) {
                // a probe object left under probe/: nothing reads it
            }
        }
    }

    private String key(String name) {
        return base + name;
    }

    private byte[] randomBytes(int n) {
        byte[] b = new byte[n];
        random.nextBytes(b);
        return b;
    }

    private void ok(String capability, String detail) {
        findings.add(new S3Capabilities.Finding(capability, true, true, detail));
    }

    private void fail(String capability, boolean required, String detail) {
        findings.add(new S3Capabilities.Finding(capability, false, required, detail));
    }

    private static String code(SdkException e) {
        if (e instanceof AwsServiceException a) {
            String code = a.awsErrorDetails() != null ? a.awsErrorDetails().errorCode() : null;
            return a.statusCode() + (code == null ? "" : " " + code);
        }
        return e.getClass().getSimpleName() + (e.getMessage() == null ? "" : ": " + e.getMessage());
    }

    /** What a server that stored {@code back} for {@code sent} did, as far as the bytes prove it. */
    static String storedDifferently(byte[] sent, byte[] back) {
        if (S3Errors.looksAwsChunked(back)) {
            return "stored the upload's aws-chunked framing ('" + S3Errors.firstChunkLine(back) + "') as the object's "
                    + "bytes: it does not decode aws-chunked uploads";
        }
        return "stored " + back.length + " bytes where " + sent.length + " were sent"
                + (back.length == sent.length ? ", and they differ" : "");
    }

    static String utf8(byte[] b) {
        return new String(b, StandardCharsets.UTF_8);
    }
}
