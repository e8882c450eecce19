package dev.hypervisor.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;

/** The CPU a JVM's JIT compiler threads have used, read from /proc: how a warm-up knows the compiling is done. */
public final class JitActivity {

    private JitActivity() {}

    /** Clock ticks (1/100 s) the C1 and C2 compiler threads of process {@code pid} have used so far. */
    public static long compilerTicks(long pid) {
        Path tasks = Path.of("/proc", Long.toString(pid), "task");
        try (Stream<Path> threads = Files.list(tasks)) {
            return threads.mapToLong(JitActivity::compilerThreadTicks).sum();
        } catch (IOException e) {
            throw new IllegalStateException("cannot read the threads of process " + pid + ": " + e.getMessage(), e);
        }
    }

    private static long compilerThreadTicks(Path task) {
        try {
            String stat = Files.readString(task.resolve("stat"));
            String name = stat.substring(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
            if (!name.startsWith("C1 CompilerThre") && !name.startsWith("C2 CompilerThre")) {
                return 0;
            }
            String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            return Long.parseLong(fields[11]) + Long.parseLong(fields[12]);
        } catch (IOException e) {
            return 0; // the thread ended meanwhile (compiler threads come and go)
        }
    }
}
