package dev.tidemark.binlog;

import dev.tidemark.TidemarkException;
import dev.tidemark.config.DatabaseConfig;
import java.io.BufferedReader;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;

/**
 * Replays the archived binlog on top of a restored point: every transaction of the configured schemas from the
 * point's coordinates up to a time, whole (the log is cut between transactions, never inside one; a transaction's
 * time is its commit, from its GTID event), and nothing of other schemas.
 *
 * <p>{@link #plan} reads the archive once and writes the chosen transactions, byte for byte, into one local binlog
 * file per server file (after that file's format description event), so checksums still hold. {@link #run} hands
 * those to {@code mariadb-binlog} (which decodes row events into {@code BINLOG} statements; {@code --rewrite-db}
 * for a restore under another name) and its output to the {@code mariadb} client. The GTID and server id each
 * transaction carries are left out, so the target server numbers the replayed transactions as its own (as a dump
 * load does) and its GTID state never moves backwards.
 */
public final class Replay {
    private static final Pattern SESSION_IDS = Pattern.compile(
            "^/\\*M!100001 SET @@session\\.(gtid_domain_id|server_id|gtid_seq_no)=\\d+\\*/+\\*?!?\\*?/?;?\\s*$");

    /**
     * @param from         where replay starts (the point's coordinates)
     * @param to           the time asked for
     * @param files        the local binlog files holding the chosen transactions, in order
     * @param transactions transactions chosen
     * @param skipped      transactions of other schemas left out
     * @param last         the last transaction chosen: its GTID, or null if none
     * @param lastTime     when it committed
     * @param end          where the replay stops in the archive
     */
    public record Plan(Position from, Instant to, List<Path> files, long transactions, long skipped, String last,
                       Instant lastTime, Position end) {
    }

    private Replay() {
    }

