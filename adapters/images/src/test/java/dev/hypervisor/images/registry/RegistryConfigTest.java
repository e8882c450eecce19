package dev.hypervisor.images.registry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class RegistryConfigTest {

    @TempDir
    Path dir;

    private static String b64(String s) {
        return Base64.getEncoder().encodeToString(s.getBytes(StandardCharsets.UTF_8));
    }

    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource({
            "localhost,               http",
            "localhost:5000,          http",
            "127.0.0.1:5000,          http",
            "127.1.2.3,               http",
            "[::1]:5000,              http",
            "registry.example.com,    https",
            "registry.example.com:5000, https",
            "10.0.0.5:5000,           https",
            "127.0.0.1.example.com,   https",
            "localhost.example.com,   https",
            "registry-1.docker.io,    https",
    })
    void onlyLoopbackHostsGetPlainHttpByDefault(String host, String scheme) {
        RegistryClient client = new RegistryClient(RegistryConfig.defaults());

        assertThat(client.baseUrl(host).toString()).isEqualTo(scheme + "://" + host + "/v2/");
    }

    @Test
    void listedInsecureRegistryGetsPlainHttpAndNoOtherHostDoes() {
        RegistryConfig config = RegistryConfig.defaults().withInsecure("registry.lan:5000");

        assertThat(config.baseUrl("registry.lan:5000").getScheme()).isEqualTo("http");
        assertThat(config.baseUrl("registry.lan").getScheme()).isEqualTo("https");
        assertThat(config.baseUrl("registry.lan:5001").getScheme()).isEqualTo("https");
    }

    @Test
    void dockerHubIsReachedThroughItsApiHostUnlessOverridden() {
        assertThat(RegistryConfig.defaults().serverFor("docker.io")).isEqualTo("registry-1.docker.io");
        assertThat(RegistryConfig.defaults().serverFor("ghcr.io")).isEqualTo("ghcr.io");
        assertThat(RegistryConfig.defaults().withServer("docker.io", "hub.lan").serverFor("docker.io")).isEqualTo("hub.lan");
    }

    @Test
    void loadsMirrorsInsecureHostsAndTheAuthFileRelativeToTheConfig() throws Exception {
        Files.writeString(dir.resolve("auth.json"), """
                {"auths": {
                  "https://index.docker.io/v1/": {"auth": "%s"},
                  "registry.lan:5000": {"auth": "%s"},
                  "quay.io/team": {"username": "robot", "password": "pw3"}
                }}""".formatted(b64("hubuser:pw1"), b64("lan:pa:ss")));
        privateFile(dir.resolve("auth.json"));
        Path file = dir.resolve("registries.json");
        Files.writeString(file, """
                {
                  "mirrors": {"docker.io": ["127.0.0.1:5001", "https://mirror.lan:5000/", "http://plain.lan"]},
                  "insecure": ["registry.lan:5000"],
                  "authFile": "auth.json"
                }""");

        RegistryConfig config = RegistryConfig.load(file);

        assertThat(config.mirrorsFor("docker.io")).containsExactly("127.0.0.1:5001", "mirror.lan:5000", "plain.lan");
        assertThat(config.mirrorsFor("index.docker.io")).containsExactly("127.0.0.1:5001", "mirror.lan:5000", "plain.lan");
        assertThat(config.mirrorsFor("ghcr.io")).isEmpty();
        assertThat(config.isInsecure("registry.lan:5000")).isTrue();
        assertThat(config.isInsecure("plain.lan")).isTrue();
        assertThat(config.isInsecure("mirror.lan:5000")).isFalse();
        assertThat(config.credentialsFor("registry-1.docker.io", "library/nginx")).contains(new Credentials("hubuser", "pw1"));
        assertThat(config.credentialsFor("registry.lan:5000", "x")).contains(new Credentials("lan", "pa:ss"));
        assertThat(config.credentialsFor("quay.io", "team/app")).contains(new Credentials("robot", "pw3"));
        assertThat(config.credentialsFor("quay.io", "other/app")).isEmpty();
        assertThat(config.credentialsFor("127.0.0.1:5001", "library/nginx")).isEmpty();
        assertThat(config.toString()).doesNotContain("pw1");
    }

    @Test
    void unknownKeyIsRejectedNamingFileAndKey() throws Exception {
        Path file = dir.resolve("registries.json");
        Files.writeString(file, "{\"mirror\": {}}");

        assertThatThrownBy(() -> RegistryConfig.load(file))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining(file.toString()).hasMessageContaining("'mirror'");
    }

    @Test
    void malformedValuesAreRejected() throws Exception {
        Path file = dir.resolve("registries.json");
        Files.writeString(file, "{\"mirrors\": {\"docker.io\": \"127.0.0.1:5001\"}}");
        assertThatThrownBy(() -> RegistryConfig.load(file)).hasMessageContaining("mirrors.docker.io");

        Files.writeString(file, "{\"insecure\": [\"not a host\"]}");
        assertThatThrownBy(() -> RegistryConfig.load(file)).hasMessageContaining("'not a host'");

        // Found by RegistryConfigFuzzTest: brackets around what is no IPv6 address loaded, and
        // every pull through that server then failed unchecked while building its URL.
        Files.writeString(file, "{\"servers\": {\"ghcr.io\": \"[77777::1]\"}}");
        assertThatThrownBy(() -> RegistryConfig.load(file)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("'[77777::1]' is not host[:port]");
        Files.writeString(file, "{\"mirrors\": {\"docker.io\": [\"mirror.lan:70000\"]}}");
        assertThatThrownBy(() -> RegistryConfig.load(file)).hasMessageContaining("'mirror.lan:70000'");

        Files.writeString(file, "{\"authFile\": \"missing.json\"}");
        assertThatThrownBy(() -> RegistryConfig.load(file)).hasMessageContaining("missing.json");
    }

    @Test
    void authEntryThatIsNotBase64UserColonPasswordIsRejected() throws Exception {
        Path auth = dir.resolve("auth.json");
        Files.writeString(auth, "{\"auths\": {\"r.example\": {\"auth\": \"" + b64("nocolon") + "\"}}}");
        privateFile(auth);

        assertThatThrownBy(() -> RegistryConfig.defaults().withAuthFile(auth))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("r.example").hasMessageContaining("user:password");
    }

    @Test
    void anAuthFileOtherUsersCanReadIsRefused() throws Exception {
        Path auth = dir.resolve("auth.json");
        Files.writeString(auth, "{\"auths\": {}}");
        Files.setPosixFilePermissions(auth, java.nio.file.attribute.PosixFilePermissions.fromString("rw-r--r--"));
        assertThatThrownBy(() -> RegistryConfig.defaults().withAuthFile(auth))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("is open to other users")
                .hasMessageContaining("chmod 600");
    }

    static Path privateFile(Path file) throws java.io.IOException {
        return Files.setPosixFilePermissions(file, java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
    }

    @Test
    void credentialsNeverPrintThePassword() {
        assertThat(new Credentials("u", "hunter2").toString()).doesNotContain("hunter2");
        assertThat(new Credentials("u", "p").basicHeader()).isEqualTo("Basic " + b64("u:p"));
    }
}
