package dev.hypervisor.images.registry;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.DictionaryEntries;
import com.code_intelligence.jazzer.junit.FuzzTest;
import java.util.Arrays;
import java.util.List;

/**
 * Whatever a registry sends as a manifest or an index, {@link Manifests#parse} returns a
 * consistent document or refuses it with a {@link RegistryException} (FAILED_PRECONDITION for the
 * caller); any other exception would end a pull as INTERNAL. Seeds and kept findings are in
 * {@code ManifestsFuzzTestInputs/}; fuzz with {@code scripts/fuzz.sh}.
 */
class ManifestsFuzzTest {

    // Each input is parsed once per Content-Type a registry might send, because the header
    // decides what a document without its own mediaType is.
    private static final List<String> CONTENT_TYPES = Arrays.asList(null, "", MediaTypes.OCI_INDEX,
            MediaTypes.OCI_MANIFEST, MediaTypes.DOCKER_MANIFEST_LIST, MediaTypes.DOCKER_MANIFEST, "text/html");

    @FuzzTest(maxDuration = "10s")
    @DictionaryEntries({"\"schemaVersion\"", "\"mediaType\"", "\"manifests\"", "\"config\"", "\"layers\"",
            "\"digest\"", "\"size\"", "\"platform\"", "\"os\"", "\"architecture\"", "\"variant\"", "\"annotations\"",
            "\"sha256:0000000000000000000000000000000000000000000000000000000000000000\"",
            "\"" + MediaTypes.OCI_INDEX + "\"", "\"" + MediaTypes.OCI_MANIFEST + "\"",
            "\"" + MediaTypes.DOCKER_MANIFEST_LIST + "\"", "\"" + MediaTypes.OCI_LAYER_GZIP + "\""})
    void everyDocumentParsesConsistentlyOrIsRefused(byte[] document) {
        for (String contentType : CONTENT_TYPES) {
            Manifests.Parsed parsed;
            try {
                parsed = Manifests.parse(document, contentType, "fuzzed manifest");
            } catch (RegistryException refused) {
                assertThat(refused.kind()).isEqualTo(RegistryException.Kind.PROTOCOL);
                continue;
            }
            if (parsed.isIndex()) {
                assertThat(parsed.config()).isNull();
                assertThat(parsed.layers()).isEmpty();
            } else {
                assertThat(MediaTypes.MANIFESTS).contains(parsed.mediaType());
                assertThat(parsed.config()).isNotNull();
                assertThat(parsed.manifests()).isEmpty();
            }
        }
    }
}