    /**
     * Chooses the transactions of {@code schemas} (source name to target name) committed after {@code from} and at or
     * before {@code to}, into files under {@code work}. Refuses, naming the place and the reason, when the archive
     * does not reach {@code to} continuously: a gap, or an archive known complete only to an earlier time.
     */
    public static Plan plan(BinlogArchive archive, Position from, Instant to, Map<String, String> schemas, Path work)
            throws IOException {
        BinlogArchive.Break brk = archive.firstBreak(from);
        List<Path> out = new ArrayList<>();
        Map<String, Pattern> named = new LinkedHashMap<>();
        for (String s : schemas.keySet()) {
            String q = Pattern.quote(s);
            named.put(s, Pattern.compile("(?i)(`" + q + "`|(?<![A-Za-z0-9_$])" + q + ")\\s*\\.|(?i)\\b(DATABASE|SCHEMA)"
                    + "\\s+(IF\\s+(NOT\\s+)?EXISTS\\s+)?(`" + q + "`|" + q + "(?![A-Za-z0-9_$]))"));
        }
        boolean renaming = schemas.entrySet().stream().anyMatch(e -> !e.getKey().equals(e.getValue()));
        long transactions = 0;
        long skipped = 0;
        String last = null;
        Instant lastTime = null;
        String file = from.file();
        boolean done = false;
        Position end = from;
        while (!done && file != null) {
            List<Piece> pieces = archive.pieces(file);
            if (pieces.isEmpty() || pieces.get(0).from() != Position.START) {
                throw refusal(to, brk, lastTime); // the file, or its format description, was never archived
            }
            Event fde = archive.formatDescription(file);
            int checksum = fde.checksumLength();
            long start = file.equals(from.file()) ? from.offset() : Position.START;
            Path local = work.resolve(file);
            // A break in this file: read only up to it (past it the bytes do not continue these).
            long limit = brk != null && brk.at().file().equals(file) ? Math.max(0, brk.at().offset() - start)
                    : Long.MAX_VALUE;
            try (FileChannel ch = FileChannel.open(local, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
                 InputStream in = bounded(archive.open(file, start), limit)) {
                write(ch, new byte[] {(byte) 0xfe, 'b', 'i', 'n'});
                write(ch, fde.bytes());
                long offset = start;
                long groupStart = -1;
                boolean standalone = false;
                boolean touches = false;
                Event gtid = null;
                for (Event e = Event.read(in, file); e != null; e = Event.read(in, file)) {
                    offset += e.size();
                    if (e.type() == Event.GTID) {
                        if (Instant.ofEpochSecond(e.timestamp()).isAfter(to)) {
                            done = true;
                            end = new Position(file, offset - e.size());
                            break;
                        }
                        groupStart = ch.position();
                        gtid = e;
                        standalone = e.standalone();
                        touches = false;
                        write(ch, e.bytes());
                        continue;
                    }
                    if (gtid == null) {
                        continue; // not inside a transaction: rotation, checkpoints, GTID lists
                    }
                    write(ch, e.bytes());
                    boolean ends = standalone;
                    if (e.type() == Event.TABLE_MAP) {
                        touches |= schemas.containsKey(e.tableMapSchema());
                    } else if (e.type() == Event.QUERY) {
                        String sql = e.queryText(checksum).strip();
                        String upper = sql.toUpperCase(Locale.ROOT);
                        if (upper.equals("COMMIT") || upper.equals("ROLLBACK")) {
                            ends = true;
                        } else if (!upper.equals("BEGIN")) {
                            boolean mine = schemas.containsKey(e.querySchema());
                            String namedSchema = null;
                            for (Map.Entry<String, Pattern> n : named.entrySet()) {
                                if (n.getValue().matcher(sql).find()) {
                                    namedSchema = n.getKey();
                                }
                            }
                            if (namedSchema != null && renaming) {
                                throw TidemarkException.failed("the binlog at " + file + ":" + (offset - e.size())
                                        + " (" + Instant.ofEpochSecond(e.timestamp()) + ") runs SQL that names schema "
                                        + namedSchema + " itself (" + abbreviate(sql) + "); it cannot be replayed under "
                                        + "another name. Restore with --db into " + namedSchema + ", or to a time before it");
                            }
                            touches |= mine || namedSchema != null;
                        }
                    } else if (e.type() == Event.XID) {
                        ends = true;
                    }
                    if (ends) {
                        if (touches) {
                            transactions++;
                            last = gtid.gtid();
                            lastTime = Instant.ofEpochSecond(gtid.timestamp());
                        } else {
                            skipped++;
                            ch.truncate(groupStart);
                            ch.position(groupStart);
                        }
                        gtid = null;
                        end = new Position(file, offset);
                    }
                }
                if (gtid != null) {
                    ch.truncate(groupStart); // a transaction the archive has only the start of
                }
            }
            out.add(local);
            if (done) {
                break;
            }
            if (brk != null && brk.at().file().equals(file)) {
                throw refusal(to, brk, lastTime);
            }
            List<String> files = archive.files();
            int i = files.indexOf(file);
            file = i + 1 < files.size() ? files.get(i + 1) : null;
        }
        if (!done && archive.checked().isBefore(to)) {
            throw TidemarkException.failed("the database cannot be restored to " + to + ": the binlog is archived only to "
                    + archive.checked() + " (the daemon was not following the server after that). Choose a time "
                    + "up to " + archive.checked() + ", or a point");
        }
        return new Plan(from, to, out, transactions, skipped, last, lastTime, end);
    }

    private static TidemarkException refusal(Instant to, BinlogArchive.Break brk, Instant lastTime) {
        String where = brk == null ? "its start is missing" : "it stops at " + brk.at() + " (" + brk.why() + ")";
        return TidemarkException.failed("the database cannot be restored to " + to + ": in the archived binlog "
                + where + (lastTime == null ? "" : "; the last time it reaches is "
                + lastTime) + ". Choose a time before that, or a point after the gap");
    }

    /** At most {@code limit} bytes of {@code in} (a break falls between events: pieces hold whole events). */
    private static InputStream bounded(InputStream in, long limit) {
        if (limit == Long.MAX_VALUE) {
            return in;
        }
        return new dev.tidemark.util.BoundedInputStream(in, limit);
    }

    private static String abbreviate(String sql) {
        String one = sql.replaceAll("\\s+", " ");
        return one.length() > 80 ? one.substring(0, 77) + "..." : one;
    }

    private static void write(FileChannel ch, byte[] b) throws IOException {
        ByteBuffer buf = ByteBuffer.wrap(b);
        while (buf.hasRemaining()) {
            ch.write(buf);
        }
    }

    /** Applies a plan to the server; {@code schemas} maps each source schema to where it was loaded. */
    public static long run(Plan plan, DatabaseConfig db, Map<String, String> schemas) throws IOException {
        if (plan.transactions() == 0) {
            return 0;
        }
        List<String> decode = new ArrayList<>(List.of(ClientTools.binlogTool().toString(), "--no-defaults"));
        for (Map.Entry<String, String> e : schemas.entrySet()) {
            if (!e.getKey().equals(e.getValue())) {
                decode.add("--rewrite-db=" + e.getKey() + "->" + e.getValue());
            }
        }
        for (Path f : plan.files()) {
            decode.add(f.toString());
        }
        List<String> apply = new ArrayList<>(List.of(ClientTools.client().toString(), "--no-defaults"));
        apply.addAll(ClientTools.connection(db));
        apply.add("--binary-mode");
        apply.add("--batch");
        Path work = plan.files().get(0).getParent();
        Path decodeErr = work.resolve("decode.err");
        Path applyErr = work.resolve("apply.err");
        ProcessBuilder pd = new ProcessBuilder(decode).redirectError(decodeErr.toFile());
        ProcessBuilder pa = new ProcessBuilder(apply).redirectError(applyErr.toFile())
                .redirectOutput(ProcessBuilder.Redirect.DISCARD);
        ClientTools.password(db, pa.environment());
        Process d = pd.start();
        Process a = pa.start();
        long lines = 0;
        try (BufferedReader r = new BufferedReader(new InputStreamReader(d.getInputStream(), StandardCharsets.ISO_8859_1),
                1 << 16);
             BufferedWriter w = new BufferedWriter(new OutputStreamWriter(a.getOutputStream(),
                     StandardCharsets.ISO_8859_1), 1 << 16)) {
            for (String line = r.readLine(); line != null; line = r.readLine()) {
                if (line.startsWith("/*M!100001 SET @@session.") && SESSION_IDS.matcher(line).matches()) {
                    continue;
                }
                w.write(line);
                w.write('\n');
                lines++;
            }
        } catch (IOException e) {
            // the client ended early (an SQL error): its message says why, below
        }
        try {
            boolean ok = d.waitFor(1, TimeUnit.HOURS) & a.waitFor(1, TimeUnit.HOURS);
            if (!ok) {
                throw TidemarkException.failed("replaying the binlog did not finish in an hour");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while replaying the binlog", e);
        } finally {
            d.destroyForcibly();
            a.destroyForcibly();
        }
        if (d.exitValue() != 0) {
            throw TidemarkException.failed("decoding the archived binlog failed (" + tail(decodeErr) + ")");
        }
        if (a.exitValue() != 0) {
            throw TidemarkException.failed("replaying the binlog into the server failed: " + tail(applyErr)
                    + "; the database is restored to its point, not to " + plan.to());
        }
        return lines;
    }

    private static String tail(Path f) throws IOException {
        List<String> l = Files.readAllLines(f, StandardCharsets.UTF_8);
        List<String> t = l.subList(Math.max(0, l.size() - 2), l.size());
        return String.join(" ", t).strip();
    }

}
