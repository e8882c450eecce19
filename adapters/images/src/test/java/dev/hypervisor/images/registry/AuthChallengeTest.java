package dev.hypervisor.images.registry;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

class AuthChallengeTest {

    @Test
    void parsesDockerHubBearerChallenge() {
        List<AuthChallenge> challenges = AuthChallenge.parse(List.of(
                "Bearer realm=\"https://auth.docker.io/token\",service=\"registry.docker.io\",scope=\"repository:library/nginx:pull\""));

        assertThat(challenges).singleElement().satisfies(c -> {
            assertThat(c.isBearer()).isTrue();
            assertThat(c.param("realm")).isEqualTo("https://auth.docker.io/token");
            assertThat(c.param("service")).isEqualTo("registry.docker.io");
            assertThat(c.param("scope")).isEqualTo("repository:library/nginx:pull");
        });
    }

    @Test
    void parsesQuotedCommasUnquotedValuesAndSeveralChallenges() {
        List<AuthChallenge> challenges = AuthChallenge.parse(List.of(
                "basic realm=\"a, b\", Bearer realm=x,scope=\"repository:a:pull,push\"", "Negotiate"));

        assertThat(challenges).extracting(AuthChallenge::scheme).containsExactly("basic", "Bearer", "Negotiate");
        assertThat(challenges.get(0).isBasic()).isTrue();
        assertThat(challenges.get(0).param("realm")).isEqualTo("a, b");
        assertThat(challenges.get(1).param("realm")).isEqualTo("x");
        assertThat(challenges.get(1).param("scope")).isEqualTo("repository:a:pull,push");
    }

    @Test
    void garbageYieldsNoCrash() {
        assertThat(AuthChallenge.parse(List.of("", "=\"", ",,,"))).allSatisfy(c -> assertThat(c.scheme()).isNotEmpty());
    }
}
