package dev.tidemark.testing;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.EnumMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;

/**
 * A loopback TCP proxy in front of a real S3 server that does to chosen requests what networks and busy servers do:
 * answers 503 SlowDown (throttling) or 500, drops the connection in the middle of a request's body, or lets the
 * request through and drops the connection before its answer arrives (the server did the work; the client never
 * hears). Requests pass unchanged otherwise, so signatures hold (the Host header names this proxy, as the client
 * signed it). One request at a time per connection, as HTTP/1.1 clients without pipelining send them.
 */
public final class FaultyS3Proxy implements AutoCloseable {
    public enum Fault { NONE, SLOW_DOWN, INTERNAL_ERROR, DROP_MID_BODY, DROP_ANSWER }

    /** What the policy sees of a request. */
    public record Request(String method, String target, long contentLength) {
    }

    private final ServerSocket listener;
    private final int upstreamPort;
    private volatile Function<Request, Fault> policy = r -> Fault.NONE;
    private final Map<Fault, AtomicInteger> counts = new EnumMap<>(Fault.class);
    private final AtomicInteger requests = new AtomicInteger();
    private volatile boolean closed;

    public FaultyS3Proxy(URI upstream) throws IOException {
        this.upstreamPort = upstream.getPort();
        for (Fault f : Fault.values()) {
            counts.put(f, new AtomicInteger());
        }
        listener = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        Thread t = new Thread(this::accept, "faulty-s3-accept");
        t.setDaemon(true);
        t.start();
    }

    public URI endpoint() {
        return URI.create("http://127.0.0.1:" + listener.getLocalPort());
    }

    public void policy(Function<Request, Fault> p) {
        this.policy = p;
    }

    public int count(Fault f) {
        return counts.get(f).get();
    }

    public int requests() {
        return requests.get();
    }

    private void accept() {
        while (!closed) {
            try {
                Socket client = listener.accept();
                Thread t = new Thread(() -> serve(client), "faulty-s3-conn");
                t.setDaemon(true);
                t.start();
            } catch (IOException e) {
                return;
            }
        }
    }

    private void serve(Socket client) {
        try (client; Socket server = new Socket(InetAddress.getLoopbackAddress(), upstreamPort)) {
            InputStream cin = client.getInputStream();
            OutputStream cout = client.getOutputStream();
            InputStream sin = server.getInputStream();
            OutputStream sout = server.getOutputStream();
            boolean[] dropAnswer = {false};
            Thread back = new Thread(() -> pumpAnswers(sin, cout, dropAnswer, client, server), "faulty-s3-back");
            back.setDaemon(true);
            back.start();
            while (true) {
                byte[] head = readHead(cin);
                if (head == null) {
                    return;
                }
                String text = new String(head, StandardCharsets.ISO_8859_1);
                String[] lines = text.split("\r\n");
                String[] first = lines[0].split(" ");
                long length = 0;
                boolean chunked = false;
                boolean expect = false;
                for (String l : lines) {
                    String lower = l.toLowerCase(Locale.ROOT);
                    if (lower.startsWith("content-length:")) {
                        length = Long.parseLong(l.substring(15).trim());
                    } else if (lower.startsWith("transfer-encoding:") && lower.contains("chunked")) {
                        chunked = true;
                    } else if (lower.startsWith("expect:") && lower.contains("100-continue")) {
                        expect = true;
                    }
                }
                requests.incrementAndGet();
                Fault f = chunked ? Fault.NONE : policy.apply(new Request(first[0], first[1], length));
                if (f == Fault.DROP_MID_BODY && length < 2) {
                    f = Fault.DROP_ANSWER;
                }
                counts.get(f).incrementAndGet();
                switch (f) {
                    case SLOW_DOWN, INTERNAL_ERROR -> {
                        if (!expect) {
                            cin.skipNBytes(length);
                        }
                        boolean slow = f == Fault.SLOW_DOWN;
                        String body = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>"
                                + (slow ? "SlowDown" : "InternalError") + "</Code><Message>"
                                + (slow ? "Please reduce your request rate." : "We encountered an internal error.")
                                + "</Message></Error>";
                        byte[] b = body.getBytes(StandardCharsets.UTF_8);
                        String answer = "HTTP/1.1 " + (slow ? "503 Slow Down" : "500 Internal Server Error") + "\r\n"
                                + "Content-Type: application/xml\r\nContent-Length: " + b.length
                                + "\r\nConnection: close\r\n\r\n";
                        synchronized (cout) {
                            cout.write(answer.getBytes(StandardCharsets.ISO_8859_1));
                            cout.write(b);
                            cout.flush();
                        }
                        return;
                    }
                    case DROP_MID_BODY -> {
                        sout.write(head); // with Expect: 100-continue the server's "100" goes back first
                        copy(cin, sout, length / 2);
                        sout.flush();
                        return; // both sockets close: the server never sees the rest
                    }
                    case DROP_ANSWER -> {
                        synchronized (dropAnswer) {
                            dropAnswer[0] = true;
                        }
                        sout.write(head);
                        copy(cin, sout, length);
                        sout.flush();
                        back.join(30_000); // the pump closes both sockets once the answer starts
                        return;
                    }
                    default -> {
                        sout.write(head);
                        if (chunked) {
                            cin.transferTo(sout); // the rest of this connection passes through untouched
                            return;
                        }
                        copy(cin, sout, length);
                        sout.flush();
                    }
                }
            }
        } catch (IOException e) {
            // a dropped connection is what this class is for
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Server to client; when an answer is to be dropped, both sockets close as its first bytes arrive. */
    private static void pumpAnswers(InputStream sin, OutputStream cout, boolean[] dropAnswer, Socket client,
                                    Socket server) {
        byte[] buf = new byte[1 << 16];
        try {
            int n;
            while ((n = sin.read(buf)) >= 0) {
                boolean drop;
                synchronized (dropAnswer) {
                    drop = dropAnswer[0];
                }
                if (drop && !startsWith(buf, n, "HTTP/1.1 100 ")) {
                    client.close();
                    server.close();
                    return;
                }
                synchronized (cout) {
                    cout.write(buf, 0, n);
                    cout.flush();
                }
            }
            client.close();
        } catch (IOException e) {
            // closed
        }
    }

    private static boolean startsWith(byte[] buf, int n, String s) {
        return n >= s.length() && new String(buf, 0, s.length(), StandardCharsets.ISO_8859_1).equals(s);
    }

    private static byte[] readHead(InputStream in) throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream(512);
        int state = 0;
        while (true) {
            int c = in.read();
            if (c < 0) {
                return null;
            }
            b.write(c);
            state = switch (state) {
                case 0, 2 -> c == '\r' ? state + 1 : 0;
                case 1 -> c == '\n' ? 2 : (c == '\r' ? 1 : 0);
                case 3 -> c == '\n' ? 4 : (c == '\r' ? 1 : 0);
                default -> 0;
            };
            if (state == 4) {
                return b.toByteArray();
            }
            if (b.size() > 65536) {
                throw new IOException("request head too long");
            }
        }
    }

    private static void copy(InputStream in, OutputStream out, long n) throws IOException {
        byte[] buf = new byte[1 << 16];
        while (n > 0) {
            int r = in.read(buf, 0, (int) Math.min(buf.length, n));
            if (r < 0) {
                throw new IOException("client closed mid-body");
            }
            out.write(buf, 0, r);
            n -= r;
        }
    }

    @Override
    public void close() throws IOException {
        closed = true;
        listener.close();
    }
}
