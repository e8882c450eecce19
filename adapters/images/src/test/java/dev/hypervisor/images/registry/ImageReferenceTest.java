package dev.hypervisor.images.registry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class ImageReferenceTest {

    private static final String D = "sha256:abababababababababababababababababababababababababababababababab";

    @ParameterizedTest(name = "{0} -> {1} {2} {3}")
    @CsvSource(nullValues = "-", value = {
            // input,                                 registry,          repository,        tag,     canonical
            "nginx,                                   docker.io,         library/nginx,     latest,  docker.io/library/nginx:latest",
            "nginx:latest,                            docker.io,         library/nginx,     latest,  docker.io/library/nginx:latest",
            "nginx:1.25-alpine,                       docker.io,         library/nginx,     1.25-alpine, docker.io/library/nginx:1.25-alpine",
            "user/app,                                docker.io,         user/app,          latest,  docker.io/user/app:latest",
            "docker.io/nginx,                         docker.io,         library/nginx,     latest,  docker.io/library/nginx:latest",
            "index.docker.io/library/nginx:1,         docker.io,         library/nginx,     1,       docker.io/library/nginx:1",
            "localhost/x,                             localhost,         x,                 latest,  localhost/x:latest",
            "localhost:5000/x,                        localhost:5000,    x,                 latest,  localhost:5000/x:latest",
            "127.0.0.1:5000/a/b:tag,                  127.0.0.1:5000,    a/b,               tag,     127.0.0.1:5000/a/b:tag",
            "[::1]:5000/a:v1,                         [::1]:5000,        a,                 v1,      [::1]:5000/a:v1",
            "ghcr.io/org/team/app:v1.2.3,             ghcr.io,           org/team/app,      v1.2.3,  ghcr.io/org/team/app:v1.2.3",
            "Reg.Example:443/a__b/c-d.e:T_1,          reg.example:443,   a__b/c-d.e,        T_1,     reg.example:443/a__b/c-d.e:T_1",
            "reg.example/x@" + D + ",                  reg.example,       x,                 -,       reg.example/x@" + D,
            "reg.example/x:1@" + D + ",                reg.example,       x,                 1,       reg.example/x:1@" + D,
            "alpine@" + D + ",                         docker.io,         library/alpine,    -,       docker.io/library/alpine@" + D,
    })
    void parsesWhatUsersType(String input, String registry, String repository, String tag, String canonical) {
        ImageReference ref = ImageReference.parse(input);

        assertThat(ref.registry()).isEqualTo(registry);
        assertThat(ref.repository()).isEqualTo(repository);
        assertThat(ref.tag().orElse(null)).isEqualTo(tag);
        assertThat(ref.toString()).isEqualTo(canonical);
        assertThat(ImageReference.parse(ref.toString())).isEqualTo(ref);
    }

    @ParameterizedTest
    @ValueSource(strings = {"reg.example/x@" + D, "reg.example/x:1@" + D})
    void digestWinsOverTagInManifestReference(String input) {
        ImageReference ref = ImageReference.parse(input);

        assertThat(ref.digest()).contains(D);
        assertThat(ref.manifestReference()).isEqualTo(D);
    }

    @ParameterizedTest(name = "\"{0}\" is rejected: {1}")
    @CsvSource(delimiter = '|', value = {
            "''                                   | empty",
            "'   '                                | empty",
            "' nginx'                             | whitespace",
            "Nginx                                | lowercase",
            "nginx:                               | tag ''",
            "nginx:-bad                           | tag '-bad'",
            "nginx:" + "t" + "234567890123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890 | tag",
            "reg.example/x@sha256:abc             | digest",
            "reg.example/x@sha256:" + "AB" + "abababababababababababababababababababababababababababababababab | digest",
            "reg.example/x@md5:d41d8cd98f00b204e9800998ecf8427e | digest",
            "reg.example/                         | repository name is empty",
            "reg.example//x                       | component ''",
            "a/b_-c                               | component 'b_-c'",
            "a/.b                                 | component '.b'",
            "-reg.example/x                       | registry '-reg.example'",
            "reg..example/x                       | registry 'reg..example'",
            "reg.example:99x/x                    | registry",
            "reg.example:99999/x                  | registry 'reg.example:99999'",
            "[77777::1]:5000/x                    | registry '[77777::1]:5000'",
            "[1.2.3.4]/x                          | registry '[1.2.3.4]'",
    })
    void rejectsInvalidReferencesWithAClearMessage(String input, String complaint) {
        assertThatThrownBy(() -> ImageReference.parse(input))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining(complaint);
    }

    @ParameterizedTest
    @ValueSource(strings = {"a", "x"})
    void nameLongerThan255CharactersIsRejected(String c) {
        assertThatThrownBy(() -> ImageReference.parse("reg.example/" + (c.repeat(100) + "/").repeat(3) + c))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("255");
    }

    @ParameterizedTest
    @ValueSource(strings = {"nginx"})
    void withDigestPinsAndKeepsTheTag(String input) {
        ImageReference pinned = ImageReference.parse(input).withDigest(D);

        assertThat(pinned.toString()).isEqualTo("docker.io/library/nginx:latest@" + D);
        assertThatThrownBy(() -> pinned.withDigest("sha256:nope")).isInstanceOf(IllegalArgumentException.class);
    }
}
