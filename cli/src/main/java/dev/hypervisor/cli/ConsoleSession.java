package dev.hypervisor.cli;

import com.google.protobuf.ByteString;
import dev.hypervisor.api.v1.ComputeServiceGrpc.ComputeServiceStub;
import dev.hypervisor.api.v1.ConsoleInput;
import dev.hypervisor.api.v1.ConsoleOutput;
import dev.hypervisor.api.v1.TerminalSize;
import io.grpc.Status;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * One AttachConsole call: writes console output to a stream as it arrives and sends input with
 * flow control, from any thread.
 */
final class ConsoleSession implements ClientResponseObserver<ConsoleInput, ConsoleOutput> {

  private final OutputStream out;
  private final CompletableFuture<Status> ended = new CompletableFuture<>();
  private final Object ready = new Object();
  private ClientCallStreamObserver<ConsoleInput> requests;
  private boolean halfClosed;

  private ConsoleSession(OutputStream out) {
    this.out = out;
  }

  /** Attaches to {@code instanceId}; the first message names the instance and nothing else. */
  static ConsoleSession attach(ComputeServiceStub stub, String instanceId, OutputStream out) {
    ConsoleSession session = new ConsoleSession(out);
    stub.attachConsole(session);
    session.send(ConsoleInput.newBuilder().setInstanceId(instanceId).build());
    return session;
  }

  @Override
  public void beforeStart(ClientCallStreamObserver<ConsoleInput> requestStream) {
    this.requests = requestStream;
    requestStream.setOnReadyHandler(() -> {
      synchronized (ready) {
        ready.notifyAll();
      }
    });
  }

  @Override
  public void onNext(ConsoleOutput output) {
    try {
      output.getData().writeTo(out);
      out.flush();
    } catch (IOException e) {
      requests.cancel("cannot write console output", e);
    }
  }

  @Override
  public void onError(Throwable t) {
    ended.complete(Status.fromThrowable(t));
  }

  @Override
  public void onCompleted() {
    ended.complete(Status.OK);
  }

  void sendData(byte[] bytes, int offset, int length) {
    send(ConsoleInput.newBuilder().setData(ByteString.copyFrom(bytes, offset, length)).build());
  }

  void resize(TerminalSize size) {
    send(ConsoleInput.newBuilder().setResize(size).build());
  }

  /** Tells the server no more input comes; output may still arrive. */
  synchronized void halfClose() {
    if (!halfClosed && !ended.isDone()) {
      halfClosed = true;
      requests.onCompleted();
    }
  }

  /** Ends the call from this side, as detaching does. */
  void cancel() {
    if (!ended.isDone()) {
      requests.cancel("detached", null);
    }
  }

  /** Completes with the final status when the server ends the stream or the call fails. */
  CompletableFuture<Status> ended() {
    return ended;
  }

  /** Waits up to {@code millis} for the stream to end; returns whether it has. */
  boolean awaitEnd(long millis) {
    try {
      ended.get(millis, TimeUnit.MILLISECONDS);
      return true;
    } catch (TimeoutException e) {
      return false;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return ended.isDone();
    } catch (ExecutionException e) {
      throw new UncheckedIOException(new IOException(e.getCause()));
    }
  }

  /** Sends one message once the transport can take it, so a fast stdin cannot fill the heap. */
  private synchronized void send(ConsoleInput input) {
    synchronized (ready) {
      while (!requests.isReady() && !ended.isDone()) {
        try {
          ready.wait(100);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          return;
        }
      }
    }
    if (!ended.isDone() && !halfClosed) {
      requests.onNext(input);
    }
  }
}
