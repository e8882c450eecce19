package dev.hypervisor.cli;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.MessageOrBuilder;
import com.google.protobuf.util.JsonFormat;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.util.function.Consumer;

/** Prints results as the human table or as JSON documents, as {@code -o} asks. */
final class Output {

  /** The values of {@code -o, --output}. */
  enum Format { TABLE, JSON }

  private static final JsonFormat.Printer PRETTY = JsonFormat.printer();
  private static final JsonFormat.Printer COMPACT = JsonFormat.printer().omittingInsignificantWhitespace();

  private final Format format;
  private final PrintStream out;

  Output(Format format, PrintStream out) {
    this.format = format;
    this.out = out;
  }

  boolean json() {
    return format == Format.JSON;
  }

  PrintStream out() {
    return out;
  }

  /** Prints one result: {@code message} as a JSON document, or {@code table} in table mode. */
  void print(MessageOrBuilder message, Consumer<PrintStream> table) {
    print(PRETTY, message, table);
  }

  /** Prints one message of a stream: a compact JSON object on one line, or {@code line} in table mode. */
  void printStreamed(MessageOrBuilder message, Consumer<PrintStream> line) {
    print(COMPACT, message, line);
  }

  private void print(JsonFormat.Printer printer, MessageOrBuilder message, Consumer<PrintStream> human) {
    if (json()) {
      out.println(toJson(printer, message));
    } else {
      human.accept(out);
    }
    out.flush();
  }

  private static String toJson(JsonFormat.Printer printer, MessageOrBuilder message) {
    try {
      return printer.print(message);
    } catch (InvalidProtocolBufferException e) {
      throw new UncheckedIOException(e);
    }
  }
}
