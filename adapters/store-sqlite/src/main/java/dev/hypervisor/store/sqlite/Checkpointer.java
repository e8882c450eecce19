package dev.hypervisor.store.sqlite;

import java.nio.file.Path;
import java.sql.SQLException;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Copies committed WAL frames into the database file from its own connection, off the
 * writer's path: SQLite's automatic checkpoint would otherwise run inside a COMMIT every
 * thousand pages and stall every caller waiting on that group commit. PASSIVE never blocks
 * the writer or readers; durability is unaffected (each COMMIT already synced the WAL).
 */
final class Checkpointer implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(Checkpointer.class);

    private final Session session;
    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "sqlite-store-checkpoint");
        t.setDaemon(true);
        return t;
    });

    private Checkpointer(Session session, Duration interval) {
        this.session = session;
        timer.scheduleWithFixedDelay(this::checkpoint, interval.toMillis(), interval.toMillis(), TimeUnit.MILLISECONDS);
    }

    static Checkpointer start(Path file, Duration busyTimeout, Duration interval) throws SQLException {
        return new Checkpointer(Session.openCheckpointer(file, busyTimeout), interval);
    }

    private void checkpoint() {
        try {
            session.exec("PRAGMA wal_checkpoint(PASSIVE)");
        } catch (SQLException | RuntimeException e) {
            LOG.warn("WAL checkpoint failed (retried later): {}", e.getMessage());
        }
    }

    @Override
    public void close() {
        timer.shutdown();
        try {
            timer.awaitTermination(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        checkpoint();
        session.close();
    }
}
