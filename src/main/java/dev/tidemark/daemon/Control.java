package dev.tidemark.daemon;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tidemark.ExitCode;
import dev.tidemark.TidemarkException;
import dev.tidemark.point.RestorePoint;
import dev.tidemark.util.Json;
import dev.tidemark.util.Threads;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The daemon's control endpoint: a Unix socket in the state directory (mode 0600, so only the daemon's user can
 * talk to it). One JSON line in, one JSON line out:
 * <pre>
 * {"command":"status"}                      → {"ok":true,"status":{…}}
 * {"command":"point","tags":["before-upgrade"]} → {"ok":true,"point":{restore point record}}
 * failure                                   → {"ok":false,"error":"one line","exitCode":1}
 * </pre>
 * While the daemon holds the writer lock, {@code tidemark point} and {@code tidemark status} go through here, so
 * there is never a second writer.
 */
public final class Control {
    private static final Logger LOG = LoggerFactory.getLogger(Control.class);
    /** A point can take minutes on a large tree. */
    static final Duration POINT_TIMEOUT = Duration.ofHours(6);

    private Control() {
    }

    /** The server side, run by the daemon. */
    public static final class Server implements AutoCloseable {
        private final Path socket;
        private final ServerSocketChannel server;
        private final ExecutorService threads;
        private volatile boolean closed;

        private Server(Path socket, ServerSocketChannel server, ExecutorService threads) {
            this.socket = socket;
            this.server = server;
            this.threads = threads;
        }

        public static Server start(Path socket, Daemon daemon) throws IOException {
            Files.createDirectories(socket.getParent());
            // A socket file left by a daemon that was killed: we hold the writer lock, so it is not in use.
            Files.deleteIfExists(socket);
            ServerSocketChannel ch = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
            ch.bind(UnixDomainSocketAddress.of(socket));
            try {
                Files.setPosixFilePermissions(socket, PosixFilePermissions.fromString("rw-------"));
            } catch (UnsupportedOperationException e) {
                LOG.debug("cannot restrict {}: {}", socket, e.toString());
            }
            ExecutorService threads = Executors.newCachedThreadPool(Threads.daemon("tidemark-control", true));
            Server s = new Server(socket, ch, threads);
            threads.submit(() -> s.accept(daemon));
            return s;
        }

        private void accept(Daemon daemon) {
            while (!closed) {
                SocketChannel c;
                try {
                    c = server.accept();
                } catch (IOException e) {
                    if (!closed) {
                        LOG.warn("control socket {}: {}", socket, e.getMessage());
                    }
                    return;
                }
                threads.submit(() -> serve(c, daemon));
            }
        }

        private void serve(SocketChannel c, Daemon daemon) {
            try (c; BufferedReader in = new BufferedReader(new InputStreamReader(Channels.newInputStream(c),
                    StandardCharsets.UTF_8)); OutputStream out = Channels.newOutputStream(c)) {
                String line = in.readLine();
                ObjectNode reply = Json.MAPPER.createObjectNode();
                try {
                    JsonNode req = Json.MAPPER.readTree(line == null ? "{}" : line);
                    String cmd = req.path("command").asText("");
                    switch (cmd) {
                        case "status" -> reply.set("status", Json.MAPPER.valueToTree(daemon.status()));
                        case "point" -> {
                            List<String> tags = new ArrayList<>();
                            req.path("tags").forEach(t -> tags.add(t.asText()));
                            tags.forEach(dev.tidemark.point.PointStore::checkTag);
                            RestorePoint p = daemon.pointNow(tags).get(POINT_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
                            reply.set("point", Json.MAPPER.valueToTree(p));
                        }
                        default -> throw TidemarkException.usage("unknown control command '" + cmd + "'");
                    }
                    reply.put("ok", true);
                } catch (ExecutionException e) {
                    fail(reply, e.getCause());
                } catch (IOException | RuntimeException | TimeoutException e) {
                    fail(reply, e);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    fail(reply, e);
                }
                out.write(Json.MAPPER.writeValueAsBytes(reply));
                out.write('\n');
            } catch (IOException e) {
                LOG.debug("control client went away: {}", e.toString());
            }
        }

        private static void fail(ObjectNode reply, Throwable t) {
            if (t instanceof java.io.UncheckedIOException u && u.getCause() != null) {
                t = u.getCause();
            }
            reply.put("ok", false);
            reply.put("error", t.getMessage() == null ? t.toString() : t.getMessage());
            reply.put("exitCode", t instanceof TidemarkException te ? te.exitCode().code() : ExitCode.FAILED.code());
        }

        @Override
        public void close() {
            closed = true;
            try {
                server.close();
            } catch (IOException e) {
                LOG.debug("closing control socket: {}", e.toString());
            }
            threads.shutdownNow();
            try {
                Files.deleteIfExists(socket);
            } catch (IOException e) {
                LOG.debug("removing control socket: {}", e.toString());
            }
        }
    }

    /**
     * Sends one request to the daemon listening on {@code socket}; null if no daemon is listening there. A daemon's
     * refusal becomes a {@link TidemarkException} with the daemon's message and exit code.
     */
    public static JsonNode call(Path socket, Map<String, Object> request) throws IOException {
        if (!Files.exists(socket)) {
            return null;
        }
        SocketChannel c;
        try {
            c = SocketChannel.open(UnixDomainSocketAddress.of(socket));
        } catch (IOException e) {
            return null; // left by a daemon that is gone
        }
        try (c; BufferedReader in = new BufferedReader(new InputStreamReader(Channels.newInputStream(c),
                StandardCharsets.UTF_8))) {
            OutputStream out = Channels.newOutputStream(c);
            out.write(Json.MAPPER.writeValueAsBytes(request));
            out.write('\n');
            out.flush();
            String line = in.readLine();
            if (line == null) {
                throw TidemarkException.failed("the daemon closed the connection on " + socket + " without an answer; "
                        + "see its log");
            }
            JsonNode reply = Json.MAPPER.readTree(line);
            if (!reply.path("ok").asBoolean(false)) {
                ExitCode code = ExitCode.of(reply.path("exitCode").asInt(ExitCode.FAILED.code()));
                throw new TidemarkException(code, "daemon: " + reply.path("error").asText("failed"));
            }
            return reply;
        }
    }
}
