package dev.hypervisor.images.registry;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.DictionaryEntries;
import com.code_intelligence.jazzer.junit.FuzzTest;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.io.TempDir;

/**
 * Whatever an operator writes into the registry config and its auth file, {@link RegistryConfig#load}
 * either loads a config that answers every question the pull asks, or refuses the file with the
 * IOException or IllegalArgumentException it documents (the daemon then stops with that message).
 * An input is the config file, a NUL byte, then the auth file {@code auth.json} beside it.
 * Seeds and kept findings are in {@code RegistryConfigFuzzTestInputs/}; fuzz with {@code scripts/fuzz.sh}.
 */
class RegistryConfigFuzzTest {

    private static final List<String> REGISTRIES = List.of("docker.io", "index.docker.io", "localhost:5000",
            "registry.lan:5000", "[::1]:5000", "ghcr.io");

    @TempDir
    Path dir;

    @FuzzTest(maxDuration = "10s")
    @DictionaryEntries({"\"mirrors\"", "\"servers\"", "\"insecure\"", "\"authFile\"", "\"auth.json\"", "\"auths\"",
            "\"auth\"", "\"username\"", "\"password\"", "\"docker.io\"", "\"https://index.docker.io/v1/\"",
            "\"http://", "\"localhost:5000\"", "\"[::1]:5000\"", "\"dXNlcjpwYXNz\""})
    void everyFileLoadsOrIsRefusedAsDocumented(byte[] input) throws IOException {
        int nul = indexOf(input, (byte) 0);
        Path config = dir.resolve("config.json");
        Path auth = dir.resolve("auth.json");
        Files.write(config, nul < 0 ? input : Arrays.copyOfRange(input, 0, nul));
        Files.write(auth, nul < 0 ? new byte[0] : Arrays.copyOfRange(input, nul + 1, input.length));
        Files.setPosixFilePermissions(auth, PosixFilePermissions.fromString("rw-------"));
        RegistryConfig loaded;
        try {
            loaded = RegistryConfig.load(config);
        } catch (IOException | IllegalArgumentException refused) {
            assertThat(refused.getMessage()).as("a refusal says why").isNotBlank();
            return;
        }
        // What a pull asks of the config, for registries the file may or may not name.
        for (String registry : REGISTRIES) {
            for (Endpoint endpoint : Endpoint.of(loaded, registry)) {
                assertThat(loaded.baseUrl(endpoint.host()).getPath()).isEqualTo("/v2/");
                loaded.credentialsFor(endpoint.host(), "library/busybox");
            }
        }
    }

    private static int indexOf(byte[] bytes, byte b) {
        for (int i = 0; i < bytes.length; i++) {
            if (bytes[i] == b) {
                return i;
            }
        }
        return -1;
    }
}
