package dev.hypervisor.core.driver;

/** One viewer's attachment to a console; closing it detaches without disturbing the instance. */
public interface ConsoleSession extends AutoCloseable {
    void write(byte[] input);

    /** Resizes the terminal; serial consoles ignore it. */
    void resize(int rows, int cols);

    @Override
    void close();
}
