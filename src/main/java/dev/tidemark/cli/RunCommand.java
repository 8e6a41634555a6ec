package dev.tidemark.cli;

import dev.tidemark.config.Config;
import dev.tidemark.daemon.Control;
import dev.tidemark.TidemarkException;
import dev.tidemark.daemon.Daemon;
import dev.tidemark.web.StatusServer;
import java.time.Clock;
import java.util.concurrent.Callable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import sun.misc.Signal;

@Command(name = "run", sortOptions = false, description = {
    "Run as a daemon: follow the trees and take points.",
    "Run as a daemon: watch every tree, copy each change into the repository within about a second",
    "of it settling, record it in the journal (so 'restore --at TIME' can bring back any second), and",
    "commit a restore point every points.interval (default 1h).",
    "",
    "At start it catches up with whatever changed while it was stopped. While it runs it holds the",
    "writer lock; 'tidemark point' and 'tidemark status' talk to it through <state>/daemon.sock, and",
    "read-only commands (points, show, diff, verify, restore) work as usual.",
    "",
    "A tree whose root vanishes (unmounted or failed disk) is never recorded as deleted: the daemon",
    "raises an alarm (log and 'tidemark status', exit 1), stops recording it and waits for it to return.",
    "",
    "SIGTERM or Ctrl-C: copies what is in hand, commits, exits 0. After SIGKILL or a power cut the next",
    "start redoes whatever was not yet durable.",
    "",
    "Status page and Prometheus metrics: http://127.0.0.1:7427/ and /metrics (the config's 'http'",
    "section: another port, another address with a token file, or \"off\").",
    "",
    "Examples:",
    "  tidemark run                      # foreground; logs to the console and <state>/logs",
    "  tidemark run --verbose            # one line per file copied or deleted",
    "  systemd: ExecStart=/opt/tidemark/bin/tidemark run --config /etc/tidemark.json --no-progress"})
final class RunCommand implements Callable<Integer> {
    /**
     * The status page and metrics, if the config asks for them (it does unless http.listen is "off"). A port in use
     * does not stop the daemon: backups matter more than the page; the failure is logged as an error.
     */
    private static StatusServer statusPage(Config config, RepoSession s, Daemon daemon) throws java.io.IOException {
        if (config.http() == null) {
            return null;
        }
        try {
            StatusServer page = StatusServer.start(config, s.repo, s.index.readOnlyLocator(), daemon::status);
            daemon.statusPage(page.url());
            return page;
        } catch (TidemarkException e) {
            if (e.exitCode() == dev.tidemark.ExitCode.USAGE) {
                throw e;
            }
            LOG.error("{} (the daemon runs on without it)", e.getMessage());
            return null;
        }
    }

    private static final Logger LOG = LoggerFactory.getLogger(RunCommand.class);

    @Mixin
    CommonOptions common;

    @Override
    public Integer call() throws Exception {
        Config config = common.load();
        try (RepoSession s = RepoSession.writeShared(config, Clock.systemUTC(), "tidemark run", null)) {
            Daemon daemon = new Daemon(config, s.repo, s.index, s.lock, Clock.systemUTC(),
                    new Daemon.Options(common.verbose, dev.tidemark.scan.SourceFiles.DEFAULT));
            // SIGTERM and SIGINT stop the daemon cleanly and let main return 0 (a shutdown hook would exit 143).
            Signal.handle(new Signal("TERM"), sig -> {
                LOG.info("SIGTERM: finishing the copies in hand, then stopping");
                daemon.stop();
            });
            Signal.handle(new Signal("INT"), sig -> {
                LOG.info("interrupted: finishing the copies in hand, then stopping");
                daemon.stop();
            });
            try (Control.Server control = Control.Server.start(config.controlSocket(), daemon);
                 StatusServer page = statusPage(config, s, daemon)) {
                LOG.debug("control socket {}", config.controlSocket());
                daemon.run();
            }
        }
        return 0;
    }
}
