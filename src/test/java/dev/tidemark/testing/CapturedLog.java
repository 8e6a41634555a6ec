package dev.tidemark.testing;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import java.util.List;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.slf4j.LoggerFactory;

/**
 * What tidemark logged in this JVM during each test, at every level: {@code @RegisterExtension final CapturedLog log
 * = new CapturedLog();} then {@code log.messages(Level.WARN)}.
 */
public final class CapturedLog implements BeforeEachCallback, AfterEachCallback {
    private final ListAppender<ILoggingEvent> appender = new ListAppender<>();
    private final Logger root = (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);

    @Override
    public void beforeEach(ExtensionContext context) {
        appender.list.clear();
        appender.start();
        root.addAppender(appender);
    }

    @Override
    public void afterEach(ExtensionContext context) {
        root.detachAppender(appender);
        appender.stop();
    }

    /** The messages logged at {@code min} or above, in order. */
    public List<String> messages(Level min) {
        return List.copyOf(appender.list).stream().filter(e -> e.getLevel().isGreaterOrEqual(min))
                .map(ILoggingEvent::getFormattedMessage).toList();
    }
}
