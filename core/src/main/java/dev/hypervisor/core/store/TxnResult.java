package dev.hypervisor.core.store;

/**
 * The outcome of a commit: {@code succeeded} false means a comparison failed (nothing was
 * written, {@code failedKey} names the first key whose comparison failed); {@code revision}
 * is the new revision on success, the current one otherwise.
 */
public record TxnResult(boolean succeeded, long revision, String failedKey) {

    public static TxnResult success(long revision) {
        return new TxnResult(true, revision, null);
    }

    public static TxnResult failure(long revision, String failedKey) {
        return new TxnResult(false, revision, failedKey);
    }
}
