package dev.hypervisor.network;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * The host-side names of one instance's network plumbing, derived from its id alone so that
 * they can be found again after a restart without storing them: the namespace
 * {@code hv-<tag>}, the host end of the veth pair {@code hv<tag>} and a VM's TAP device
 * {@code ht<tag>}, where the tag is at most 13 characters, since Linux interface names are at
 * most 15.
 */
public record InterfaceNames(String namespace, String hostVeth, String tap) {

    static final Path NETNS_DIR = Path.of("/var/run/netns");
    private static final int TAG_LENGTH = 13;

    public static InterfaceNames of(String instanceId) {
        String tag = tag(instanceId);
        return new InterfaceNames("hv-" + tag, "hv" + tag, "ht" + tag);
    }

    /** The nsfs bind mount that {@code ip netns add} makes. */
    public Path namespacePath() {
        return NETNS_DIR.resolve(namespace);
    }

    /**
     * The id's last 13 characters when it is plain lowercase letters and digits: ids are
     * "inst-" + 9 time digits + 8 random ones, so the tail keeps the random part and the
     * fast-moving time digits, and stays readable in {@code ip link}. Anything else is hashed.
     */
    private static String tag(String instanceId) {
        String bare = instanceId.startsWith("inst-") ? instanceId.substring(5) : instanceId;
        if (!bare.isEmpty() && bare.chars().allMatch(c -> (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))) {
            return bare.length() <= TAG_LENGTH ? bare : bare.substring(bare.length() - TAG_LENGTH);
        }
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(instanceId.getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(digest).substring(0, TAG_LENGTH);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JDK has SHA-256", e);
        }
    }
}
