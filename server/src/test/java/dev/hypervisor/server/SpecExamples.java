package dev.hypervisor.server;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The grpcurl examples of the spec, read from the spec itself: the authoritative copy in
 * shared/spec beside the checkout when present, else the copy in docs/spec.
 */
final class SpecExamples {

    /** One example: the method it calls and its -d request body. */
    record Example(String method, String json) {}

    private static final Pattern GRPCURL = Pattern.compile(
            "grpcurl -plaintext -d '(.*?)'\\s*(?:\\\\\\s*)?localhost:50051 hypervisor\\.v1\\.ComputeService/(\\w+)",
            Pattern.DOTALL);

    private SpecExamples() {}

    static Path specFile() {
        Path dir = Path.of("").toAbsolutePath();
        for (Path p = dir; p != null; p = p.getParent()) {
            Path shared = p.resolveSibling("shared").resolve("spec/compute-service-api.md");
            if (Files.exists(p.resolve("docs/spec/compute-service-api.md"))) {
                return Files.exists(shared) ? shared : p.resolve("docs/spec/compute-service-api.md");
            }
        }
        throw new IllegalStateException("compute-service-api.md not found above " + dir);
    }

    static List<Example> all() {
        try {
            String text = Files.readString(specFile());
            List<Example> examples = new ArrayList<>();
            Matcher m = GRPCURL.matcher(text);
            while (m.find()) {
                examples.add(new Example(m.group(2), m.group(1)));
            }
            return examples;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
