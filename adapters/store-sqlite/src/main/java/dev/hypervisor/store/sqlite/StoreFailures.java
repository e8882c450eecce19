package dev.hypervisor.store.sqlite;

import dev.hypervisor.core.error.DomainException;
import dev.hypervisor.core.error.ErrorCode;
import java.sql.SQLException;

/**
 * What a failed SQLite write means to callers: a full disk is RESOURCE_EXHAUSTED (retrying
 * cannot help until space is freed; the daemon may give up its disk reserve and retry once),
 * anything else UNAVAILABLE, as the store port promises.
 */
final class StoreFailures {

    private static final int SQLITE_FULL = 13;

    private StoreFailures() {}

    static DomainException of(String what, SQLException e) {
        if (diskFull(e)) {
            return new DomainException(ErrorCode.RESOURCE_EXHAUSTED, what + ": the store's disk is full ("
                    + e.getMessage() + ")", e);
        }
        return DomainException.unavailable(what + ": " + e.getMessage(), e);
    }

    /** SQLITE_FULL, or an I/O error that the OS gave as ENOSPC. */
    static boolean diskFull(SQLException e) {
        String message = String.valueOf(e.getMessage());
        return (e.getErrorCode() & 0xff) == SQLITE_FULL || message.contains("SQLITE_FULL")
                || message.contains("database or disk is full") || message.contains("No space left on device");
    }
}
