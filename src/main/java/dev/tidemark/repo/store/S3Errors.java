package dev.tidemark.repo.store;

import java.io.IOException;
import software.amazon.awssdk.awscore.exception.AwsServiceException;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.core.exception.SdkException;

/**
 * S3's answers as one-line messages that say what to do: a missing bucket, refused credentials, a clock that is
 * off, a server that cannot be reached. A missing object becomes {@link ObjectNotFoundException}, never a failure.
 */
final class S3Errors {
    private final S3Location where;

    S3Errors(S3Location where) {
        this.where = where;
    }

    static boolean noSuchUpload(SdkException e) {
        return e instanceof AwsServiceException a && a.awsErrorDetails() != null
                && "NoSuchUpload".equals(a.awsErrorDetails().errorCode());
    }

    /** Not implemented by this server (501, or the code NotImplemented). */
    static boolean notImplemented(SdkException e) {
        return e instanceof AwsServiceException a && (a.statusCode() == 501 || (a.awsErrorDetails() != null
                && "NotImplemented".equals(a.awsErrorDetails().errorCode())));
    }

    /**
     * Whether {@code b} starts as an aws-chunked body does ({@code <hex size>;chunk-signature=<64 hex>\r\n}): the
     * framing of a signed streaming upload, stored undecoded by a server that does not implement it. No tidemark
     * object starts so: records are JSON, packs and encrypted objects start with their magic.
     */
    static boolean looksAwsChunked(byte[] b) {
        int i = 0;
        while (i < b.length && i < 16 && Character.digit(b[i], 16) >= 0) {
            i++;
        }
        byte[] sig = ";chunk-signature=".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        if (i == 0 || b.length < i + sig.length) {
            return false;
        }
        for (int j = 0; j < sig.length; j++) {
            if (b[i + j] != sig[j]) {
                return false;
            }
        }
        return true;
    }

    /** The first line of an aws-chunked body, shortened, for a message. */
    static String firstChunkLine(byte[] b) {
        int end = 0;
        while (end < b.length && end < 40 && b[end] != '\r' && b[end] != '\n') {
            end++;
        }
        return new String(b, 0, end, java.nio.charset.StandardCharsets.US_ASCII) + (end == 40 ? "..." : "");
    }

    /**
     * The error for an object that came back framed as an aws-chunked upload ({@code content-encoding: aws-chunked},
     * or bytes that start so): the server kept the framing of an upload sent that way (by a tidemark before 0.1.0's
     * probe, or another client), so the object is not the bytes that were sent, and nothing here is damage.
     */
    S3CompatibilityException awsChunked(String key, String evidence) {
        return new S3CompatibilityException(where.server() + " returned " + key + " of " + where + " framed as an "
                + "aws-chunked upload (" + evidence + "): the server stored a signed streaming upload without decoding "
                + "it, which is an S3 compatibility problem, not damage; this tidemark never sends them, so objects "
                + "written now are stored as sent: write this repository anew ('tidemark init' in an empty prefix) "
                + "and 'tidemark copy' or point into it");
    }

    static boolean preconditionFailed(SdkException e) {
        return e instanceof AwsServiceException a && a.statusCode() == 412;
    }

    /** The exception to throw for {@code e}, met while doing {@code what} to {@code key} (null: the bucket). */
    IOException of(String what, String key, SdkException e) {
        String server = where.server();
        if (e instanceof AwsServiceException a) {
            String code = a.awsErrorDetails() != null ? a.awsErrorDetails().errorCode() : null;
            int status = a.statusCode();
            if ("NoSuchBucket".equals(code)) {
                return new IOException("bucket '" + where.bucket() + "' does not exist on " + server
                        + ": create it, or correct 'repository' in the config", e);
            }
            if (status == 404 && key != null && !"NoSuchUpload".equals(code)) {
                return new ObjectNotFoundException(key, where.toString());
            }
            if (status == 404 && key == null) {
                return new IOException("bucket '" + where.bucket() + "' does not exist on " + server
                        + ": create it, or correct 'repository' in the config", e);
            }
            if ("RequestTimeTooSkewed".equals(code)) {
                return new IOException("this machine's clock is too far from " + server + "'s: set the clock "
                        + "(NTP) and run again", e);
            }
            if ("InvalidAccessKeyId".equals(code) || "SignatureDoesNotMatch".equals(code)
                    || "InvalidToken".equals(code) || "ExpiredToken".equals(code)) {
                return new IOException(server + " refused the credentials (" + code + "): check "
                        + "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or the profile AWS_PROFILE names in "
                        + "~/.aws/credentials", e);
            }
            if (status == 403) {
                return new IOException(server + " denied " + what + (key == null ? "" : " of " + key)
                        + " in bucket '" + where.bucket() + "' (" + (code == null ? "403" : code)
                        + "): give these credentials read, write, list and delete on the bucket", e);
            }
            return new IOException(what + (key == null ? "" : " of " + key) + " in " + where + " failed: "
                    + status + (code == null ? "" : " " + code) + (a.awsErrorDetails() != null
                    && a.awsErrorDetails().errorMessage() != null ? " (" + a.awsErrorDetails().errorMessage() + ")"
                    : ""), e);
        }
        String msg = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
        if (e instanceof SdkClientException && msg.contains("Unable to load credentials")) {
            return new IOException("no S3 credentials for " + where + ": set AWS_ACCESS_KEY_ID and "
                    + "AWS_SECRET_ACCESS_KEY, or AWS_PROFILE naming a profile in ~/.aws/credentials", e);
        }
        Throwable root = e;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        String why = root == e ? firstLine(msg) : firstLine(root.getMessage() == null ? root.getClass().getSimpleName()
                : root.getMessage());
        return new IOException("cannot reach " + server + " to " + what + (key == null ? "" : " " + key) + ": "
                + why, e);
    }

    private static String firstLine(String s) {
        int nl = s.indexOf('\n');
        return nl < 0 ? s : s.substring(0, nl);
    }
}
