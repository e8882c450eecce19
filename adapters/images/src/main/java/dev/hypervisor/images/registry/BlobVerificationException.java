package dev.hypervisor.images.registry;

/** Content fetched from a registry whose size or digest is not the one it was asked for; its kind is {@code PROTOCOL}. */
public class BlobVerificationException extends RegistryException {

    private final String expectedDigest;
    private final String actualDigest;

    public BlobVerificationException(String message, String expectedDigest, String actualDigest) {
        super(Kind.PROTOCOL, message);
        this.expectedDigest = expectedDigest;
        this.actualDigest = actualDigest;
    }

    public String expectedDigest() {
        return expectedDigest;
    }

    /** The digest of what arrived; null when the size was already wrong and nothing was hashed. */
    public String actualDigest() {
        return actualDigest;
    }
}
