package dev.tidemark.bench;

import dev.tidemark.testing.S3Server;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Properties;
import org.gaul.s3proxy.BlobStores;
import org.gaul.s3proxy.S3Proxy;
import org.gaul.s3proxy.auth.AuthenticationType;
import org.gaul.s3proxy.blobstore.BlobStore;

/**
 * The bench's S3 server: S3Proxy over a directory, in a process of its own so that tidemark and restic talk to the
 * same server over loopback. Usage: {@code S3ProxyServer DIR BUCKET...}; prints the endpoint on stdout, then serves
 * until stdin closes. The key pair is {@link S3Server#ACCESS_KEY} / {@link S3Server#SECRET_KEY}.
 */
public final class S3ProxyServer {
    private S3ProxyServer() {
    }

    public static void main(String[] args) throws Exception {
        Path dir = Path.of(args[0]);
        Files.createDirectories(dir);
        Properties p = new Properties();
        p.setProperty("jclouds.filesystem.basedir", dir.toString());
        BlobStore blobs = BlobStores.create("filesystem", p);
        for (int i = 1; i < args.length; i++) {
            blobs.createContainer(args[i]);
        }
        S3Proxy proxy = S3Proxy.builder().blobStore(blobs).endpoint(URI.create("http://127.0.0.1:0"))
                .awsAuthentication(AuthenticationType.AWS_V2_OR_V4, S3Server.ACCESS_KEY, S3Server.SECRET_KEY)
                .jettyMaxThreads(64).stopTimeout(0).build();
        proxy.start();
        while (!"STARTED".equals(proxy.getState())) {
            Thread.sleep(10);
        }
        System.out.println("http://127.0.0.1:" + proxy.getPort());
        System.out.flush();
        while (System.in.read() >= 0) {
            // serve until the harness closes our stdin
        }
        proxy.stop();
        System.exit(0);
    }
}
