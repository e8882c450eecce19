package dev.hypervisor.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.hypervisor.api.v1.ImageKind;
import dev.hypervisor.api.v1.InstanceEvent;
import dev.hypervisor.api.v1.InstanceState;
import dev.hypervisor.api.v1.InstanceType;
import dev.hypervisor.api.v1.PullImageProgress;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Short and full enum names on input and output. */
class EnumNamesTest {

  @ParameterizedTest
  @ValueSource(strings = {"running", "RUNNING", "Running", "INSTANCE_STATE_RUNNING", "instance_state_running"})
  void acceptsShortAndFullStateNamesInAnyCase(String text) {
    assertThat(EnumNames.parse(InstanceState.class, text)).isEqualTo(InstanceState.INSTANCE_STATE_RUNNING);
  }

  @Test
  void acceptsShortTypeAndKindNames() {
    assertThat(EnumNames.parse(InstanceType.class, "microvm")).isEqualTo(InstanceType.INSTANCE_TYPE_MICROVM);
    assertThat(EnumNames.parse(InstanceType.class, "vm")).isEqualTo(InstanceType.INSTANCE_TYPE_VM);
    assertThat(EnumNames.parse(ImageKind.class, "kernel")).isEqualTo(ImageKind.IMAGE_KIND_KERNEL);
  }

  @ParameterizedTest
  @ValueSource(strings = {"unspecified", "INSTANCE_STATE_UNSPECIFIED", "unrecognized", "runnin", ""})
  void rejectsUnspecifiedAndUnknownNamesListingTheValidOnes(String text) {
    assertThatThrownBy(() -> EnumNames.parse(InstanceState.class, text))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("running, stopped");
  }

  @Test
  void printsValuesWithoutTheirEnumPrefix() {
    assertThat(EnumNames.shortName(InstanceState.INSTANCE_STATE_RUNNING)).isEqualTo("RUNNING");
    assertThat(EnumNames.shortName(InstanceType.INSTANCE_TYPE_VM)).isEqualTo("VM");
    assertThat(EnumNames.shortName(ImageKind.IMAGE_KIND_DISK)).isEqualTo("DISK");
  }

  @Test
  void keepsNamesThatDoNotCarryThePrefix() {
    assertThat(EnumNames.shortName(InstanceEvent.Type.CREATED)).isEqualTo("CREATED");
    assertThat(EnumNames.shortName(PullImageProgress.Phase.DOWNLOADING)).isEqualTo("DOWNLOADING");
  }

  @Test
  void printsTheUnspecifiedValueAsADash() {
    assertThat(EnumNames.shortName(InstanceState.INSTANCE_STATE_UNSPECIFIED)).isEqualTo("-");
    assertThat(EnumNames.shortName(InstanceState.UNRECOGNIZED)).isEqualTo("UNKNOWN");
  }
}
