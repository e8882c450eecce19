package dev.hypervisor.core.image;

import java.util.List;

/** Receives a pull's progress: one aggregate figure for the whole pull, plus each blob's. */
public interface PullListener {

    enum Phase { RESOLVING, DOWNLOADING, VERIFYING, UNPACKING, DONE }

    /** Download progress of one blob. */
    record BlobProgress(String digest, long bytesDone, long bytesTotal) {}

    void onProgress(Phase phase, long bytesDone, long bytesTotal, List<BlobProgress> blobs, String message);

    /** Ignores progress (implicit pulls while an instance is CREATING). */
    PullListener NONE = (phase, done, total, blobs, message) -> { };
}
