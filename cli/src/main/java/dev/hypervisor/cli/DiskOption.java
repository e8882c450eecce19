package dev.hypervisor.cli;

import dev.hypervisor.api.v1.DiskSpec;
import java.util.Locale;

/** Parses a {@code --disk} value such as {@code name=root,size=50GiB,type=ssd,boot} into a DiskSpec. */
final class DiskOption {

  private DiskOption() {}

  /** Returns the disk {@code text} describes; name and size are required, type and boot optional. */
  static DiskSpec parse(String text) {
    DiskSpec.Builder disk = DiskSpec.newBuilder();
    boolean sized = false;
    for (String part : text.split(",")) {
      String item = part.trim();
      if (item.isEmpty()) {
        continue;
      }
      int eq = item.indexOf('=');
      String key = (eq < 0 ? item : item.substring(0, eq)).trim().toLowerCase(Locale.ROOT);
      String value = eq < 0 ? null : item.substring(eq + 1).trim();
      switch (key) {
        case "name" -> disk.setName(required(key, value));
        case "size" -> {
          disk.setSizeBytes(ByteSize.parse(required(key, value)));
          sized = true;
        }
        case "type" -> disk.setType(required(key, value));
        case "boot" -> disk.setBoot(value == null || parseBoolean(value));
        default -> throw new IllegalArgumentException(
            "unknown disk key '" + key + "' (expected name, size, type, boot)");
      }
    }
    if (disk.getName().isEmpty()) {
      throw new IllegalArgumentException("disk '" + text + "' needs name=NAME");
    }
    if (!sized) {
      throw new IllegalArgumentException("disk '" + text + "' needs size=SIZE");
    }
    return disk.build();
  }

  private static String required(String key, String value) {
    if (value == null || value.isEmpty()) {
      throw new IllegalArgumentException("disk key '" + key + "' needs a value");
    }
    return value;
  }

  private static boolean parseBoolean(String value) {
    return switch (value.toLowerCase(Locale.ROOT)) {
      case "true", "yes", "1" -> true;
      case "false", "no", "0" -> false;
      default -> throw new IllegalArgumentException("boot=" + value + " is not true or false");
    };
  }

  /** The picocli converter for {@code --disk}. */
  static final class Converter extends ParsingConverter<DiskSpec> {
    Converter() {
      super(DiskOption::parse);
    }
  }
}
