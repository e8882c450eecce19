package dev.hypervisor.images.registry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.hypervisor.images.registry.RegistryException.Kind;
import dev.hypervisor.images.testing.RegistryProxy;
import dev.hypervisor.testkit.images.BuiltImage;
import dev.hypervisor.testkit.images.OciImageBuilder;
import dev.hypervisor.testkit.images.RegistryServer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The auth handshakes, against a real registry behind a proxy that demands Bearer tokens or Basic credentials. */
class RegistryAuthTest {

    @TempDir
    static Path dir;
    static RegistryServer registry;
    static BuiltImage image;
    RegistryProxy proxy;
    ImageReference ref;

    @TempDir
    Path work;

    @BeforeAll
    static void pushImage() throws Exception {
        registry = RegistryServer.start(Files.createDirectories(dir.resolve("registry")));
        image = OciImageBuilder.busyboxImage().writeTo(dir.resolve("layout"), "latest");
        image.push(registry.host() + "/team/app:1.0");
    }

    @AfterAll
    static void stopRegistry() {
        if (registry != null) {
            registry.close();
        }
    }

    @BeforeEach
    void startProxy() {
        proxy = RegistryProxy.start(registry.host());
        ref = ImageReference.parse(proxy.host() + "/team/app:1.0");
    }

    @AfterEach
    void stopProxy() {
        proxy.close();
    }

    private static RegistryClient client(RegistryConfig config) {
        return new RegistryClient(config, Platform.linuxAmd64(), TestImages.FAST);
    }

    private Path authFile(String host, String user, String password) throws Exception {
        String auth = Base64.getEncoder().encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8));
        Path file = work.resolve("auth.json");
        Files.writeString(file, "{\"auths\": {\"" + host + "\": {\"auth\": \"" + auth + "\"}}}");
        RegistryConfigTest.privateFile(file);
        return file;
    }

    @Test
    void anonymousBearerTokenIsFetchedAndCachedForTheScope() throws Exception {
        proxy.auth().requireBearerToken();
        RegistryClient client = client(RegistryConfig.defaults());

        ResolvedImage resolved = client.resolve(ref);
        client.resolve(ref);
        client.fetchBlob(ref, resolved.layers().get(0), work.resolve("layer"), n -> { });

        assertThat(resolved.manifestDigest()).isEqualTo(image.manifest().digest());
        assertThat(proxy.auth().tokensIssued()).isEqualTo(1);
        assertThat(proxy.requests(r -> r.path().equals("/token"))).singleElement()
                .satisfies(r -> assertThat(r.query()).contains("scope=repository%3Ateam%2Fapp%3Apull").contains("service=registry-proxy"))
                .satisfies(r -> assertThat(r.authorization()).isEmpty());
        // Only the very first request went without a token.
        assertThat(proxy.requests(r -> r.status() == 401)).hasSize(1);
    }

    @Test
    void tokenServiceGetsBasicCredentialsFromTheAuthFile() throws Exception {
        proxy.auth().requireBearerToken("alice", "s3cret");
        RegistryClient client = client(RegistryConfig.defaults().withAuthFile(authFile(proxy.host(), "alice", "s3cret")));

        ResolvedImage resolved = client.resolve(ref);

        assertThat(resolved.configBytes()).isEqualTo(image.configBytes());
        assertThat(proxy.requests(r -> r.path().equals("/token"))).singleElement()
                .satisfies(r -> assertThat(r.authorization()).isEqualTo("Basic"));
    }

    @Test
    void wrongCredentialsAreUnauthorized() throws Exception {
        proxy.auth().requireBearerToken("alice", "s3cret");
        RegistryClient client = client(RegistryConfig.defaults().withAuthFile(authFile(proxy.host(), "alice", "wrong")));

        assertThatThrownBy(() -> client.resolve(ref))
                .isInstanceOfSatisfying(RegistryException.class, e -> assertThat(e.kind()).isEqualTo(Kind.UNAUTHORIZED))
                .hasMessageContaining(proxy.host()).hasMessageContaining("alice").hasMessageContaining(ref.toString())
                .hasMessageNotContaining("wrong");
    }

    @Test
    void missingCredentialsForAGuardedTokenServiceAreUnauthorized() {
        proxy.auth().requireBearerToken("alice", "s3cret");

        assertThatThrownBy(() -> client(RegistryConfig.defaults()).resolve(ref))
                .isInstanceOfSatisfying(RegistryException.class, e -> assertThat(e.kind()).isEqualTo(Kind.UNAUTHORIZED))
                .hasMessageContaining("anonymous");
    }

    @Test
    void expiredTokenIsReplaced() throws Exception {
        proxy.auth().requireBearerToken().tokenLifetime(Duration.ofSeconds(60));
        dev.hypervisor.core.testing.ManualClock clock = dev.hypervisor.core.testing.ManualClock.atEpoch();
        RegistryClient client = new RegistryClient(RegistryConfig.defaults(), Platform.linuxAmd64(), TestImages.FAST, clock);

        client.resolve(ref);
        clock.advance(Duration.ofSeconds(50));
        client.resolve(ref);
        assertThat(proxy.auth().tokensIssued()).as("still valid").isEqualTo(1);
        clock.advance(Duration.ofSeconds(5)); // within the 6 s it renews early
        client.resolve(ref);

        assertThat(proxy.auth().tokensIssued()).isEqualTo(2);
    }

    @Test
    void basicChallengeIsAnsweredWithConfiguredCredentialsAndRememberedForTheHost() throws Exception {
        proxy.auth().requireBasic("bob", "pw");
        RegistryClient client = client(RegistryConfig.defaults().withCredentials(proxy.host(), new Credentials("bob", "pw")));

        ResolvedImage resolved = client.resolve(ref);
        client.fetchBlob(ref, resolved.layers().get(0), work.resolve("layer"), n -> { });

        assertThat(resolved.manifestDigest()).isEqualTo(image.manifest().digest());
        assertThat(proxy.requests(r -> r.status() == 401)).hasSize(1);
    }

    @Test
    void basicChallengeWithoutCredentialsIsUnauthorized() {
        proxy.auth().requireBasic("bob", "pw");

        assertThatThrownBy(() -> client(RegistryConfig.defaults()).resolve(ref))
                .isInstanceOfSatisfying(RegistryException.class, e -> assertThat(e.kind()).isEqualTo(Kind.UNAUTHORIZED))
                .hasMessageContaining("none are configured for " + proxy.host());
    }

    @Test
    void registryWithHtpasswdAcceptsConfiguredBasicCredentialsOnly() throws Exception {
        org.assertj.core.api.Assertions.assertThat(RegistryServer.htpasswdAvailable())
                .as("htpasswd is required: apt-get install apache2-utils (./test.sh installs it)").isTrue();
        // A second registry on the same storage, so it serves the image pushed to the open one.
        try (RegistryServer guarded = RegistryServer.startWithHtpasswd(registry.dir(), "carol", "pw")) {
            ImageReference guardedRef = ImageReference.parse(guarded.host() + "/team/app:1.0");

            assertThatThrownBy(() -> client(RegistryConfig.defaults()).resolve(guardedRef))
                    .isInstanceOfSatisfying(RegistryException.class, e -> assertThat(e.kind()).isEqualTo(Kind.UNAUTHORIZED));
            ResolvedImage resolved = client(RegistryConfig.defaults().withCredentials(guarded.host(), new Credentials("carol", "pw")))
                    .resolve(guardedRef);
            assertThat(resolved.manifestDigest()).isEqualTo(image.manifest().digest());
        }
    }
}
