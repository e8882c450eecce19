package dev.hypervisor.images.unpack;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;

/** A comparable description of a directory tree: type, mode, owner and content of every path. */
public final class FsTree {

    private FsTree() {}

    /** Path (relative, root excluded) to a line such as {@code f 0644 0:0 <sha256>}; directory times are left out. */
    public static SortedMap<String, String> describe(Path root) throws IOException {
        SortedMap<String, String> tree = new TreeMap<>();
        Files.walkFileTree(root, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs) throws IOException {
                if (!dir.equals(root)) {
                    tree.put(root.relativize(dir).toString(), line(dir, attrs));
                }
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                tree.put(root.relativize(file).toString(), line(file, attrs));
                return FileVisitResult.CONTINUE;
            }
        });
        return tree;
    }

    /** The {@code unix:*} attributes of the path itself. */
    public static Map<String, Object> unix(Path path) throws IOException {
        return Files.readAttributes(path, "unix:*", LinkOption.NOFOLLOW_LINKS);
    }

    /** The value of any xattr (trusted.* and security.* too) as {@code 0x<hex>}, or null when unset. */
    public static String xattrHex(Path path, String name) throws IOException, InterruptedException {
        Process p = new ProcessBuilder("getfattr", "--no-dereference", "--absolute-names", "-e", "hex", "-n", name,
                path.toString()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        if (p.waitFor() != 0) {
            return null;
        }
        for (String line : out.split("\n")) {
            if (line.startsWith(name + "=")) {
                return line.substring(name.length() + 1);
            }
        }
        return null;
    }

    private static String line(Path path, BasicFileAttributes attrs) throws IOException {
        Map<String, Object> unix = unix(path);
        int mode = (Integer) unix.get("mode");
        String owner = unix.get("uid") + ":" + unix.get("gid");
        String perms = String.format("%04o", mode & 07777);
        if (attrs.isSymbolicLink()) {
            return "l " + owner + " -> " + Files.readSymbolicLink(path) + " " + attrs.lastModifiedTime();
        }
        if (attrs.isDirectory()) {
            return "d " + perms + " " + owner;
        }
        if (attrs.isRegularFile()) {
            return "f " + perms + " " + owner + " " + sha256(path) + " " + attrs.lastModifiedTime();
        }
        return "other " + String.format("%06o", mode) + " rdev=" + unix.get("rdev");
    }

    private static String sha256(Path file) throws IOException {
        try (InputStream in = Files.newInputStream(file)) {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            byte[] buffer = new byte[65536];
            for (int n; (n = in.read(buffer)) > 0; ) {
                md.update(buffer, 0, n);
            }
            return HexFormat.of().formatHex(md.digest()).substring(0, 16);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
