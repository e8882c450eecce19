package dev.hypervisor.images;

import dev.hypervisor.core.error.DomainException;
import dev.hypervisor.core.image.DiskImages;
import dev.hypervisor.core.image.ImageInfo;
import dev.hypervisor.core.image.ImagePage;
import dev.hypervisor.core.image.ImageQuery;
import dev.hypervisor.core.image.ImageStore;
import dev.hypervisor.core.image.PullListener;
import dev.hypervisor.core.image.RootFilesystems;
import dev.hypervisor.core.image.PullListener.Phase;
import dev.hypervisor.core.store.Store;
import dev.hypervisor.host.DiskSpace;
import dev.hypervisor.images.content.ContentStore;
import dev.hypervisor.images.disk.ContainerDisk;
import dev.hypervisor.images.disk.DiskInspector;
import dev.hypervisor.images.disk.UrlDiskPull;
import dev.hypervisor.images.disk.UrlDownloader;
import dev.hypervisor.images.registry.RegistryClient;
import dev.hypervisor.images.registry.RegistryConfig;
import dev.hypervisor.images.snapshot.Snapshotter;
import dev.hypervisor.images.unpack.LayerUnpacker;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadFactory;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Optional;

/**
 * This node's images: pulls (shared while in flight), records in the revisioned store,
 * listing, removal and use by instances. Content lives in the {@link ContentStore}; root
 * filesystem layers in the snapshotter; {@link ImageGarbage} deletes what no image needs.
 */
public final class LocalImageStore implements ImageStore, AutoCloseable {

    private final ImageRecords records;
    private final ImageCatalog catalog;
    private final PullCoordinator pulls;
    private final OciPull oci;
    private final UrlDiskPull urls;
    private final ImageGarbage garbage;
    private final Clock clock;
    private final String nodeId;
    private final Snapshotter snapshots;
    private final ContentStore content;
    private final DiskSpace space;

    /** Opens the image store under {@code root} (content, snapshots) with records in {@code store}. */
    public static LocalImageStore open(Path root, Store store, ImageOptions options, String nodeId) {
        try {
            ContentStore content = new ContentStore(root.resolve("content"));
            content.removeIngest();
            DiskSpace space = new DiskSpace(root, options.minFreeBytes());
            Snapshotter snapshots = new Snapshotter(root.resolve("snapshots"), new LayerUnpacker(options.unpackLimits()),
                    new Snapshotter.Options(options.copyRootfs()));
            RegistryConfig registries = options.registryConfig().isPresent()
                    ? RegistryConfig.load(options.registryConfig().get()) : RegistryConfig.defaults();
            DiskInspector inspector = new DiskInspector(options.qemuImg());
            Clock clock = Clock.systemUTC();
            OciPull oci = new OciPull(new RegistryClient(registries), content, snapshots,
                    new ContainerDisk(content, inspector, options.maxDiskBytes()), clock, space);
            UrlDiskPull urls = new UrlDiskPull(content, UrlDownloader.create(options.allowLocalUrls()), inspector,
                    options.maxDiskBytes(), space);
            PullCoordinator pulls = new PullCoordinator(Executors.newCachedThreadPool(daemonThreads("image-pull")),
                    Executors.newSingleThreadScheduledExecutor(daemonThreads("image-pull-progress")));
            ImageRecords records = new ImageRecords(store);
            return new LocalImageStore(records, ImageCatalog.load(options.catalog()), pulls, oci, urls,
                    new ImageGarbage(records, content, snapshots), clock, nodeId, snapshots, content, space);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot open the image store under " + root + ": " + e.getMessage(), e);
        }
    }

    private static ThreadFactory daemonThreads(String name) {
        return r -> {
            Thread t = new Thread(r, name);
            t.setDaemon(true);
            return t;
        };
    }

