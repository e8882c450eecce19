package dev.hypervisor.container;

import java.io.IOException;
import java.nio.file.ClosedWatchServiceException;
import java.nio.file.FileSystems;
import java.nio.file.Path;
import java.nio.file.StandardWatchEventKinds;
import java.nio.file.WatchEvent;
import java.nio.file.WatchKey;
import java.nio.file.WatchService;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Learns of container exits as they happen: conmon writes {@code exits/<id>} when a container's
 * main process ends, and an inotify watch on that directory (the JDK's WatchService) reports
 * the id. Exits missed while the daemon was down are found by the driver's recover and the
 * reconciler's relist, which read the same files.
 */
final class ExitMonitor implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(ExitMonitor.class);

    private final WatchService watcher;
    private final Thread thread;

    ExitMonitor(Path exitDir, Consumer<String> onExitFile) throws IOException {
        watcher = FileSystems.getDefault().newWatchService();
        // conmon creates the file, then writes the code: MODIFY brings the content.
        exitDir.register(watcher, StandardWatchEventKinds.ENTRY_CREATE, StandardWatchEventKinds.ENTRY_MODIFY);
        thread = new Thread(() -> loop(onExitFile), "container-exits");
        thread.setDaemon(true);
        thread.start();
    }

    private void loop(Consumer<String> onExitFile) {
        try {
            while (true) {
                WatchKey key = watcher.take();
                for (WatchEvent<?> event : key.pollEvents()) {
                    if (event.context() instanceof Path file) {
                        try {
                            onExitFile.accept(file.getFileName().toString());
                        } catch (RuntimeException e) {
                            LOG.warn("handling the exit of {} failed: {}", file, e.toString());
                        }
                    }
                }
                key.reset();
            }
        } catch (InterruptedException | ClosedWatchServiceException e) {
            // closing
        }
    }

    @Override
    public void close() {
        try {
            watcher.close();
        } catch (IOException e) {
            LOG.debug("closing the exit watch: {}", e.toString());
        }
        thread.interrupt();
    }
}
