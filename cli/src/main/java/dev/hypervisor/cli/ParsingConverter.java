package dev.hypervisor.cli;

import java.util.function.Function;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/**
 * A picocli converter made of a parse function: the IllegalArgumentException the function throws
 * for a bad value becomes picocli's "Invalid value for option" message.
 */
class ParsingConverter<T> implements ITypeConverter<T> {

  private final Function<String, T> parse;

  ParsingConverter(Function<String, T> parse) {
    this.parse = parse;
  }

  @Override
  public T convert(String value) {
    try {
      return parse.apply(value);
    } catch (IllegalArgumentException e) {
      throw new TypeConversionException(e.getMessage());
    }
  }
}
