package dev.hypervisor.images.content;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Content-addressed blobs under {@code blobs/sha256/HEX}, as in containerd's content store:
 * written to {@code ingest/} first and renamed into place only once verified, so a blob
 * path always holds exactly the bytes its digest names, and a crash leaves at most an
 * ingest file that a restart removes. A download resumes within its pull; a pull that fails
 * removes its partial files.
 */
public final class ContentStore {

    private static final Pattern DIGEST = Pattern.compile("sha256:[0-9a-f]{64}");

    private final Path blobs;
    private final Path ingest;

    public ContentStore(Path root) {
        this.blobs = root.resolve("blobs").resolve("sha256");
        this.ingest = root.resolve("ingest");
        try {
            Files.createDirectories(blobs);
            Files.createDirectories(ingest);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Rejects anything but "sha256:" and 64 lowercase hex digits, so a digest can never name a path outside. */
    public static String checkDigest(String digest) {
        if (digest == null || !DIGEST.matcher(digest).matches()) {
            throw new IllegalArgumentException("not a sha256 digest: " + digest);
        }
        return digest;
    }

    public Path path(String digest) {
        return blobs.resolve(checkDigest(digest).substring("sha256:".length()));
    }

    public boolean has(String digest) {
        return Files.isRegularFile(path(digest));
    }

    public long size(String digest) {
        try {
            return Files.size(path(digest));
        } catch (IOException e) {
            return 0;
        }
    }

    /** Where a download of {@code digest} accumulates; kept between attempts so a retry resumes. */
    public Path partial(String digest) {
        return ingest.resolve(checkDigest(digest).substring("sha256:".length()) + ".partial");
    }

    /** A fresh temporary file in the ingest area, for content whose digest is not known yet. */
    public Path temporary(String prefix) {
        try {
            return Files.createTempFile(ingest, prefix, ".tmp");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Moves a verified file into place under its digest; a second writer of the same content loses harmlessly. */
    public Path commit(Path verified, String digest) {
        Path target = path(digest);
        try {
            if (Files.exists(target)) {
                Files.deleteIfExists(verified);
                return target;
            }
            try {
                Files.move(verified, target, StandardCopyOption.ATOMIC_MOVE);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(verified, target, StandardCopyOption.REPLACE_EXISTING);
            }
            return target;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Digests a file whose content is not known in advance and commits it; returns the digest. */
    public String commitUnknown(Path file) {
        String digest = sha256(file);
        commit(file, digest);
        return digest;
    }

    public static String sha256(Path file) {
        try (InputStream in = new DigestInputStream(Files.newInputStream(file), MessageDigest.getInstance("SHA-256"))) {
            byte[] buffer = new byte[1 << 16];
            while (in.read(buffer) >= 0) {
                // reading feeds the digest
            }
            return "sha256:" + HexFormat.of().formatHex(((DigestInputStream) in).getMessageDigest().digest());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    public void delete(String digest) {
        deleteIfExists(path(digest));
    }

    /** Every stored digest. */
    public Set<String> digests() {
        try (Stream<Path> files = Files.list(blobs)) {
            Set<String> all = new TreeSet<>();
            files.forEach(f -> all.add("sha256:" + f.getFileName()));
            return all;
        } catch (NoSuchFileException e) {
            return Set.of();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Removes a failed download's partial file; nothing to do when there is none. */
    public void deletePartial(String digest) {
        deleteIfExists(partial(digest));
    }

    private static void deleteIfExists(Path file) {
        try {
            Files.deleteIfExists(file);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Removes everything in the ingest area (called at start-up, when no pull is in flight):
     * what a crashed daemon was downloading is not kept to fill the disk.
     */
    public void removeIngest() {
        try (Stream<Path> files = Files.list(ingest)) {
            for (Path f : (Iterable<Path>) files::iterator) {
                Files.deleteIfExists(f);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
