package dev.hypervisor.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.hypervisor.api.v1.DiskSpec;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Parsing of --disk values. */
class DiskOptionTest {

  @Test
  void parsesEveryKeyWithABareBootFlag() {
    assertThat(DiskOption.parse("name=root,size=50GiB,type=ssd,boot")).isEqualTo(DiskSpec.newBuilder()
        .setName("root").setSizeBytes(50L << 30).setType("ssd").setBoot(true).build());
  }

  @Test
  void leavesTypeAndBootUnsetWhenOmitted() {
    assertThat(DiskOption.parse("size=1G,name=data")).isEqualTo(DiskSpec.newBuilder()
        .setName("data").setSizeBytes(1L << 30).build());
  }

  @Test
  void acceptsAnExplicitBootValue() {
    assertThat(DiskOption.parse("name=a,size=1000,boot=false").getBoot()).isFalse();
    assertThat(DiskOption.parse("name=a,size=1000,boot=true").getBoot()).isTrue();
  }

  @ParameterizedTest
  @ValueSource(strings = {"size=1G", "name=root", "name=root,size=big", "name=root,size=1G,color=red",
      "name=,size=1G", "name=root,size=1G,boot=maybe"})
  void rejectsDisksWithoutNameOrSizeOrWithUnknownKeys(String text) {
    assertThatThrownBy(() -> DiskOption.parse(text)).isInstanceOf(IllegalArgumentException.class);
  }
}
