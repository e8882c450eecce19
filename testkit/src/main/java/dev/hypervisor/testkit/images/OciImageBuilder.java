package dev.hypervisor.testkit.images;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Builds OCI image layouts (https://github.com/opencontainers/image-spec/blob/main/image-layout.md)
 * on disk without docker: layers from {@link LayerTree}s compressed with gzip, zstd or not at all,
 * a config with the usual run settings, a manifest, and {@code index.json}; also multi-platform
 * indexes. The result is pushed to a registry with {@link BuiltImage#push(String)} (skopeo).
 *
 * <pre>{@code
 * BuiltImage image = OciImageBuilder.image()
 *         .busyboxLayer(Compression.GZIP)
 *         .layer(LayerTree.create().dir("app").file("app/hello.txt", "hi"), Compression.ZSTD)
 *         .entrypoint("/bin/sh", "-c").cmd("echo hi")
 *         .writeTo(tempDir.resolve("layout"), "v1");
 * image.push(registry.host() + "/demo/app:v1");
 * }</pre>
 * Everything is deterministic (fixed mtimes and created dates), so the same builder gives the
 * same digests.
 */
public final class OciImageBuilder {

    /** The created date of every config. */
    public static final String CREATED = "2024-01-01T00:00:00Z";
    static final ObjectMapper JSON = new ObjectMapper().disable(SerializationFeature.INDENT_OUTPUT);

    private record LayerSpec(LayerTree tree, Compression compression) {}

    private String os = "linux";
    private String architecture = "amd64";
    private String variant;
    private List<String> entrypoint;
    private List<String> cmd;
    private List<String> env = List.of("PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
    private String workingDir;
    private String user;
    private String stopSignal;
    private final Map<String, String> labels = new LinkedHashMap<>();
    private final List<LayerSpec> layers = new ArrayList<>();

    private OciImageBuilder() {}

    /** A linux/amd64 image without layers, with {@code PATH} set in its environment. */
    public static OciImageBuilder image() {
        return new OciImageBuilder();
    }

    /** A linux/amd64 busybox image: one gzip layer of {@link LayerTree#busybox()}, {@code Cmd ["sh"]}. */
    public static OciImageBuilder busyboxImage() {
        return image().busyboxLayer(Compression.GZIP).cmd("sh");
    }

    public OciImageBuilder platform(String os, String architecture, String variant) {
        this.os = os;
        this.architecture = architecture;
        this.variant = variant;
        return this;
    }

    public OciImageBuilder architecture(String architecture) {
        this.architecture = architecture;
        return this;
    }

    public OciImageBuilder entrypoint(String... args) {
        this.entrypoint = List.of(args);
        return this;
    }

    public OciImageBuilder cmd(String... args) {
        this.cmd = List.of(args);
        return this;
    }

    /** Replaces the environment ({@code NAME=value} entries). */
    public OciImageBuilder env(String... entries) {
        this.env = List.of(entries);
        return this;
    }

    public OciImageBuilder workingDir(String dir) {
        this.workingDir = dir;
        return this;
    }

    public OciImageBuilder user(String user) {
        this.user = user;
        return this;
    }

    public OciImageBuilder stopSignal(String signal) {
        this.stopSignal = signal;
        return this;
    }

    public OciImageBuilder label(String key, String value) {
        labels.put(key, value);
        return this;
    }

    /** Adds a layer on top of the ones added before. */
    public OciImageBuilder layer(LayerTree tree, Compression compression) {
        layers.add(new LayerSpec(tree, compression));
        return this;
    }

    /** Adds {@link LayerTree#busybox()} as a layer. */
    public OciImageBuilder busyboxLayer(Compression compression) {
        return layer(LayerTree.busybox(), compression);
    }

    /**
     * Writes the image into the layout at {@code layoutDir} (created when missing; other images in
     * it are kept) and tags it {@code tag} in {@code index.json}.
     */
    public BuiltImage writeTo(Path layoutDir, String tag) throws IOException {
        OciLayout layout = OciLayout.open(layoutDir);
        BuiltImage image = writeImage(layout, tag);
        layout.tag(tag, image.manifest());
        return image;
    }

    /**
     * Writes a multi-platform image: each builder's image, and an image index listing them with
     * their platforms, tagged {@code tag}. Push it with {@link BuiltIndex#push(String)} ({@code --all}).
     */
    public static BuiltIndex writeIndexTo(Path layoutDir, String tag, OciImageBuilder... images) throws IOException {
        OciLayout layout = OciLayout.open(layoutDir);
        List<BuiltImage> built = new ArrayList<>();
        List<Map<String, Object>> manifests = new ArrayList<>();
        for (OciImageBuilder builder : images) {
            BuiltImage image = builder.writeImage(layout, tag);
            built.add(image);
            Map<String, Object> entry = OciLayout.descriptorJson(image.manifest());
            Map<String, Object> platform = new LinkedHashMap<>();
            platform.put("architecture", builder.architecture);
            platform.put("os", builder.os);
            if (builder.variant != null) {
                platform.put("variant", builder.variant);
            }
            entry.put("platform", platform);
            manifests.add(entry);
        }
        Map<String, Object> index = new LinkedHashMap<>();
        index.put("schemaVersion", 2);
        index.put("mediaType", Blob.INDEX);
        index.put("manifests", manifests);
        byte[] bytes = JSON.writeValueAsBytes(index);
        Blob descriptor = layout.putBlob(Blob.INDEX, bytes);
        layout.tag(tag, descriptor);
        return new BuiltIndex(layoutDir, tag, descriptor, bytes, built);
    }

    private BuiltImage writeImage(OciLayout layout, String tag) throws IOException {
        List<BuiltLayer> built = new ArrayList<>();
        for (LayerSpec spec : layers) {
            built.add(layout.putLayer(spec.tree(), spec.compression()));
        }
        byte[] configBytes = JSON.writeValueAsBytes(configJson(built));
        Blob config = layout.putBlob(Blob.CONFIG, configBytes);
        Map<String, Object> manifest = new LinkedHashMap<>();
        manifest.put("schemaVersion", 2);
        manifest.put("mediaType", Blob.MANIFEST);
        manifest.put("config", OciLayout.descriptorJson(config));
        manifest.put("layers", built.stream().map(l -> OciLayout.descriptorJson(l.descriptor())).toList());
        byte[] manifestBytes = JSON.writeValueAsBytes(manifest);
        Blob manifestDescriptor = layout.putBlob(Blob.MANIFEST, manifestBytes);
        return new BuiltImage(layout.dir(), tag, architecture, manifestDescriptor, manifestBytes, config, configBytes, built);
    }

    private Map<String, Object> configJson(List<BuiltLayer> built) {
        // https://github.com/opencontainers/image-spec/blob/main/config.md
        Map<String, Object> run = new LinkedHashMap<>();
        putIfSet(run, "User", user);
        putIfSet(run, "Env", env);
        putIfSet(run, "Entrypoint", entrypoint);
        putIfSet(run, "Cmd", cmd);
        putIfSet(run, "WorkingDir", workingDir);
        putIfSet(run, "StopSignal", stopSignal);
        if (!labels.isEmpty()) {
            run.put("Labels", labels);
        }
        Map<String, Object> config = new LinkedHashMap<>();
        config.put("created", CREATED);
        config.put("architecture", architecture);
        if (variant != null) {
            config.put("variant", variant);
        }
        config.put("os", os);
        config.put("config", run);
        config.put("rootfs", Map.of("type", "layers", "diff_ids", built.stream().map(BuiltLayer::diffId).toList()));
        List<Map<String, Object>> history = new ArrayList<>();
        for (int i = 0; i < built.size(); i++) {
            history.add(Map.of("created", CREATED, "created_by", "OciImageBuilder layer " + i));
        }
        config.put("history", history);
        return config;
    }

    private static void putIfSet(Map<String, Object> map, String key, Object value) {
        if (value != null) {
            map.put(key, value);
        }
    }

    @Override
    public String toString() {
        return "OciImageBuilder[" + os + "/" + architecture + (variant == null ? "" : "/" + variant) + ", " + layers.size() + " layers, entrypoint=" + entrypoint + ", cmd=" + cmd
                + ", env=" + env + "]";
    }
}
