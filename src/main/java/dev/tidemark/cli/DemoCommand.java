package dev.tidemark.cli;

import dev.tidemark.TidemarkException;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine;

/**
 * The main job on an embedded default: builds a small "QR Code Master" state tree (config, uploads, generated codes,
 * logs), writes a config for it, then runs init, point, a change, point, points, diff, forget --prune (the first
 * point goes), restore and verify, and compares the restored tree with the source byte for byte.
 */
@Command(name = "demo", description = {"Run the whole cycle on a generated example.",
    "Run the whole cycle on a generated example: init, point, change, point,",
    "diff, forget and prune, restore, verify. Everything lives under --dir; nothing else is touched."})
final class DemoCommand implements Callable<Integer> {
    @Option(names = "--dir", paramLabel = "DIR", description = "Where to build the example (default: a new temp directory).")
    Path dir;

    @Option(names = "--files", paramLabel = "N", defaultValue = "300", description = "Upload images to generate (default: ${DEFAULT-VALUE}).")
    int files;

    @Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        PrintWriter w = spec.commandLine().getOut();
        Path base = dir != null ? dir.toAbsolutePath() : Files.createTempDirectory("tidemark-demo-");
        if (Files.isDirectory(base)) {
            try (Stream<Path> s = Files.list(base)) {
                if (s.findAny().isPresent()) {
                    throw TidemarkException.usage("--dir " + base + " is not empty: the demo builds everything afresh");
                }
            }
        }
        Path app = base.resolve("qr-data");
        generate(app, files, new Random(42));
        Path config = base.resolve("tidemark.json");
        String json = """
                {
                  // written by 'tidemark demo'
                  "repository": "%s",
                  "state": "%s",
                  "exclude": ["*.tmp", "*.part"],
                  "trees": [
                    {"name": "config", "path": "%s"},
                    {"name": "uploads", "path": "%s"},
                    {"name": "output", "path": "%s"},
                    {"name": "logs", "path": "%s", "exclude": ["*.gz"]}
                  ]
                }
                """.formatted(base.resolve("repository"), base.resolve("state"), app.resolve("config"),
                app.resolve("uploads"), app.resolve("output"), app.resolve("logs"));
        Files.writeString(config, json);
        w.println("example QR Code Master state in " + app + ", config " + config);

        String c = config.toString();
        run(w, "init", "--config", c);
        run(w, "point", "--config", c, "--tag", "first");
        // A day of use: a new upload, a changed setting, a deleted code, a new log line.
        Files.write(app.resolve("uploads/scan-new.png"), randomBytes(new Random(7), 20_000));
        Files.writeString(app.resolve("config/settings.json"),
                Files.readString(app.resolve("config/settings.json")).replace("\"H\"", "\"M\""));
        try (Stream<Path> s = Files.list(app.resolve("output/qrcodes"))) {
            Files.delete(s.sorted().findFirst().orElseThrow());
        }
        Files.writeString(app.resolve("logs/app.log"), "2026-11-21 10:00:00 INFO decoded scan-new.png\n",
                java.nio.file.StandardOpenOption.APPEND);
        run(w, "point", "--config", c, "--tag", "second");
        run(w, "points", "--config", c);
        run(w, "diff", "--config", c, "first", "latest");
        Path restored = base.resolve("restored");
        run(w, "forget", "--config", c, "--keep-last", "1", "--prune");
        run(w, "restore", "--config", c, "latest", "--to", restored.toString());
        run(w, "verify", "--config", c, "--read-data");
        List<String> diffs = compare(app, restored);
        if (!diffs.isEmpty()) {
            w.println("restore differs from the source: " + diffs);
            return 1;
        }
        w.println("restore matches the source byte for byte: " + countFiles(restored) + " files");
        w.println("try: bin/tidemark points --config " + c);
        return 0;
    }

    private void run(PrintWriter w, String... args) {
        w.println();
        w.println("$ tidemark " + String.join(" ", args));
        w.flush();
        CommandLine cl = Main.commandLine();
        cl.setOut(w);
        cl.setErr(spec.commandLine().getErr());
        int code = cl.execute(args);
        if (code != 0) {
            throw new TidemarkException(dev.tidemark.ExitCode.FAILED, "demo step 'tidemark " + args[0]
                    + "' exited with " + code);
        }
    }

    static byte[] randomBytes(Random r, int n) {
        byte[] b = new byte[n];
        r.nextBytes(b);
        return b;
    }

    private static void generate(Path app, int uploads, Random r) throws IOException {
        Files.createDirectories(app.resolve("config"));
        Files.writeString(app.resolve("config/settings.json"), """
                { "default_error_correction": "H", "image_format": "PNG", "qrcode_version": 1, "border_size": 4,
                  "log_retention_days": 7, "auto_backup_enabled": true, "backup_interval_hours": 24 }
                """);
        Files.createDirectories(app.resolve("uploads"));
        for (int i = 0; i < uploads; i++) {
            Files.write(app.resolve(String.format("uploads/scan-%04d.png", i)), randomBytes(r, 2000 + r.nextInt(30_000)));
        }
        Files.createDirectories(app.resolve("output/qrcodes"));
        for (int i = 0; i < uploads / 2; i++) {
            Files.write(app.resolve(String.format("output/qrcodes/qr-%04d.png", i)), randomBytes(r, 500 + r.nextInt(1500)));
        }
        Files.createDirectories(app.resolve("logs"));
        StringBuilder log = new StringBuilder();
        for (int i = 0; i < 2000; i++) {
            log.append("2026-11-20 ").append(String.format("%02d:%02d:%02d", i / 3600 % 24, i / 60 % 60, i % 60))
                    .append(" INFO generated qr-").append(i % 500).append(".png level=H\n");
        }
        Files.writeString(app.resolve("logs/app.log"), log.toString(), StandardCharsets.UTF_8);
    }

    private static long countFiles(Path root) throws IOException {
        try (Stream<Path> s = Files.walk(root)) {
            return s.filter(Files::isRegularFile).count();
        }
    }

    /** Paths whose bytes differ, or that exist on one side only. */
    private static List<String> compare(Path app, Path restored) throws IOException {
        List<String> out = new ArrayList<>();
        for (String tree : List.of("config", "uploads", "output", "logs")) {
            Path a = app.resolve(tree);
            Path b = restored.resolve(tree);
            List<Path> left;
            List<Path> right;
            try (Stream<Path> s = Files.walk(a)) {
                left = s.map(a::relativize).sorted().toList();
            }
            try (Stream<Path> s = Files.walk(b)) {
                right = s.map(b::relativize).sorted().toList();
            }
            if (!left.equals(right)) {
                out.add(tree + ": different entries");
                continue;
            }
            for (Path rel : left) {
                Path fa = a.resolve(rel);
                if (Files.isRegularFile(fa) && !Arrays.equals(Files.readAllBytes(fa), Files.readAllBytes(b.resolve(rel)))) {
                    out.add(tree + "/" + rel);
                }
            }
        }
        return out;
    }
}
