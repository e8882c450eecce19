package dev.hypervisor.store.sqlite;

import dev.hypervisor.core.store.Txn;
import dev.hypervisor.core.store.TxnResult;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/**
 * Child process for {@link CrashRecoveryTest}: commits from several threads until it is killed,
 * printing "ACK revision key" for each commit only after its future completed.
 */
public final class CrashingWriter {

    public static void main(String[] args) {
        SqliteStore store = SqliteStore.open(Path.of(args[0]), SqliteStoreOptions.defaults());
        for (int t = 0; t < 4; t++) {
            int thread = t;
            new Thread(() -> {
                for (long i = 0; ; i++) {
                    String key = "/crash/" + thread + "/" + i;
                    TxnResult r = store.commit(Txn.create().ifAbsent(key)
                            .put(key, key.getBytes(StandardCharsets.UTF_8))).join();
                    synchronized (System.out) {
                        System.out.println("ACK " + r.revision() + " " + key);
                        System.out.flush();
                    }
                }
            }, "crash-writer-" + t).start();
        }
    }
}
