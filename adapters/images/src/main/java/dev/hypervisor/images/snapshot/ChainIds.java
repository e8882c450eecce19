package dev.hypervisor.images.snapshot;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.regex.Pattern;

/**
 * OCI ChainIDs (image-spec config.md#layer-chainid): the identity of a layer together with every
 * layer below it, so two images share a layer directory only when their whole stacks agree.
 */
public final class ChainIds {

    private static final Pattern SHA256 = Pattern.compile("sha256:[a-f0-9]{64}");

    private ChainIds() {}

    /** ChainID(L0) = DiffID(L0); ChainID(L0..n) = sha256(ChainID(L0..n-1) + " " + DiffID(Ln)). */
    public static List<String> of(List<String> diffIds) {
        List<String> chain = new ArrayList<>(diffIds.size());
        String previous = null;
        for (String diffId : diffIds) {
            requireDiffId(diffId);
            previous = previous == null ? diffId : "sha256:" + sha256(previous + " " + diffId);
            chain.add(previous);
        }
        return List.copyOf(chain);
    }

    static String requireDiffId(String diffId) {
        if (diffId == null || !SHA256.matcher(diffId).matches()) {
            throw new IllegalArgumentException("invalid DiffID '" + diffId + "' (expected sha256:<64 lowercase hex>)");
        }
        return diffId;
    }

    /** The hex part of a chain id, which names its layer directory; accepts bare hex too. */
    static String hex(String chainId) {
        String hex = chainId.startsWith("sha256:") ? chainId.substring("sha256:".length()) : chainId;
        if (!SHA256.matcher("sha256:" + hex).matches()) {
            throw new IllegalArgumentException("invalid chain id '" + chainId + "'");
        }
        return hex;
    }

    private static String sha256(String text) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
                    .digest(text.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("JDK without SHA-256", e);
        }
    }
}
