package dev.hypervisor.core.image;

/**
 * The image port: pulls images into this node's content store, lists and removes them, and
 * hands them to instances. Implemented by the images adapter.
 */
public interface ImageStore {

    /**
     * Checks, without pulling, that {@code image} is a name this store could pull: a registry
     * reference, a catalog alias or an http(s) URL. INVALID_ARGUMENT naming {@code field} otherwise.
     */
    void checkName(String field, String image);

    /** A page of stored images matching the query. */
    ImagePage list(ImageQuery query);

    /**
     * Pulls an image (reference, catalog alias or URL), reporting progress to the listener at
     * least once a second while bytes move; returns the stored image. Concurrent pulls of
     * one image share one download; a pull goes on if its listener goes away.
     */
    ImageInfo pull(String image, String expectedDigest, PullListener listener);

    /**
     * Removes a reference, or with a digest the whole image; FAILED_PRECONDITION while an
     * instance uses it; NOT_FOUND when absent. Unreferenced content is garbage-collected.
     */
    void remove(String image);

    /** The image an instance boots from, pulled first when missing, and marked in use by it. */
    ImageInfo acquire(String image, String instanceId, PullListener listener);

    /** The instance no longer uses any image. Idempotent. */
    void release(String instanceId);
}
