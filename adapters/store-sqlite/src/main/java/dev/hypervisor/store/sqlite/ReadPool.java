package dev.hypervisor.store.sqlite;

import dev.hypervisor.core.error.DomainException;
import dev.hypervisor.core.error.ErrorCode;
import java.nio.file.Path;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/** A few read-only connections; under WAL they read consistent snapshots while the writer commits. */
final class ReadPool implements AutoCloseable {

    private final BlockingQueue<Session> idle = new LinkedBlockingQueue<>();
    private volatile boolean closed;

    private ReadPool() {}

    static ReadPool open(Path file, int size, Duration busyTimeout) throws SQLException {
        ReadPool pool = new ReadPool();
        List<Session> opened = new ArrayList<>();
        try {
            for (int i = 0; i < size; i++) {
                opened.add(Session.openReader(file, busyTimeout));
            }
        } catch (SQLException e) {
            opened.forEach(Session::close);
            throw e;
        }
        pool.idle.addAll(opened);
        return pool;
    }

    /** Runs reads on a pooled connection; {@code what} names the operation in errors. */
    <T> T read(String what, Session.Work<T> work) {
        Session session = borrow();
        try {
            return work.apply(session);
        } catch (SQLException e) {
            session.rollbackQuietly();
            throw DomainException.unavailable(what + " failed: " + e.getMessage(), e);
        } finally {
            giveBack(session);
        }
    }

    private Session borrow() {
        try {
            while (true) {
                if (closed) {
                    throw new DomainException(ErrorCode.UNAVAILABLE, "the store is closed");
                }
                // Poll so that a reader waiting on a busy pool notices close().
                Session s = idle.poll(100, TimeUnit.MILLISECONDS);
                if (s != null) {
                    return s;
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new DomainException(ErrorCode.UNAVAILABLE, "interrupted while waiting for a read connection");
        }
    }

    private void giveBack(Session session) {
        idle.add(session);
        // close() may have drained the queue just before the add; whoever removes the session closes it.
        if (closed && idle.remove(session)) {
            session.close();
        }
    }

    @Override
    public void close() {
        closed = true;
        Session s;
        while ((s = idle.poll()) != null) {
            s.close();
        }
    }
}
