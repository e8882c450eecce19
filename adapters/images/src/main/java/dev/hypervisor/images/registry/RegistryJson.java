package dev.hypervisor.images.registry;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.ArrayList;
import java.util.List;

/** The package's JSON mapper and the distribution spec's error body. */
final class RegistryJson {

    static final ObjectMapper MAPPER = new ObjectMapper()
            .configure(DeserializationFeature.FAIL_ON_TRAILING_TOKENS, true);

    private RegistryJson() {}

    /** One entry of an error body (https://github.com/opencontainers/distribution-spec/blob/main/spec.md#error-codes). */
    record RegistryError(String code, String message) {
        @Override
        public String toString() {
            return message.isEmpty() ? code : code + ": " + message;
        }
    }

    /** The errors of a body {@code {"errors": [{"code", "message", "detail"}]}}; empty when it is not one. */
    static List<RegistryError> errors(byte[] body) {
        List<RegistryError> result = new ArrayList<>();
        try {
            JsonNode root = MAPPER.readTree(body);
            if (root != null) {
                for (JsonNode e : root.path("errors")) {
                    result.add(new RegistryError(e.path("code").asText(""), e.path("message").asText("")));
                }
            }
        } catch (java.io.IOException | RuntimeException e) {
            // Not JSON (an HTML error page from a proxy, say): the status alone has to do.
        }
        return result;
    }
}
