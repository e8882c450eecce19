package dev.hypervisor.images;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * Friendly image names ("ubuntu-22.04", "debian-12") mapped to where the image comes from: a
 * registry reference or a disk image URL. Ships with defaults (image-catalog.json in this
 * module); a catalog file given to the daemon adds aliases or replaces them by name.
 *
 * <pre>{ "aliases": { "my-vm": { "source": "https://host/disk.qcow2", "digest": "sha256:..." } } }</pre>
 */
public final class ImageCatalog {

    /** Where an alias points, with the digest the content must have (optional). */
    public record Alias(String source, String digest) {}

    private static final ObjectMapper JSON = new ObjectMapper();
    private final Map<String, Alias> aliases;

    private ImageCatalog(Map<String, Alias> aliases) {
        this.aliases = Map.copyOf(aliases);
    }

    /** The shipped defaults, overridden entry by entry by {@code overrides} when given. */
    public static ImageCatalog load(Optional<Path> overrides) {
        Map<String, Alias> all = new TreeMap<>();
        try (InputStream defaults = ImageCatalog.class.getResourceAsStream("/image-catalog.json")) {
            if (defaults == null) {
                throw new IllegalStateException("image-catalog.json missing from the classpath");
            }
            read(JSON.readTree(defaults), all, "the default catalog");
            if (overrides.isPresent()) {
                read(JSON.readTree(Files.readAllBytes(overrides.get())), all, overrides.get().toString());
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read image catalog: " + e.getMessage(), e);
        }
        return new ImageCatalog(all);
    }

    public static ImageCatalog of(Map<String, Alias> aliases) {
        return new ImageCatalog(aliases);
    }

    private static void read(JsonNode root, Map<String, Alias> into, String where) {
        JsonNode node = root.path("aliases");
        if (!node.isObject()) {
            throw new IllegalArgumentException(where + ": expected an object \"aliases\"");
        }
        for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext();) {
            Map.Entry<String, JsonNode> entry = it.next();
            String source = entry.getValue().path("source").asText("");
            if (source.isEmpty()) {
                throw new IllegalArgumentException(where + ": alias " + entry.getKey() + " has no source");
            }
            into.put(entry.getKey(), new Alias(source, entry.getValue().path("digest").asText("")));
        }
    }

    public Optional<Alias> find(String name) {
        return Optional.ofNullable(aliases.get(name));
    }

    public Map<String, Alias> all() {
        return aliases;
    }
}
