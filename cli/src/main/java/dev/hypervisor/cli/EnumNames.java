package dev.hypervisor.cli;

import com.google.protobuf.Descriptors.EnumValueDescriptor;
import com.google.protobuf.ProtocolMessageEnum;
import java.util.EnumSet;
import java.util.Locale;
import java.util.stream.Collectors;
import picocli.CommandLine.ITypeConverter;

/**
 * Short names for proto enum values: {@code INSTANCE_STATE_RUNNING} reads and prints as {@code RUNNING}.
 *
 * <p>The prefix is the one the enum's zero value carries before {@code UNSPECIFIED}, so values
 * without it ({@code InstanceEvent.Type.CREATED}) keep their name.
 */
final class EnumNames {

  private static final String UNSPECIFIED = "UNSPECIFIED";

  private EnumNames() {}

  /** Returns the short name of {@code value}, or "-" for the zero (unspecified) value. */
  static String shortName(ProtocolMessageEnum value) {
    String name = ((Enum<?>) value).name();
    if ("UNRECOGNIZED".equals(name)) {
      return "UNKNOWN";
    }
    if (value.getNumber() == 0) {
      return "-";
    }
    String prefix = prefix(value);
    return name.startsWith(prefix) ? name.substring(prefix.length()) : name;
  }

  /**
   * Parses a short or full name, case-insensitively and with '-' for '_' ("running",
   * "INSTANCE_STATE_RUNNING"); the unspecified value is not accepted.
   */
  static <E extends Enum<E> & ProtocolMessageEnum> E parse(Class<E> type, String text) {
    String wanted = text.trim().toUpperCase(Locale.ROOT).replace('-', '_');
    for (E value : accepted(type)) {
      String name = value.name();
      if (name.equals(wanted) || name.equals(prefix(value) + wanted)) {
        return value;
      }
    }
    throw new IllegalArgumentException("'" + text + "' is not one of "
        + accepted(type).stream()
            .map(v -> shortName(v).toLowerCase(Locale.ROOT))
            .collect(Collectors.joining(", ")));
  }

  /** A picocli converter that accepts the names {@link #parse} does. */
  static <E extends Enum<E> & ProtocolMessageEnum> ITypeConverter<E> converter(Class<E> type) {
    return new ParsingConverter<>(text -> parse(type, text));
  }

  private static <E extends Enum<E> & ProtocolMessageEnum> EnumSet<E> accepted(Class<E> type) {
    EnumSet<E> values = EnumSet.noneOf(type);
    for (E value : type.getEnumConstants()) {
      if (!"UNRECOGNIZED".equals(value.name()) && value.getNumber() != 0) {
        values.add(value);
      }
    }
    return values;
  }

  private static String prefix(ProtocolMessageEnum value) {
    EnumValueDescriptor zero = value.getDescriptorForType().findValueByNumber(0);
    if (zero == null || !zero.getName().endsWith(UNSPECIFIED)) {
      return "";
    }
    return zero.getName().substring(0, zero.getName().length() - UNSPECIFIED.length());
  }
}
