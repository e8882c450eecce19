package dev.hypervisor.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/** Size parsing and printing. */
class ByteSizeTest {

  @ParameterizedTest(name = "{0} = {1} bytes")
  @CsvSource({
      "1000, 1000",
      "0, 0",
      "512MiB, 536870912",
      "2GiB, 2147483648",
      "1.5GiB, 1610612736",
      "1G, 1073741824",
      "1g, 1073741824",
      "512M, 536870912",
      "4Ki, 4096",
      "1GB, 1000000000",
      "10kb, 10000",
      "1TiB, 1099511627776",
      "' 64 MiB ', 67108864",
      "2048B, 2048",
  })
  void parsesNumbersWithIecSiAndSingleLetterUnits(String text, long bytes) {
    assertThat(ByteSize.parse(text)).isEqualTo(bytes);
  }

  @ParameterizedTest
  @ValueSource(strings = {"", "MiB", "-1GiB", "1.5", "1.0000001KiB", "12XB", "1 2", "99999999TiB"})
  void rejectsWhatIsNotAWholeNumberOfBytes(String text) {
    assertThatThrownBy(() -> ByteSize.parse(text)).isInstanceOf(IllegalArgumentException.class);
  }

  @ParameterizedTest(name = "{0} bytes prints as {1}")
  @CsvSource({
      "0, 0 B",
      "1023, 1023 B",
      "1024, 1 KiB",
      "1536, 1.5 KiB",
      "536870912, 512 MiB",
      "1610612736, 1.5 GiB",
      "12939428, 12.3 MiB",
  })
  void printsInTheLargestFittingIecUnit(long bytes, String text) {
    assertThat(ByteSize.format(bytes)).isEqualTo(text);
  }
}
