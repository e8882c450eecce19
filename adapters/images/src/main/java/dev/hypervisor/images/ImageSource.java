package dev.hypervisor.images;

import dev.hypervisor.core.error.DomainException;
import dev.hypervisor.images.registry.ImageReference;
import java.net.URI;
import java.net.URISyntaxException;

/** Where an image comes from, once aliases are resolved: a registry reference or a disk URL. */
sealed interface ImageSource {

    /** The canonical name: the key of pulls in flight and the reference an image is stored under. */
    String canonical();

    /** An OCI image in a registry. */
    record Oci(ImageReference reference) implements ImageSource {
        @Override
        public String canonical() {
            return reference.toString();
        }
    }

    /** A disk image served over http(s), with the digest it must have when known. */
    record Url(URI url, String expectedDigest) implements ImageSource {
        @Override
        public String canonical() {
            return url.toString();
        }
    }

    /** Resolves what a user typed: an http(s) URL, a catalog alias, or a registry reference. */
    static ImageSource of(String image, String expectedDigest, ImageCatalog catalog) {
        return of("image", image, expectedDigest, catalog);
    }

    /** The same, with INVALID_ARGUMENT naming {@code field} when the name is none of them. */
    static ImageSource of(String field, String image, String expectedDigest, ImageCatalog catalog) {
        String source = image.trim();
        String digest = expectedDigest == null ? "" : expectedDigest;
        var alias = catalog.find(source);
        if (alias.isPresent()) {
            source = alias.get().source();
            if (digest.isEmpty()) {
                digest = alias.get().digest();
            }
        }
        if (source.startsWith("http://") || source.startsWith("https://")) {
            try {
                URI url = new URI(source);
                if (url.getHost() == null || url.getHost().isEmpty()) {
                    throw DomainException.invalidArgument(field, "URL " + source + " names no host");
                }
                return new Url(url, digest);
            } catch (URISyntaxException e) {
                throw DomainException.invalidArgument(field, "not a valid URL: " + e.getMessage());
            }
        }
        try {
            return new Oci(ImageReference.parse(source));
        } catch (IllegalArgumentException e) {
            throw DomainException.invalidArgument(field, e.getMessage());
        }
    }
}