    LocalImageStore(ImageRecords records, ImageCatalog catalog, PullCoordinator pulls, OciPull oci, UrlDiskPull urls,
            ImageGarbage garbage, Clock clock, String nodeId, Snapshotter snapshots, ContentStore content, DiskSpace space) {
        this.space = space;
        this.records = records;
        this.snapshots = snapshots;
        this.content = content;
        this.catalog = catalog;
        this.pulls = pulls;
        this.oci = oci;
        this.urls = urls;
        this.garbage = garbage;
        this.clock = clock;
        this.nodeId = nodeId;
    }

    @Override
    public void checkName(String field, String image) {
        ImageSource.of(field, image, "", catalog);
    }

    @Override
    public ImageInfo pull(String image, String expectedDigest, PullListener listener) {
        return pullRecord(image, expectedDigest, listener).toInfo(nodeId);
    }

    private ImageRecord pullRecord(String image, String expectedDigest, PullListener listener) {
        if (image == null || image.isBlank()) {
            throw DomainException.invalidArgument("image", "required");
        }
        ImageSource source = ImageSource.of(image, expectedDigest, catalog);
        space.requireNotFull("pulling " + image.trim());
        ImageRecord pulled = pulls.pull(source.canonical() + "|" + expectedDigest, progress -> localFailures(() -> {
            // Saved under the collector's read lock: content must not be swept before a record names it.
            ImageRecord saved = garbage.whilePulling(() -> {
                ImageRecord record = records.save(fetch(source, progress), source.canonical());
                if (catalog.find(image.trim()).isPresent()) {
                    record = records.save(record, image.trim()); // the alias as typed, e.g. "ubuntu-22.04"
                }
                return record;
            });
            progress.phase(Phase.DONE, "stored " + saved.digest());
            return saved;
        }), listener);
        garbage.collectIfPending();
        return pulled;
    }

    /** Local disk trouble while pulling (full, unwritable) is the node's, not the caller's: UNAVAILABLE. */
    private static ImageRecord localFailures(java.util.function.Supplier<ImageRecord> pull) {
        try {
            return pull.get();
        } catch (UncheckedIOException e) {
            throw DomainException.unavailable("image store: " + e.getMessage(), e);
        }
    }

    private ImageRecord fetch(ImageSource source, PullProgress progress) {
        if (source instanceof ImageSource.Oci o) {
            return oci.pull(o.reference(), progress);
        }
        ImageSource.Url u = (ImageSource.Url) source;
        String key = u.url().toString();
        progress.phase(Phase.DOWNLOADING, "downloading " + key);
        UrlDiskPull.StoredDisk disk = urls.pull(u.url(), u.expectedDigest(), new UrlDiskPull.Progress() {
            private long total = -1;

            @Override
            public void size(long totalBytes) {
                if (totalBytes >= 0 && totalBytes != total) {
                    total = totalBytes;
                    progress.blob(key, totalBytes, false);
                }
            }

            @Override
            public void advance(long delta) {
                progress.advance(key, delta);
            }

            @Override
            public void unpacking() {
                progress.phase(Phase.UNPACKING, "decompressing " + key);
            }
        });
        progress.phase(Phase.VERIFYING, "checked " + disk.format() + " disk " + disk.digest());
        var now = clock.instant();
        return new ImageRecord(disk.digest(), ImageInfo.Kind.DISK, List.of(), disk.sizeBytes(), now, now, List.of(),
                List.of(disk.digest()), List.of(), List.of(), disk.digest(), disk.format());
    }

    @Override
    public ImagePage list(ImageQuery query) {
        if (query.pageSize() < 0) {
            throw DomainException.invalidArgument("page_size", "must not be negative");
        }
        int size = query.pageSize() == 0 ? 50 : Math.min(query.pageSize(), 1000);
        String cursor = decodeToken(query.pageToken());
        List<ImageInfo> found = new ArrayList<>();
        boolean more = false;
        // A selective filter reads a bounded number of pages and may return a short page.
        scan:
        for (int round = 0; round < 8; round++) {
            ImageRecords.Page page = records.page(cursor, size);
            for (ImageRecord record : page.records()) {
                if (found.size() == size) {
                    more = true;
                    break scan;
                }
                cursor = record.digest();
                if (matches(record, query)) {
                    found.add(record.toInfo(nodeId));
                }
            }
            more = page.more();
            if (!more) {
                break;
            }
        }
        return new ImagePage(found, more ? encodeToken(cursor) : "");
    }

