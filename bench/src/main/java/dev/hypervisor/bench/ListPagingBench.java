package dev.hypervisor.bench;

import dev.hypervisor.api.v1.ComputeServiceGrpc;
import dev.hypervisor.api.v1.Instance;
import dev.hypervisor.api.v1.InstanceState;
import dev.hypervisor.api.v1.ListInstancesRequest;
import dev.hypervisor.api.v1.ListInstancesResponse;
import dev.hypervisor.testkit.DaemonProcess;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/** Figure 2: the p50 of a filtered ListInstances page of 100 on a large store against a small one. */
final class ListPagingBench {

    // Pages are walked with next_page_token from random starting points (tokens collected by
    // a first, unmeasured walk) after the same warm-up on both stores; only full pages count,
    // so a short last page cannot flatter either store.

    static final int PAGE = 100;
    private static final int WALK = 10;
    private static final int SLICE = 20;

    /** A filter under test and what every instance it returns must satisfy. */
    private record Filter(String name, ListInstancesRequest request, Predicate<Instance> matches) {}

    /** One store's daemon: its stub, the page tokens of each filter, and the page times. */
    private record Side(ComputeServiceGrpc.ComputeServiceBlockingStub stub, List<List<String>> tokens,
            List<Percentiles> pages) {
        Side(DaemonProcess daemon) {
            this(ComputeServiceGrpc.newBlockingStub(daemon.newChannel()), new ArrayList<>(), new ArrayList<>());
        }
    }

    private final ControlPlaneOptions options;
    private final Side small;
    private final Side large;
    private final List<Filter> filters = List.of(
            new Filter("state=RUNNING", ListInstancesRequest.newBuilder().setState(InstanceState.INSTANCE_STATE_RUNNING)
                    .setPageSize(PAGE).build(), i -> i.getState() == InstanceState.INSTANCE_STATE_RUNNING),
            new Filter("label tier=a", ListInstancesRequest.newBuilder().putLabels("tier", "a").setPageSize(PAGE).build(),
                    i -> "a".equals(i.getMetadata().getLabelsMap().get("tier"))));
    private final Random random = new Random(42);

    ListPagingBench(DaemonProcess smallStore, DaemonProcess largeStore, ControlPlaneOptions options) {
        this.options = options;
        this.small = new Side(smallStore);
        this.large = new Side(largeStore);
    }

    void run(Report report, int smallCount, int largeCount) {
        for (Side side : List.of(small, large)) {
            for (Filter filter : filters) {
                side.tokens().add(collectTokens(side, filter));
                side.pages().add(new Percentiles());
            }
        }
        // The token walk is 5 pages on a 1k store and 500 on 100k: warm both up alike before measuring.
        // Both JVMs (and this client's parsing) need a few thousand decoded instances before C2 settles.
        for (int pass = 0; pass < 2; pass++) {
            for (Side side : pass == 0 ? List.of(small, large) : List.of(large, small)) {
                for (int f = 0; f < filters.size(); f++) {
                    measure(side, f, Math.max(250, options.pagesPerFilter / 2), new Percentiles());
                }
            }
        }
        // Small slices, alternating which store goes first, so drift (JIT, other processes) hits both alike.
        int slices = Math.max(2, options.pagesPerFilter / SLICE);
        int perSlice = Math.max(1, options.pagesPerFilter / slices);
        for (int slice = 0; slice < slices; slice++) {
            List<Side> order = slice % 2 == 0 ? List.of(small, large) : List.of(large, small);
            for (int f = 0; f < filters.size(); f++) {
                for (Side side : order) {
                    measure(side, f, perSlice, side.pages().get(f));
                }
            }
        }
        for (int f = 0; f < filters.size(); f++) {
            report.latency(String.format("2 ListInstances page of %d, %s, p50, %s vs %s stored", PAGE,
                    filters.get(f).name(), Report.count(largeCount), Report.count(smallCount)),
                    large.pages().get(f), small.pages().get(f), 50, 1.2);
        }
    }

    /** Walks every page once: the tokens are the random starting points of the measurement. */
    private List<String> collectTokens(Side side, Filter filter) {
        List<String> tokens = new ArrayList<>(List.of(""));
        String token = "";
        for (int page = 0; page < 10_000_000 / PAGE; page++) {
            token = call(side, filter, token).getNextPageToken();
            if (token.isEmpty()) {
                return tokens;
            }
            tokens.add(token);
        }
        throw new IllegalStateException("ListInstances never reached its last page");
    }

    private void measure(Side side, int f, int pages, Percentiles into) {
        Filter filter = filters.get(f);
        List<String> tokens = side.tokens().get(f);
        int measured = 0;
        for (int attempt = 0; attempt < pages * 4 && measured < pages; attempt++) {
            String token = tokens.get(random.nextInt(tokens.size()));
            for (int step = 0; step < WALK && measured < pages; step++) {
                long began = System.nanoTime();
                ListInstancesResponse response = call(side, filter, token);
                long took = System.nanoTime() - began;
                if (response.getInstancesCount() == PAGE) {
                    into.add(took);
                    measured++;
                }
                token = response.getNextPageToken();
                if (token.isEmpty()) {
                    break;
                }
            }
        }
        if (measured < pages) {
            throw new IllegalStateException("only " + measured + " full pages for " + filter.name()
                    + "; is the store big enough for pages of " + PAGE + "?");
        }
    }

    private static ListInstancesResponse call(Side side, Filter filter, String token) {
        ListInstancesResponse response = side.stub().withDeadlineAfter(30, TimeUnit.SECONDS)
                .listInstances(filter.request().toBuilder().setPageToken(token).build());
        for (Instance instance : response.getInstancesList()) {
            if (!filter.matches().test(instance)) {
                throw new IllegalStateException("ListInstances " + filter.name() + " returned " + instance.getId()
                        + " that does not match");
            }
        }
        return response;
    }
}
