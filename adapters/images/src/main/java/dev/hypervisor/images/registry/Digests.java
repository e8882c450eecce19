package dev.hypervisor.images.registry;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.regex.Pattern;

/** Content digests as the image spec defines them: {@code algorithm:hex}, sha256 or sha512 only. */
final class Digests {

    // Only the registered algorithms of image-spec descriptor.md#registered-algorithms; anything
    // else could not be verified, and an unverifiable digest is worthless.
    private static final Pattern SHA256 = Pattern.compile("sha256:[a-f0-9]{64}");
    private static final Pattern SHA512 = Pattern.compile("sha512:[a-f0-9]{128}");

    private Digests() {}

    static boolean isValid(String digest) {
        return digest != null && (SHA256.matcher(digest).matches() || SHA512.matcher(digest).matches());
    }

    /** The digest, or IllegalArgumentException naming what it belongs to. */
    static String requireValid(String digest, String what) {
        if (!isValid(digest)) {
            throw new IllegalArgumentException(what + ": invalid digest '" + digest
                    + "' (expected sha256:<64 lowercase hex> or sha512:<128 lowercase hex>)");
        }
        return digest;
    }

    /** A fresh MessageDigest for the algorithm of {@code digest}. */
    static MessageDigest newDigest(String digest) {
        String algorithm = digest.startsWith("sha512:") ? "SHA-512" : "SHA-256";
        try {
            return MessageDigest.getInstance(algorithm);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("JDK without " + algorithm, e);
        }
    }

    static String prefixOf(String digest) {
        return digest.substring(0, digest.indexOf(':') + 1);
    }

    /** The digest of {@code bytes} with the same algorithm as {@code like}. */
    static String of(byte[] bytes, String like) {
        MessageDigest md = newDigest(like);
        return prefixOf(like) + HexFormat.of().formatHex(md.digest(bytes));
    }

    static String sha256(byte[] bytes) {
        return of(bytes, "sha256:");
    }

    /** The digest of a file's whole content, streamed, with the same algorithm as {@code like}. */
    static String ofFile(Path file, String like) throws IOException {
        MessageDigest md = newDigest(like);
        byte[] buffer = new byte[64 * 1024];
        try (InputStream in = Files.newInputStream(file)) {
            int n;
            while ((n = in.read(buffer)) > 0) {
                md.update(buffer, 0, n);
            }
        }
        return prefixOf(like) + HexFormat.of().formatHex(md.digest());
    }
}