    private static boolean matches(ImageRecord record, ImageQuery query) {
        return (query.kind() == null || record.kind() == query.kind())
                && (query.referenceContains().isEmpty()
                        || record.references().stream().anyMatch(r -> r.contains(query.referenceContains())));
    }

    @Override
    public void remove(String image) {
        if (image == null || image.isBlank()) {
            throw DomainException.invalidArgument("image", "required");
        }
        String name = image.trim();
        ImageRecord record = lookup(name).orElseThrow(() -> DomainException.notFound("image " + name));
        if (!record.usedBy().isEmpty()) {
            throw DomainException.failedPrecondition("image " + name + " is in use by " + String.join(", ", record.usedBy()));
        }
        boolean removed = name.startsWith("sha256:")
                ? records.removeImage(record, records.modRevision(record.digest()))
                : records.removeReference(record, record.references().contains(name) ? name : canonical(name));
        if (!removed) {
            throw DomainException.aborted("image " + name + " changed while being removed; retry");
        }
        garbage.collect();
    }

    @Override
    public ImageInfo acquire(String image, String instanceId, PullListener listener) {
        Optional<String> current = records.imageOf(instanceId);
        if (current.isPresent()) {
            Optional<ImageRecord> used = records.find(current.get());
            if (used.isPresent()) {
                return used.get().toInfo(nodeId);
            }
        }
        ImageRecord record = lookup(image.trim()).orElseGet(() -> pullRecord(image, "", listener));
        String usersKey = ImageRecords.USERS + instanceId;
        ImageRecord used = records.update(record.digest(), r -> r.usedBy(instanceId, clock.instant()),
                txn -> txn.ifAbsent(usersKey).put(usersKey, record.digest().getBytes(StandardCharsets.UTF_8)));
        return used.toInfo(nodeId);
    }

    @Override
    public void release(String instanceId) {
        Optional<String> digest = records.imageOf(instanceId);
        if (digest.isEmpty()) {
            return;
        }
        String usersKey = ImageRecords.USERS + instanceId;
        if (records.find(digest.get()).isEmpty()) {
            records.store().commitAndWait(dev.hypervisor.core.store.Txn.create().delete(usersKey));
            return;
        }
        records.update(digest.get(), r -> r.releasedBy(instanceId), txn -> txn.delete(usersKey));
    }

    /** Run defaults and writable root filesystems of the container images stored here. */
    public RootFilesystems rootFilesystems() {
        return new ImageRootFilesystems(records, content, snapshots);
    }

    /** The base disks of the disk images stored here. */
    public DiskImages diskImages() {
        return new ImageDiskImages(records, content);
    }

    /** The stored image a name (as typed, canonical, or a digest) refers to. */
    public Optional<ImageRecord> lookup(String name) {
        Optional<ImageRecord> direct = records.lookup(name);
        if (direct.isPresent() || name.startsWith("sha256:")) {
            return direct;
        }
        return records.lookup(canonical(name));
    }

    private String canonical(String name) {
        try {
            return ImageSource.of(name, "", catalog).canonical();
        } catch (DomainException e) {
            return name;
        }
    }

    private static String encodeToken(String digest) {
        return Base64.getUrlEncoder().withoutPadding().encodeToString(("1:" + digest).getBytes(StandardCharsets.UTF_8));
    }

    private static String decodeToken(String token) {
        if (token == null || token.isEmpty()) {
            return "";
        }
        try {
            String plain = new String(Base64.getUrlDecoder().decode(token), StandardCharsets.UTF_8);
            if (plain.startsWith("1:sha256:")) {
                return ContentStore.checkDigest(plain.substring(2));
            }
        } catch (IllegalArgumentException e) {
            // falls through to the error below
        }
        throw DomainException.invalidArgument("page_token", "invalid; pass the next_page_token of a previous call");
    }

    @Override
    public void close() {
        pulls.close();
    }
}
