package dev.tidemark.testing;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * Ceph's object gateway, radosgw 16.2 from Debian's packages, on a single-node cluster this class makes in a temp
 * directory: one monitor, one OSD on memstore (in memory, 2 GiB at most: no disk to prepare, nothing to mount),
 * no authentication inside the cluster, and the gateway on a loopback port with a user holding the tests' key
 * pair. About 10-15 s to start, once per test JVM; every daemon runs in the foreground as a child of this JVM and
 * is stopped with it. This is the production S3 server of the compatibility matrix: the one NAS and self-hosting
 * users run for themselves (Ceph RGW), not a test double.
 *
 * <p>Needs {@code ceph-mon}, {@code ceph-osd}, {@code radosgw} and {@code ceph-common} ({@code .ci/run} installs
 * them).
 */
public final class RadosGw implements TestS3, AutoCloseable {
    private static RadosGw shared;

    private final Path dir;
    private final Path conf;
    private final URI endpoint;
    private final List<Process> daemons;

    private RadosGw(Path dir, Path conf, URI endpoint, List<Process> daemons) {
        this.dir = dir;
        this.conf = conf;
        this.endpoint = endpoint;
        this.daemons = daemons;
    }

    public static synchronized RadosGw shared() throws IOException {
        for (int attempt = 1; shared == null; attempt++) {
            try {
                shared = start();
            } catch (OsdRefused e) {
                // About 1 start in 3 here the monitor refuses the new OSD ("wrong fsid"; cause not found yet): a
                // new cluster, in a new directory on new ports, is started instead.
                if (attempt == 5) {
                    throw e;
                }
            }
        }
        return shared;
    }

