package dev.tidemark.testing;

import dev.tidemark.config.Config;
import dev.tidemark.config.ConfigLoader;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/** A test workspace: trees, a repository and a state directory under one temp dir, and a config file naming them. */
public final class Env {
    public final Path base;
    public final Path repo;
    public final Path state;
    public final Path configFile;
    public final Map<String, Path> trees = new LinkedHashMap<>();
    /** What the config's "repository" says: {@link #repo} unless a test points it elsewhere (s3://...). */
    public String repository;

    public Env(Path base, String... treeNames) throws IOException {
        this.base = base;
        this.repo = base.resolve("repo");
        this.state = base.resolve("state");
        this.configFile = base.resolve("tidemark.json");
        this.repository = repo.toString();
        for (String t : treeNames) {
            Path p = base.resolve("src").resolve(t);
            Files.createDirectories(p);
            trees.put(t, p);
        }
        writeConfig("");
    }

    public Path tree(String name) {
        return trees.get(name);
    }

    /** (Re)writes the config; {@code extra} is spliced in as more top-level fields. */
    public void writeConfig(String extra) throws IOException {
        StringBuilder sb = new StringBuilder("{\n  \"repository\": \"" + repository + "\",\n  \"state\": \"" + state + "\",\n");
        sb.append(extra);
        if (!extra.contains("\"http\"")) {
            sb.append("  \"http\": {\"listen\": \"127.0.0.1:0\"},\n"); // daemons of tests run side by side
        }
        sb.append("  \"trees\": [\n");
        int i = 0;
        for (Map.Entry<String, Path> t : trees.entrySet()) {
            sb.append("    {\"name\": \"").append(t.getKey()).append("\", \"path\": \"").append(t.getValue()).append("\"}");
            sb.append(++i < trees.size() ? ",\n" : "\n");
        }
        sb.append("  ]\n}\n");
        Files.writeString(configFile, sb.toString());
    }

    public Config config() {
        return ConfigLoader.load(configFile);
    }

    public Cli.Result cli(String... args) {
        String[] full = new String[args.length + 2];
        System.arraycopy(args, 0, full, 0, args.length);
        full[args.length] = "--config";
        full[args.length + 1] = configFile.toString();
        return Cli.run(full);
    }

    /** Runs a command that must succeed. */
    public Cli.Result ok(String... args) {
        Cli.Result r = cli(args);
        if (r.code() != 0) {
            throw new AssertionError("tidemark " + String.join(" ", args) + " failed:\n" + r);
        }
        return r;
    }
}
