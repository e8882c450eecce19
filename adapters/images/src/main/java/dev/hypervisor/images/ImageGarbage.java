package dev.hypervisor.images;

import dev.hypervisor.images.content.ContentStore;
import dev.hypervisor.images.snapshot.Snapshotter;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Deletes blobs and unpacked layers that no image record needs. Pulls hold a read lock from
 * their first byte until their record is saved, so a sweep never deletes content a pull is
 * about to name; a sweep that finds pulls running is postponed until they end.
 */
final class ImageGarbage {

    private static final Logger LOG = LoggerFactory.getLogger(ImageGarbage.class);

    private final ImageRecords records;
    private final ContentStore content;
    private final Snapshotter snapshots;
    private final ReentrantReadWriteLock lock = new ReentrantReadWriteLock();
    private final AtomicBoolean pending = new AtomicBoolean();

    ImageGarbage(ImageRecords records, ContentStore content, Snapshotter snapshots) {
        this.records = records;
        this.content = content;
        this.snapshots = snapshots;
    }

    <T> T whilePulling(Supplier<T> pull) {
        lock.readLock().lock();
        try {
            return pull.get();
        } finally {
            lock.readLock().unlock();
        }
    }

    /** Sweeps now, or as soon as the pulls in flight end. */
    void collect() {
        pending.set(true);
        collectIfPending();
    }

    void collectIfPending() {
        if (!pending.get() || !lock.writeLock().tryLock()) {
            return;
        }
        try {
            pending.set(false);
            sweep();
        } finally {
            lock.writeLock().unlock();
        }
    }

    private void sweep() {
        Set<String> blobs = new HashSet<>();
        Set<String> chains = new HashSet<>();
        String after = "";
        while (true) {
            ImageRecords.Page page = records.page(after, 500);
            for (ImageRecord record : page.records()) {
                blobs.addAll(record.blobs());
                if (!record.diskBlob().isEmpty()) {
                    blobs.add(record.diskBlob());
                }
                chains.addAll(record.chainIds());
                after = record.digest();
            }
            if (!page.more()) {
                break;
            }
        }
        int deleted = 0;
        for (String digest : content.digests()) {
            if (!blobs.contains(digest)) {
                content.delete(digest);
                deleted++;
            }
        }
        long freed;
        try {
            freed = snapshots.removeUnusedLayers(chains);
        } catch (java.io.IOException e) {
            LOG.warn("removing unused layers failed: {}", e.toString());
            freed = 0;
        }
        LOG.info("image garbage collection: {} blobs deleted, {} bytes of unpacked layers freed", deleted, freed);
    }
}