    /** The OSD exited or never came up: worth a fresh cluster. */
    private static final class OsdRefused extends IOException {
        OsdRefused(String message) {
            super(message);
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    private static RadosGw start() throws IOException {
        for (String tool : List.of("/usr/bin/ceph-mon", "/usr/bin/ceph-osd", "/usr/bin/radosgw",
                "/usr/bin/radosgw-admin", "/usr/bin/monmaptool", "/usr/bin/ceph")) {
            if (!Files.isExecutable(Path.of(tool))) {
                throw new IOException(tool + " is not installed: apt-get install ceph-mon ceph-osd radosgw "
                        + "ceph-common (.ci/run does)");
            }
        }
        Path dir = Files.createTempDirectory("tidemark-ceph-");
        for (String d : List.of("mon", "osd", "rgw", "log", "run")) {
            Files.createDirectories(dir.resolve(d));
        }
        int monPort = freePort();
        int rgwPort = freePort();
        String fsid = UUID.randomUUID().toString();
        Path conf = dir.resolve("ceph.conf");
        Files.writeString(conf, String.join("\n",
                "[global]",
                "fsid = " + fsid,
                "mon host = v1:127.0.0.1:" + monPort,
                "auth cluster required = none",
                "auth service required = none",
                "auth client required = none",
                "osd pool default size = 1",
                "osd pool default min size = 1",
                "osd crush chooseleaf type = 0",
                "mon allow pool size one = true",
                "mon warn on pool no redundancy = false",
                "run dir = " + dir.resolve("run"),
                "log file = " + dir.resolve("log") + "/$name.log",
                "admin socket = " + dir.resolve("run") + "/$name.asok",
                "pid file = " + dir.resolve("run") + "/$name.pid",
                "osd objectstore = memstore",
                "memstore device bytes = 2147483648",
                "osd max object name len = 256",
                "osd max object namespace len = 64",
                "[mon.a]",
                "mon data = " + dir.resolve("mon"),
                "[osd.0]",
                "osd data = " + dir.resolve("osd"),
                "[client.rgw.a]",
                "rgw frontends = beast endpoint=127.0.0.1:" + rgwPort,
                "rgw data = " + dir.resolve("rgw"),
                ""));
        List<Process> daemons = new ArrayList<>();
        RadosGw gw = new RadosGw(dir, conf, URI.create("http://127.0.0.1:" + rgwPort), daemons);
        S3Server.useTestKeys();
        Runtime.getRuntime().addShutdownHook(new Thread(gw::close));
        try {
            gw.run("monmaptool", "--create", "--fsid", fsid, "--addv", "a", "[v1:127.0.0.1:" + monPort + "]",
                    dir.resolve("monmap").toString());
            gw.run("ceph-mon", "-c", conf.toString(), "--mkfs", "-i", "a", "--monmap", dir.resolve("monmap").toString());
            daemons.add(gw.daemon("ceph-mon", "-f", "-c", conf.toString(), "-i", "a"));
            // No 'ceph osd create' first: the OSD registers itself at its first boot. Created beforehand, the
            // monitor's record of osd.0 could name another uuid than the OSD's, which it then refused ("wrong fsid",
            // 1 start in 3), and the gateway waited for its pools for ever.
            String osdUuid = UUID.randomUUID().toString();
            gw.run("ceph-osd", "-c", conf.toString(), "-i", "0", "--mkfs", "--osd-uuid", osdUuid);
            daemons.add(gw.daemon("ceph-osd", "-f", "-c", conf.toString(), "-i", "0"));
            gw.awaitOsdUp();
            daemons.add(gw.daemon("radosgw", "-f", "-c", conf.toString(), "-n", "client.rgw.a"));
            gw.run("radosgw-admin", "-c", conf.toString(), "user", "create", "--uid", "tidemark", "--display-name",
                    "tidemark tests", "--access-key", S3Server.ACCESS_KEY, "--secret", S3Server.SECRET_KEY);
            gw.awaitGateway();
        } catch (IOException | RuntimeException e) {
            gw.close();
            throw e;
        }
        return gw;
    }

    /** Runs a Ceph tool to its end (at most 2 minutes) and returns what it printed; fails on a non-zero exit. */
    private String run(String... command) throws IOException {
        Path outFile = dir.resolve("log").resolve("run-" + RUNS.incrementAndGet() + ".out");
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(outFile.toFile());
        Process p = pb.start();
        try {
            if (!p.waitFor(2, TimeUnit.MINUTES)) {
                p.destroyForcibly();
                throw new IOException(String.join(" ", command) + " did not finish in 2 minutes: "
                        + Files.readString(outFile));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        }
        String out = Files.readString(outFile, StandardCharsets.UTF_8);
        if (p.exitValue() != 0) {
            throw new IOException(String.join(" ", command) + " exited " + p.exitValue() + ": " + out);
        }
        return out;
    }

    private Process daemon(String... command) throws IOException {
        String name = command[0];
        return new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(dir.resolve("log").resolve(name + ".out").toFile()).start();
    }

    private static final java.util.concurrent.atomic.AtomicInteger RUNS = new java.util.concurrent.atomic.AtomicInteger();

    /** Until the monitor counts the OSD up (at most 60 s): without it the gateway waits for its pools for ever. */
    private void awaitOsdUp() throws IOException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (!run("ceph", "-c", conf.toString(), "--connect-timeout", "30", "osd", "stat").contains("1 up")) {
            Process osd = daemons.get(daemons.size() - 1);
            if (!osd.isAlive() || System.nanoTime() > deadline) {
                String log = Files.isRegularFile(dir.resolve("log/ceph-osd.out"))
                        ? Files.readString(dir.resolve("log/ceph-osd.out")) : "";
                throw new OsdRefused("the Ceph OSD did not come up within 60 s" + (osd.isAlive() ? ""
                        : " (it exited " + osd.exitValue() + ")") + ": " + log.substring(Math.max(0, log.length()
                        - 1500)).replace('\n', ' '));
            }
            try {
                Thread.sleep(250);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted", e);
            }
        }
    }

    /** Until the gateway answers an S3 request (it makes its pools at its first start). */
    private void awaitGateway() throws IOException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
        while (true) {
            try (S3Client c = TestS3.client(endpoint, false)) {
                c.listBuckets();
                return;
            } catch (RuntimeException e) {
                if (System.nanoTime() > deadline) {
                    throw new IOException("radosgw did not answer on " + endpoint + " within 90 s: " + e.getMessage()
                            + " (logs in " + dir.resolve("log") + ")", e);
                }
                for (Process p : daemons) {
                    if (!p.isAlive()) {
                        throw new IOException(p.info().command().orElse("a Ceph daemon") + " exited " + p.exitValue()
                                + " (logs in " + dir.resolve("log") + ")");
                    }
                }
            }
            try {
                Thread.sleep(250);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted", e);
            }
        }
    }

    @Override
    public String name() {
        return "Ceph radosgw 16.2";
    }

    @Override
    public URI endpoint() {
        return endpoint;
    }

    @Override
    public boolean conditionalWrites() {
        return true;
    }

    @Override
    public String newBucket() {
        return TestS3.createBucket(endpoint);
    }

    @Override
    public synchronized void close() {
        for (int i = daemons.size() - 1; i >= 0; i--) {
            Process p = daemons.get(i);
            p.destroy();
            try {
                if (!p.waitFor(10, TimeUnit.SECONDS)) {
                    p.destroyForcibly();
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        daemons.clear();
        try {
            Trees.deleteRecursively(dir);
        } catch (IOException e) {
            // a temp directory: left to the system
        }
    }

    @Override
    public String toString() {
        return name();
    }
}
