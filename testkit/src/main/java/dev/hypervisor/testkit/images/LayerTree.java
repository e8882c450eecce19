package dev.hypervisor.testkit.images;

import dev.hypervisor.host.Executables;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.SplittableRandom;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.apache.commons.compress.archivers.tar.TarConstants;

/**
 * The file tree of one image layer, written as a tar changeset
 * (https://github.com/opencontainers/image-spec/blob/main/layer.md): regular files with mode and
 * owner, directories, symlinks, hard links, and whiteouts. Entries are written in the order they
 * were added, with paths relative to the root ({@code bin/sh}) and a fixed mtime, so the same
 * tree always gives the same bytes and digests. Parent directories are not added implicitly.
 */
public final class LayerTree {

    /** The mtime of every entry: fixed so that digests are reproducible. */
    public static final Instant MTIME = Instant.parse("2024-01-01T00:00:00Z");
    /** The applets {@link #busybox()} links to {@code /bin/busybox}. */
    public static final List<String> BUSYBOX_APPLETS = List.of(
            "sh", "ls", "cat", "echo", "env", "sleep", "true", "false", "id", "ps", "mkdir", "rm", "touch", "uname", "wc", "head", "tr");

    /** What an entry is. */
    public enum Type { FILE, DIR, SYMLINK, HARDLINK }

    /** One tar entry; {@code content} is null except for files. */
    public record Entry(Type type, String path, int mode, int uid, int gid, String linkTarget, long size, Content content) {}

    /** The bytes of a file entry, opened when the tar is written so large files never sit in memory. */
    public interface Content {
        InputStream open() throws IOException;
    }

    private final List<Entry> entries = new ArrayList<>();

    private LayerTree() {}

    /** An empty tree. */
    public static LayerTree create() {
        return new LayerTree();
    }

    /**
     * A minimal root filesystem: the host's static busybox ({@code /bin/busybox}, package
     * busybox-static) as {@code bin/busybox} with symlinks for {@link #BUSYBOX_APPLETS}, and
     * {@code etc/passwd}, {@code etc/group}, {@code tmp}, {@code root}, {@code proc}, {@code sys}, {@code dev}.
     */
    public static LayerTree busybox() {
        Path host = Optional.of(Path.of("/bin/busybox")).filter(Files::isExecutable).or(() -> Executables.find("busybox"))
                .orElseThrow(() -> new IllegalStateException("busybox is not installed: apt-get install busybox-static; "
                        + "./test.sh installs it"));
        LayerTree tree = create().dir("bin").dir("etc").dir("dev").dir("proc").dir("sys").dir("root", 0700)
                .dir("tmp", 01777)
                .file("bin/busybox", host, 0755);
        for (String applet : BUSYBOX_APPLETS) {
            tree.symlink("bin/" + applet, "busybox");
        }
        return tree.file("etc/passwd", "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n")
                .file("etc/group", "root:x:0:\nnogroup:x:65534:\n");
    }

    /** More busybox applets, as symlinks in {@code bin/} (for images whose tests need httpd, wget, stty...). */
    public LayerTree applets(String... names) {
        for (String name : names) {
            symlink("bin/" + name, "busybox");
        }
        return this;
    }

    /** A directory, mode 0755, owned by root. */
    public LayerTree dir(String path) {
        return dir(path, 0755);
    }

    public LayerTree dir(String path, int mode) {
        return dir(path, mode, 0, 0);
    }

    public LayerTree dir(String path, int mode, int uid, int gid) {
        return add(new Entry(Type.DIR, clean(path), mode, uid, gid, null, 0, null));
    }

    /** A text file, mode 0644, owned by root. */
    public LayerTree file(String path, String content) {
        return file(path, content.getBytes(StandardCharsets.UTF_8), 0644);
    }

    public LayerTree file(String path, byte[] content, int mode) {
        return file(path, content, mode, 0, 0);
    }

    public LayerTree file(String path, byte[] content, int mode, int uid, int gid) {
        byte[] copy = content.clone();
        return add(new Entry(Type.FILE, clean(path), mode, uid, gid, null, copy.length, () -> new ByteArrayInputStream(copy)));
    }

    /** A file with the content of a host file, streamed when the tar is written. */
    public LayerTree file(String path, Path hostFile, int mode) {
        long size;
        try {
            size = Files.size(hostFile);
        } catch (IOException e) {
            throw new IllegalStateException("cannot read " + hostFile + ": " + e, e);
        }
        return add(new Entry(Type.FILE, clean(path), mode, 0, 0, null, size, () -> Files.newInputStream(hostFile)));
    }

    /**
     * A file of {@code size} pseudo-random bytes from {@code seed}: incompressible, so a layer
     * holding it stays about as large as the file (useful to cut a download in the middle).
     * Generated while the tar is written, a gigabyte in seconds, never held in memory.
     */
    public LayerTree randomFile(String path, long size, long seed) {
        return add(new Entry(Type.FILE, clean(path), 0644, 0, 0, null, size, () -> new RandomStream(seed, size)));
    }

    /** A file of {@code size} bytes of text-like lines from {@code seed}: about 3:1 under gzip, like source and configuration. */
    public LayerTree textFile(String path, int size, long seed) {
        return add(new Entry(Type.FILE, clean(path), 0644, 0, 0, null, size, () -> new ByteArrayInputStream(text(seed, size))));
    }

    public LayerTree symlink(String path, String target) {
        return add(new Entry(Type.SYMLINK, clean(path), 0777, 0, 0, target, 0, null));
    }

