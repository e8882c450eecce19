package dev.hypervisor.core.image;

/** Receives a pull's progress: one aggregate figure for the whole pull. */
public interface PullListener {

    enum Phase { RESOLVING, DOWNLOADING, VERIFYING, UNPACKING, DONE }

    void onProgress(Phase phase, long bytesDone, long bytesTotal, String message);
}
