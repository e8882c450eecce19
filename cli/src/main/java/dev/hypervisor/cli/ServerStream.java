package dev.hypervisor.cli;

import io.grpc.Context;
import java.util.Iterator;
import java.util.function.Predicate;
import java.util.function.Supplier;

/** Reads a server stream through a blocking iterator and cancels the call when the reader stops early. */
final class ServerStream {

  private ServerStream() {}

  /**
   * Opens the stream and hands each message to {@code handler} until it returns false or the
   * server ends the stream; a stream error surfaces as a StatusRuntimeException.
   *
   * @return true when the handler stopped the stream, false when the server ended it
   */
  static <T> boolean consume(Supplier<Iterator<T>> open, Predicate<T> handler) {
    Context.CancellableContext context = Context.current().withCancellation();
    Context previous = context.attach();
    try {
      Iterator<T> messages = open.get();
      while (messages.hasNext()) {
        if (!handler.test(messages.next())) {
          return true;
        }
      }
      return false;
    } finally {
      context.detach(previous);
      // Without this, a stream left early would stay open until the channel closes.
      context.cancel(null);
    }
  }
}