    /** A hard link to {@code target}, a path in this layer or below it. */
    public LayerTree hardlink(String path, String target) {
        return add(new Entry(Type.HARDLINK, clean(path), 0644, 0, 0, clean(target), 0, null));
    }

    /** Deletes {@code path} of a lower layer: an empty file {@code .wh.<name>} beside it. */
    public LayerTree whiteout(String path) {
        String p = clean(path);
        int slash = p.lastIndexOf('/');
        String marker = (slash < 0 ? "" : p.substring(0, slash + 1)) + ".wh." + p.substring(slash + 1);
        return add(new Entry(Type.FILE, marker, 0644, 0, 0, null, 0, InputStream::nullInputStream));
    }

    /** Hides everything lower layers have in directory {@code dir}: a {@code .wh..wh..opq} file in it. */
    public LayerTree opaque(String dir) {
        return add(new Entry(Type.FILE, clean(dir) + "/.wh..wh..opq", 0644, 0, 0, null, 0, InputStream::nullInputStream));
    }

    /** Any entry, for cases the methods above do not cover (a path with {@code ..}, say). */
    public LayerTree add(Entry entry) {
        entries.add(entry);
        return this;
    }

    public List<Entry> entries() {
        return List.copyOf(entries);
    }

    /** Writes the tree as an uncompressed tar (POSIX long names) to {@code out}, leaving it open. */
    public void writeTar(OutputStream out) throws IOException {
        TarArchiveOutputStream tar = new TarArchiveOutputStream(new NonClosing(out), StandardCharsets.UTF_8.name());
        tar.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
        tar.setBigNumberMode(TarArchiveOutputStream.BIGNUMBER_POSIX);
        for (Entry e : entries) {
            TarArchiveEntry t = switch (e.type()) {
                case DIR -> new TarArchiveEntry(e.path().endsWith("/") ? e.path() : e.path() + "/", TarConstants.LF_DIR, true);
                case SYMLINK -> new TarArchiveEntry(e.path(), TarConstants.LF_SYMLINK, true);
                case HARDLINK -> new TarArchiveEntry(e.path(), TarConstants.LF_LINK, true);
                case FILE -> new TarArchiveEntry(e.path(), TarConstants.LF_NORMAL, true);
            };
            t.setMode(e.mode());
            t.setUserId(e.uid());
            t.setGroupId(e.gid());
            t.setModTime(FileTime.from(MTIME));
            if (e.linkTarget() != null) {
                t.setLinkName(e.linkTarget());
            }
            if (e.type() == Type.FILE) {
                t.setSize(e.size());
            }
            tar.putArchiveEntry(t);
            if (e.type() == Type.FILE && e.size() > 0) {
                try (InputStream in = e.content().open()) {
                    long copied = in.transferTo(tar);
                    if (copied != e.size()) {
                        throw new IOException(e.path() + ": content has " + copied + " bytes, entry says " + e.size());
                    }
                }
            }
            tar.closeArchiveEntry();
        }
        tar.finish();
        tar.close();
    }

    private static String clean(String path) {
        String p = path;
        while (p.startsWith("/")) {
            p = p.substring(1);
        }
        while (p.endsWith("/") && p.length() > 1) {
            p = p.substring(0, p.length() - 1);
        }
        if (p.isEmpty()) {
            throw new IllegalArgumentException("empty path in layer tree");
        }
        return p;
    }

    private static final String[] WORDS = ("the of and to in is for on with as by at from this that be are was not or an it "
            + "config value server client request response error timeout retry buffer stream layer image registry "
            + "manifest digest content store unpack overlay snapshot instance driver runtime kernel memory cpu disk "
            + "network address port socket thread queue event watch revision commit transaction index table column "
            + "return if else while for break continue static final class interface public private void int long "
            + "string list map set true false null new import package throw catch try finally").split(" ");

    private static byte[] text(long seed, int size) {
        SplittableRandom random = new SplittableRandom(seed);
        StringBuilder text = new StringBuilder(size + 64);
        for (int line = 0; text.length() < size; line++) {
            text.append("line_").append(line).append(" =");
            for (int w = 4 + random.nextInt(9); w > 0; w--) {
                text.append(' ').append(WORDS[random.nextInt(WORDS.length)]);
            }
            text.append(' ').append(random.nextInt(100_000)).append('\n');
        }
        return java.util.Arrays.copyOf(text.toString().getBytes(StandardCharsets.US_ASCII), size);
    }

    /** Deterministic incompressible bytes, eight from each random long: the same for a seed however the reader chunks its reads. */
    private static final class RandomStream extends InputStream {
        private final SplittableRandom random;
        private long remaining;
        private long word;
        private int wordBytes;

        RandomStream(long seed, long size) {
            this.random = new SplittableRandom(seed);
            this.remaining = size;
        }

        @Override
        public int read() {
            byte[] one = new byte[1];
            return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
        }

        @Override
        public int read(byte[] b, int off, int len) {
            if (remaining <= 0) {
                return -1;
            }
            int n = (int) Math.min(len, remaining);
            for (int i = off; i < off + n; i++) {
                if (wordBytes == 0) {
                    word = random.nextLong();
                    wordBytes = 8;
                }
                b[i] = (byte) word;
                word >>>= 8;
                wordBytes--;
            }
            remaining -= n;
            return n;
        }
    }

    /** Lets the tar writer finish without closing the caller's stream (the compressor wraps it). */
    private static final class NonClosing extends java.io.FilterOutputStream {
        NonClosing(OutputStream out) {
            super(out);
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            out.write(b, off, len);
        }

        @Override
        public void close() throws IOException {
            flush();
        }
    }
}
