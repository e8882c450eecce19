package dev.hypervisor.core.reconcile;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.Executor;
import org.junit.jupiter.api.Test;

/** The queue's promises, on an executor that runs tasks only when the test says so. */
class WorkQueueTest {

    /** Holds tasks until {@link #runNext()}. */
    private static final class ManualExecutor implements Executor {
        final Deque<Runnable> tasks = new ArrayDeque<>();

        @Override
        public void execute(Runnable task) {
            tasks.add(task);
        }

        void runNext() {
            tasks.removeFirst().run();
        }
    }

    private final ManualExecutor executor = new ManualExecutor();
    private final List<String> passes = new ArrayList<>();

    @Test
    void aKeyQueuedOftenBeforeItsPassRunsGetsOnePass() {
        WorkQueue queue = new WorkQueue(executor, passes::add);
        queue.enqueue("a");
        queue.enqueue("a");
        queue.enqueue("a");
        assertThat(executor.tasks).hasSize(1);
        assertThat(queue.running("a")).isTrue();
        executor.runNext();
        assertThat(passes).containsExactly("a"); // the pass had not begun: it reads what all three asked for
        assertThat(queue.running("a")).isFalse();
    }

    @Test
    void aKeyQueuedDuringItsPassGetsExactlyOneMoreAfterItNeverAParallelOne() {
        List<Boolean> queuedAgainSeen = new ArrayList<>();
        WorkQueue[] holder = new WorkQueue[1];
        holder[0] = new WorkQueue(executor, key -> {
            passes.add(key);
            if (passes.size() == 1) {
                holder[0].enqueue(key);
                holder[0].enqueue(key);
                queuedAgainSeen.add(holder[0].queuedAgain(key));
            }
        });
        WorkQueue queue = holder[0];
        queue.enqueue("a");
        executor.runNext();
        assertThat(passes).containsExactly("a", "a");
        assertThat(queuedAgainSeen).containsExactly(true);
        assertThat(executor.tasks).isEmpty();
        assertThat(queue.queuedAgain("a")).isFalse();
    }

    @Test
    void differentKeysRunAsSeparateTasks() {
        WorkQueue queue = new WorkQueue(executor, passes::add);
        queue.enqueue("a");
        queue.enqueue("b");
        assertThat(executor.tasks).hasSize(2);
        executor.runNext();
        executor.runNext();
        assertThat(passes).containsExactly("a", "b");
    }

    @Test
    void aFailingPassDoesNotLeaveTheKeyStuck() {
        WorkQueue queue = new WorkQueue(executor, key -> {
            passes.add(key);
            throw new IllegalStateException("bug");
        });
        queue.enqueue("a");
        executor.runNext();
        assertThat(queue.running("a")).isFalse();
        queue.enqueue("a");
        executor.runNext();
        assertThat(passes).containsExactly("a", "a");
    }
}
