package dev.hypervisor.core.image;

/**
 * The image port: pulls images into this node's content store and lists them. Implemented
 * by the images adapter; a node without one refuses image calls with FAILED_PRECONDITION.
 */
public interface ImageStore {

    /** A page of stored images matching the query. */
    ImagePage list(ImageQuery query);

    /**
     * Pulls an image (reference, catalog alias or URL), reporting progress to the listener at
     * least once a second while bytes move; returns the stored image.
     */
    ImageInfo pull(String image, String expectedDigest, PullListener listener);
}
