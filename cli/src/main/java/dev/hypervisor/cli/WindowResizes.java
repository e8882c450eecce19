package dev.hypervisor.cli;

import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Calls back when the terminal may have changed size: on SIGWINCH where the JVM lets us handle
 * it (sun.misc.Signal, looked up reflectively since it is unsupported API), else every 500 ms.
 */
final class WindowResizes implements AutoCloseable {

  private final Runnable onClose;

  private WindowResizes(Runnable onClose) {
    this.onClose = onClose;
  }

  /** Starts calling {@code listener}; it should re-read the size and ignore repeats. */
  static WindowResizes watch(Runnable listener) {
    try {
      return onSignal(listener);
    } catch (ReflectiveOperationException | RuntimeException | LinkageError e) {
      ScheduledExecutorService poller = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread thread = new Thread(r, "hvctl-resize-poll");
        thread.setDaemon(true);
        return thread;
      });
      poller.scheduleWithFixedDelay(listener, 500, 500, TimeUnit.MILLISECONDS);
      return new WindowResizes(poller::shutdownNow);
    }
  }

  private static WindowResizes onSignal(Runnable listener) throws ReflectiveOperationException {
    Class<?> signalClass = Class.forName("sun.misc.Signal");
    Class<?> handlerClass = Class.forName("sun.misc.SignalHandler");
    Object signal = signalClass.getConstructor(String.class).newInstance("WINCH");
    Object handler = Proxy.newProxyInstance(WindowResizes.class.getClassLoader(),
        new Class<?>[] {handlerClass}, (proxy, method, args) -> {
          if ("handle".equals(method.getName())) {
            listener.run();
            return null;
          }
          return switch (method.getName()) {
            case "hashCode" -> System.identityHashCode(proxy);
            case "equals" -> proxy == args[0];
            default -> "WindowResizes handler";
          };
        });
    Method handle = signalClass.getMethod("handle", signalClass, handlerClass);
    Object previous = handle.invoke(null, signal, handler);
    return new WindowResizes(() -> {
      try {
        handle.invoke(null, signal, previous);
      } catch (ReflectiveOperationException e) {
        // The process is about to exit anyway.
      }
    });
  }

  @Override
  public void close() {
    onClose.run();
  }
}
