package dev.hypervisor.core.driver;

import dev.hypervisor.core.instance.Instance;
import dev.hypervisor.core.instance.InstanceSpec;
import dev.hypervisor.core.instance.InstanceType;
import dev.hypervisor.core.instance.Metadata;
import dev.hypervisor.core.runtime.RuntimeContext;
import dev.hypervisor.core.runtime.RuntimePlugin;
import java.io.ByteArrayOutputStream;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * A driver test double: "runs" instances as entries in a map, records every call, and can be
 * told to fail, to ignore graceful stops (so only the timeout or a kill ends them), to
 * block in start, or to report an exit (also as its instances' commands ask: {@value #EXIT_COMMAND}
 * N, {@value #IGNORE_STOP_COMMAND}). Its console echoes input; its stats are fixed. It is
 * its own runtime plugin ("test-container", "test-vm"...): available, 10 s graceful stops,
 * every spec admitted as it is. Lives in test sources only: the daemon never registers it.
 */
public class TestDriver implements Driver, StatsSource, ConsoleSource, RuntimePlugin {

    private final InstanceType type;
    private final Map<String, Boolean> running = new ConcurrentHashMap<>();
    private final Map<String, CountDownLatch> stopSignals = new ConcurrentHashMap<>();
    private final List<String> calls = new CopyOnWriteArrayList<>();
    private final Set<String> prepared = ConcurrentHashMap.newKeySet();
    private final Map<String, RuntimeStatus> exited = new ConcurrentHashMap<>(); // how each last run ended on its own
    private volatile ExitListener exitListener = (id, status) -> { };
    private volatile String failPrepare;
    private volatile RuntimeException prepareBug;
    private volatile String failStart;
    private final java.util.concurrent.atomic.AtomicInteger passingStartFailures = new java.util.concurrent.atomic.AtomicInteger();
    private volatile String passingStartFailure;
    private volatile String failRuntime;
    private volatile boolean ignoreGracefulStop;
    private volatile CountDownLatch startGate;
    private volatile CountDownLatch killGate;

    public TestDriver(InstanceType type) {
        this.type = type;
    }

    @Override
    public InstanceType type() {
        return type;
    }

    @Override
    public String name() {
        return "test-" + type.name().toLowerCase(java.util.Locale.ROOT);
    }

    @Override
    public java.util.Optional<String> unavailable() {
        return java.util.Optional.empty();
    }

    @Override
    public Duration stopTimeout() {
        return Duration.ofSeconds(10);
    }

    @Override
    public InstanceSpec admit(InstanceSpec spec, Metadata metadata) {
        return spec;
    }

    @Override
    public Driver open(RuntimeContext context) {
        return this;
    }

    @Override
    public Provisioned prepare(Instance instance) {
        calls.add("prepare " + instance.id());
        if (failPrepare != null) {
            throw new DriverException(failPrepare);
        }
        if (prepareBug != null) {
            throw prepareBug;
        }
        prepared.add(instance.id());
        return new Provisioned("10.77.0." + (Math.abs(instance.id().hashCode()) % 250 + 2));
    }

    @Override
    public void start(Instance instance) {
        calls.add("start " + instance.id());
        if (failStart != null) {
            throw new DriverException(failStart);
        }
        if (passingStartFailures.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
            throw new DriverException(passingStartFailure, null, true);
        }
        CountDownLatch gate = startGate;
        CountDownLatch stop = new CountDownLatch(1);
        stopSignals.put(instance.id(), stop);
        if (gate != null) {
            try {
                // A start in flight: ends when the gate opens or a kill arrives.
                while (!gate.await(10, TimeUnit.MILLISECONDS)) {
                    if (stop.getCount() == 0) {
                        throw new DriverException("killed while starting");
                    }
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        exited.remove(instance.id());
        running.put(instance.id(), true);
        List<String> command = instance.spec().command();
        if (command.size() == 2 && command.get(0).equals(EXIT_COMMAND)) {
            int code = Integer.parseInt(command.get(1));
            Thread exiter = new Thread(() -> {
                sleepQuietly(20);
                if (running.containsKey(instance.id())) {
                    exit(instance.id(), code);
                }
            }, "test-exit-" + instance.id());
            exiter.setDaemon(true);
            exiter.start();
        }
    }

    /** A command that makes the instance exit on its own with the code given as its argument. */
    public static final String EXIT_COMMAND = "test-exit";
    /** A command that makes the instance ignore graceful stops, whatever {@link #ignoreGracefulStop} says. */
    public static final String IGNORE_STOP_COMMAND = "test-ignore-stop";

    private static void sleepQuietly(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void stop(Instance instance, Duration timeout) {
        calls.add("stop " + instance.id() + " " + timeout.toSeconds() + "s");
        CountDownLatch signal = stopSignals.get(instance.id());
        boolean ignores = ignoreGracefulStop || instance.spec().command().equals(List.of(IGNORE_STOP_COMMAND));
        if (ignores && signal != null) {
            try {
                if (!signal.await(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                    calls.add("timeout-kill " + instance.id());
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        running.remove(instance.id());
    }

    @Override
    public void kill(Instance instance) {
        calls.add("kill " + instance.id());
        CountDownLatch signal = stopSignals.get(instance.id());
        if (signal != null) {
            signal.countDown();
        }
        running.remove(instance.id());
        CountDownLatch gate = killGate;
        if (gate != null) {
            try {
                // A kill still tidying up (runc delete, conmon going) after the process died.
                gate.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            calls.add("killed " + instance.id());
        }
    }

    /** Makes every kill, once the instance is down, wait until the returned latch is counted down. */
    public CountDownLatch holdKills() {
        CountDownLatch gate = new CountDownLatch(1);
        killGate = gate;
        return gate;
    }

    @Override
    public void destroy(Instance instance) {
        calls.add("destroy " + instance.id());
        prepared.remove(instance.id());
        exited.remove(instance.id());
        running.remove(instance.id());
    }

    @Override
    public RuntimeStatus recover(Instance instance) {
        calls.add("recover " + instance.id());
        return inspect(instance);
    }

    @Override
    public RuntimeStatus inspect(Instance instance) {
        if (running.containsKey(instance.id())) {
            return RuntimeStatus.RUNNING;
        }
        return exited.getOrDefault(instance.id(), RuntimeStatus.ABSENT);
    }

    @Override
    public void setExitListener(ExitListener listener) {
        this.exitListener = listener;
    }

    @Override
    public InstanceStats stats(Instance instance) {
        if (failRuntime != null) {
            throw new DriverException(failRuntime);
        }
        return new InstanceStats(instance.id(), 12.5f, 1_000_000, 64L << 20, instance.spec().memoryBytes(),
                4096, 8192, 100, 200, Instant.now());
    }

    @Override
    public ConsoleSession attach(Instance instance, ConsoleOutput output) {
        if (failRuntime != null) {
            throw new DriverException(failRuntime);
        }
        output.onData("welcome\r\n".getBytes());
        return new ConsoleSession() {
            private final ByteArrayOutputStream seen = new ByteArrayOutputStream();

            @Override
            public void write(byte[] input) {
                seen.writeBytes(input);
                output.onData(input);
            }

            @Override
            public void resize(int rows, int cols) {
                output.onData(("resized " + rows + "x" + cols + "\r\n").getBytes());
            }

            @Override
            public void close() {
                calls.add("detach " + instance.id());
            }
        };
    }

    /** Makes the instance's main process "exit" on its own with the code. */
    public void exit(String instanceId, int code) {
        running.remove(instanceId);
        exited.put(instanceId, RuntimeStatus.exited(code, ""));
        exitListener.onExit(instanceId, RuntimeStatus.exited(code, ""));
    }

    /** Forgets a running instance silently, as if it died with no event (the relist must notice). */
    public void vanish(String instanceId) {
        running.remove(instanceId);
    }

    /** Marks an instance as running, as a runtime that survived a daemon restart would. */
    public void adopt(String instanceId) {
        running.put(instanceId, true);
    }

    public boolean isPrepared(String instanceId) {
        return prepared.contains(instanceId);
    }

    public boolean isRunning(String instanceId) {
        return running.containsKey(instanceId);
    }

    /** Adds a call to {@link #calls()}, for subclasses with more capabilities. */
    protected void record(String call) {
        calls.add(call);
    }

    public List<String> calls() {
        return List.copyOf(calls);
    }

    public void failPrepare(String message) {
        this.failPrepare = message;
    }

    /** Makes prepare throw something that is not a DriverException, as a buggy driver would. */
    public void failPrepareWith(RuntimeException bug) {
        this.prepareBug = bug;
    }

    /** Makes stats and attach fail as a runtime does when the instance's process just went away. */
    public void failRuntimeAccess(String message) {
        this.failRuntime = message;
    }

    public void failStart(String message) {
        this.failStart = message;
    }

    /** Makes the next {@code times} starts fail in a way worth retrying (as a busy device), then succeed. */
    public void failStartsPassingly(String message, int times) {
        this.passingStartFailure = message;
        this.passingStartFailures.set(times);
    }

    public void ignoreGracefulStop(boolean ignore) {
        this.ignoreGracefulStop = ignore;
    }

    /** Holds every start until the returned latch is counted down (or the instance is killed). */
    public CountDownLatch holdStarts() {
        CountDownLatch gate = new CountDownLatch(1);
        startGate = gate;
        return gate;
    }

    public void releaseStarts() {
        CountDownLatch gate = startGate;
        startGate = null;
        if (gate != null) {
            gate.countDown();
        }
    }
}
