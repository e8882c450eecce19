package dev.hypervisor.core.driver;

import dev.hypervisor.core.instance.Instance;

/** A driver that exposes an instance's console (a pty or a serial line). */
public interface ConsoleSource {

    /**
     * Attaches a viewer: recent output is replayed to {@code output} first, then live output
     * follows until the session is closed or the console ends ({@link ConsoleOutput#onEnd}).
     */
    ConsoleSession attach(Instance instance, ConsoleOutput output);
}
