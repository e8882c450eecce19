package dev.hypervisor.cli;

import java.math.BigDecimal;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Parses and prints byte sizes: {@code 512MiB}, {@code 2GiB}, {@code 1.5GiB}, {@code 1G}, {@code 1000}.
 *
 * <p>IEC suffixes (KiB, MiB, GiB, TiB, and Ki, Mi, Gi, Ti) and bare letters (K, M, G, T, as in
 * QEMU's {@code -m 1G} and Docker's {@code --memory 1g}) are powers of 1024; SI suffixes (KB, MB,
 * GB, TB) are powers of 1000. Units are case-insensitive.
 */
final class ByteSize {

  private static final Pattern SIZE = Pattern.compile("\\s*(\\d+(?:\\.\\d+)?)\\s*([A-Za-z]*)\\s*");
  private static final long KI = 1024;
  private static final Map<String, Long> UNITS = Map.ofEntries(
      Map.entry("", 1L), Map.entry("b", 1L),
      Map.entry("k", KI), Map.entry("ki", KI), Map.entry("kib", KI), Map.entry("kb", 1000L),
      Map.entry("m", KI * KI), Map.entry("mi", KI * KI), Map.entry("mib", KI * KI),
      Map.entry("mb", 1000L * 1000),
      Map.entry("g", KI * KI * KI), Map.entry("gi", KI * KI * KI), Map.entry("gib", KI * KI * KI),
      Map.entry("gb", 1000L * 1000 * 1000),
      Map.entry("t", KI * KI * KI * KI), Map.entry("ti", KI * KI * KI * KI),
      Map.entry("tib", KI * KI * KI * KI), Map.entry("tb", 1000L * 1000 * 1000 * 1000));
  private static final String[] IEC = {"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};

  private ByteSize() {}

  /** Returns the number of bytes {@code text} denotes; throws IllegalArgumentException otherwise. */
  static long parse(String text) {
    Matcher m = SIZE.matcher(text);
    if (!m.matches()) {
      throw new IllegalArgumentException(
          "'" + text + "' is not a size (examples: 512MiB, 2GiB, 1.5G, 1000)");
    }
    Long unit = UNITS.get(m.group(2).toLowerCase(Locale.ROOT));
    if (unit == null) {
      throw new IllegalArgumentException(
          "'" + text + "' has an unknown unit '" + m.group(2) + "' (use B, KiB, MiB, GiB, TiB, KB, MB, GB, TB)");
    }
    BigDecimal bytes = new BigDecimal(m.group(1)).multiply(BigDecimal.valueOf(unit));
    if (bytes.stripTrailingZeros().scale() > 0) {
      throw new IllegalArgumentException("'" + text + "' is not a whole number of bytes");
    }
    try {
      return bytes.longValueExact();
    } catch (ArithmeticException e) {
      throw new IllegalArgumentException("'" + text + "' is too large");
    }
  }

  /** Prints {@code bytes} in the largest IEC unit it fills, with at most one decimal: "1.5 GiB". */
  static String format(long bytes) {
    if (bytes < KI) {
      return bytes + " B";
    }
    int unit = 0;
    double value = bytes;
    while (value >= KI && unit < IEC.length - 1) {
      value /= KI;
      unit++;
    }
    String number = String.format(Locale.ROOT, "%.1f", value);
    if (number.endsWith(".0")) {
      number = number.substring(0, number.length() - 2);
    }
    return number + " " + IEC[unit];
  }

  /** The picocli converter for size options such as {@code --memory}. */
  static final class Converter extends ParsingConverter<Long> {
    Converter() {
      super(ByteSize::parse);
    }
  }
}
