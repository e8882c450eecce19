package dev.hypervisor.store.etcd;

import static java.nio.charset.StandardCharsets.UTF_8;

import dev.hypervisor.core.error.DomainException;
import dev.hypervisor.core.error.ErrorCode;
import dev.hypervisor.core.store.KeyValue;
import dev.hypervisor.core.store.Keys;
import dev.hypervisor.core.store.RangeResult;
import dev.hypervisor.core.store.Store;
import dev.hypervisor.core.store.Txn;
import dev.hypervisor.core.store.TxnResult;
import dev.hypervisor.core.store.Watch;
import dev.hypervisor.core.store.WatchListener;
import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.ClientBuilder;
import io.etcd.jetcd.KV;
import io.etcd.jetcd.kv.GetResponse;
import io.etcd.jetcd.kv.TxnResponse;
import io.etcd.jetcd.op.Cmp;
import io.etcd.jetcd.op.CmpTarget;
import io.etcd.jetcd.op.Op;
import io.etcd.jetcd.options.DeleteOption;
import io.etcd.jetcd.options.GetOption;
import io.etcd.jetcd.options.PutOption;
import java.io.IOException;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The store port on etcd, one to one: a transaction is an etcd {@code Txn} whose comparisons
 * are on {@code mod_revision}, a range is an etcd range from the key after the last one with a
 * limit, a watch is an etcd watch from a revision (resumed when it breaks), compaction is
 * etcd's. Keys live under the configured prefix.
 *
 * <p>Revisions are etcd's less one: a fresh etcd is at revision 1 with nothing in it, which
 * the port calls revision 0, so the first commit is revision 1 on both sides of the port.
 *
 * <p>Nothing is resent blindly (jetcd's auto-retry of writes stays off, jetcd#1444): reads are
 * retried by jetcd; a write whose answer was lost is read back, and reported committed only
 * when its effects are there at one revision, UNAVAILABLE otherwise, so a caller retries it
 * with its request id and the request log answers whether it already happened.
 */
public final class EtcdStore implements Store {

    private static final Logger LOG = LoggerFactory.getLogger(EtcdStore.class);

    /**
     * etcd's default {@code --max-txn-ops}. The daemon's own transactions stay below it; a larger
     * one is refused by etcd (INTERNAL, naming the setting) unless etcd runs with a higher limit.
     */
    public static final int MAX_TXN_OPS = 128;

    private final EtcdStoreOptions options;
    private final Client client;
    private final KV kv;
    private final String prefix;
    private final ScheduledExecutorService timer;
    private final Set<EtcdWatch> watches = ConcurrentHashMap.newKeySet();
    /** One etcd watch per watched prefix, shared by the port's watches on it. */
    private final Map<String, EtcdWatchHub> hubs = new ConcurrentHashMap<>();
    /** A lower bound of the compacted revision (the port's numbering); -1 before the first look. */
    private final AtomicLong compactedAtLeast = new AtomicLong(-1);
    /** The newest revision (the port's numbering) an answer has shown this client. */
    private final AtomicLong heardRevision = new AtomicLong();
    private volatile boolean closed;

    private EtcdStore(EtcdStoreOptions options, Client client) {
        this.options = options;
        this.client = client;
        this.kv = client.getKVClient();
        this.prefix = options.prefix();
        ScheduledThreadPoolExecutor t = new ScheduledThreadPoolExecutor(1, r -> {
            Thread thread = new Thread(r, "etcd-store-timer");
            thread.setDaemon(true);
            return thread;
        });
        t.setRemoveOnCancelPolicy(true);
        this.timer = t;
        long every = options.progressInterval().toMillis();
        timer.scheduleWithFixedDelay(this::checkWatches, every, every, TimeUnit.MILLISECONDS);
        if (!options.history().isZero()) {
            EtcdCompactor compactor = new EtcdCompactor(this, options.history());
            long interval = EtcdCompactor.interval(options.history()).toMillis();
            timer.scheduleWithFixedDelay(() -> {
                try {
                    compactor.tick(java.time.Instant.now());
                } catch (RuntimeException e) {
                    LOG.warn("compacting etcd's history: {}", e.toString());
                }
            }, interval, interval, TimeUnit.MILLISECONDS);
        }
    }

    /** Connects and reads the current revision once, so that a wrong address fails here, UNAVAILABLE. */
    public static EtcdStore open(EtcdStoreOptions options) {
        EtcdStore store = new EtcdStore(options, client(options));
        try {
            store.revision();
        } catch (RuntimeException e) {
            store.close();
            throw DomainException.unavailable("cannot reach the store " + options + ": " + e.getMessage(), e);
        }
        return store;
    }

    private static Client client(EtcdStoreOptions options) {
        ClientBuilder builder = Client.builder()
                .endpoints(options.endpoints().toArray(java.net.URI[]::new))
                // Fail a call at once when no member is reachable instead of queueing it until one is.
                .waitForReady(false)
                .connectTimeout(options.timeout())
                .keepaliveTime(java.time.Duration.ofSeconds(10))
                .keepaliveTimeout(java.time.Duration.ofSeconds(5))
                .retryMaxDuration(options.timeout());
        if (options.ca() != null) {
            try {
                builder.sslContext(ssl -> {
                    ssl.trustManager(options.ca().toFile());
                    if (options.cert() != null) {
                        ssl.keyManager(options.cert().toFile(), options.key().toFile());
                    }
                });
            } catch (javax.net.ssl.SSLException e) {
                throw new IllegalArgumentException("etcd TLS: " + e.getMessage(), e);
            }
        }
        if (options.user() != null) {
            try {
                String password = Files.readString(options.passwordFile(), UTF_8).strip();
                builder.user(ByteSequence.from(options.user(), UTF_8)).password(ByteSequence.from(password, UTF_8));
            } catch (IOException e) {
                throw new IllegalArgumentException("cannot read the etcd password file " + options.passwordFile() + ": " + e, e);
            }
        }
        return builder.build();
    }

    // --- reads ---

    @Override
    public long revision() {
        return heard(await("read the revision", kv.get(probeKey())).getHeader().getRevision());
    }

    @Override
    public Optional<KeyValue> get(String key) {
        Keys.require(key);
        GetResponse r = await("get " + key, kv.get(bytes(key)));
        heard(r.getHeader().getRevision());
        return r.getKvs().stream().findFirst().map(this::keyValue);
    }

    @Override
    public List<KeyValue> getAll(Collection<String> keys) {
        TreeSet<String> sorted = new TreeSet<>(Keys.CODE_POINTS);
        keys.forEach(k -> sorted.add(Keys.require(k)));
        List<String> all = new ArrayList<>(sorted);
        List<KeyValue> found = new ArrayList<>();
        for (int from = 0; from < all.size(); from += MAX_TXN_OPS) {
            List<String> chunk = all.subList(from, Math.min(all.size(), from + MAX_TXN_OPS));
            Op[] gets = chunk.stream().map(k -> (Op) Op.get(bytes(k), GetOption.DEFAULT)).toArray(Op[]::new);
            TxnResponse r = await("get " + chunk.size() + " keys", kv.txn().Then(gets).commit());
            heard(r.getHeader().getRevision());
            r.getGetResponses().forEach(g -> g.getKvs().forEach(kv -> found.add(keyValue(kv))));
        }
        return found;
    }

    @Override
    public RangeResult range(String prefix, String startAfter, int limit) {
        if (prefix == null) {
            throw DomainException.invalidArgument("prefix", "must not be null");
        }
        if (limit <= 0) {
            throw DomainException.invalidArgument("limit", "must be positive, got " + limit);
        }
        String after = startAfter == null ? "" : startAfter;
        // The first key after startAfter is startAfter + NUL, in code-point and in byte order alike.
        ByteSequence from = !after.isEmpty() && Keys.CODE_POINTS.compare(after, prefix) >= 0
                ? bytes(after + '\0') : rangeStart(prefix);
        GetResponse r = await("range " + prefix, kv.get(from,
                GetOption.builder().withRange(rangeEnd(prefix)).withLimit(limit).build()));
        return new RangeResult(r.getKvs().stream().map(this::keyValue).toList(), r.isMore(),
                heard(r.getHeader().getRevision()));
    }

    // --- writes ---

    @Override
    public CompletableFuture<TxnResult> commit(Txn txn) {
        List<Txn.Op> ops;
        try {
            Keys.requireValid(txn);
            ensureOpen("commit");
            ops = lastOpPerKey(txn.ops());
        } catch (DomainException e) {
            return CompletableFuture.failedFuture(e);
        }
        List<String> compared = txn.compares().stream().map(Txn.Compare::key).distinct().toList();
        Cmp[] cmps = txn.compares().stream()
                .map(c -> new Cmp(bytes(c.key()), Cmp.Op.EQUAL, CmpTarget.modRevision(etcdKeyRevision(c.modRevision()))))
                .toArray(Cmp[]::new);
        Op[] writes = ops.stream().map(this::etcdOp).toArray(Op[]::new);
        // Whatever this write commits lands after every revision heard so far and every compared one.
        long after = Math.max(heardRevision.get(),
                txn.compares().stream().mapToLong(Txn.Compare::modRevision).max().orElse(0));
        // On a failed comparison the else branch reads the compared keys, to name the first that failed.
        Op[] reads = compared.stream().map(k -> (Op) Op.get(bytes(k), GetOption.DEFAULT)).toArray(Op[]::new);
        CompletableFuture<TxnResponse> sent = kv.txn().If(cmps).Then(writes).Else(reads).commit()
                .orTimeout(options.timeout().toMillis(), TimeUnit.MILLISECONDS);
        return sent.handle((response, error) -> {
            if (error == null) {
                return CompletableFuture.completedFuture(outcome(txn, compared, response));
            }
            if (!closed && !ops.isEmpty() && EtcdFailures.outcomeUnknown(error)) {
                return readBack(ops, after, error, READ_BACK_ATTEMPTS);
            }
            return CompletableFuture.<TxnResult>failedFuture(closed
                    ? DomainException.unavailable("commit: the store is closed", error) : EtcdFailures.of("commit", error));
        }).thenCompose(f -> f);
    }

    private TxnResult outcome(Txn txn, List<String> compared, TxnResponse response) {
        long revision = heard(response.getHeader().getRevision());
        if (response.isSucceeded()) {
            return TxnResult.success(revision);
        }
        Map<String, Long> current = new HashMap<>();
        compared.forEach(k -> current.put(k, 0L));
        response.getGetResponses().forEach(g -> g.getKvs().forEach(kv -> current.put(key(kv.getKey()), ours(kv.getModRevision()))));
        for (Txn.Compare c : txn.compares()) {
            if (current.getOrDefault(c.key(), 0L) != c.modRevision()) {
                return TxnResult.failure(revision, c.key());
            }
        }
        return TxnResult.failure(revision, txn.compares().get(0).key());
    }

    /**
     * The answer to a write was lost: it may or may not have been applied. Its effects are
     * read back; all of them present, the puts at one revision newer than {@code after} (so not
     * an earlier write of the same values), means it committed at that revision. Anything else,
     * a write of deletes only among it, is UNAVAILABLE, never a blind resend. The read itself
     * may meet the same broken connection before the client has reconnected: it is tried again,
     * a few times, before the outcome is given up as unknown.
     */
    private CompletableFuture<TxnResult> readBack(List<Txn.Op> ops, long after, Throwable lost, int attemptsLeft) {
        Op[] gets = ops.stream().map(op -> (Op) Op.get(bytes(op.key()), GetOption.DEFAULT)).toArray(Op[]::new);
        return kv.txn().Then(gets).commit().orTimeout(options.timeout().toMillis(), TimeUnit.MILLISECONDS)
                .handle((response, error) -> {
                    if (error != null && attemptsLeft > 1) {
                        return CompletableFuture.supplyAsync(() -> null,
                                CompletableFuture.delayedExecutor(READ_BACK_PAUSE.toMillis(), TimeUnit.MILLISECONDS, timer))
                                .thenCompose(ignored -> readBack(ops, after, lost, attemptsLeft - 1));
                    }
                    if (error == null) {
                        Long committedAt = committedRevision(ops, after, response);
                        if (committedAt != null) {
                            LOG.info("etcd's answer to a commit was lost ({}); read back: it committed at revision {}",
                                    EtcdFailures.unwrap(lost).getMessage(), committedAt);
                            return CompletableFuture.completedFuture(TxnResult.success(committedAt));
                        }
                        throw DomainException.unavailable("commit: etcd did not answer (" + EtcdFailures.unwrap(lost)
                                .getMessage() + ") and the write is not visible as its own; it may still commit,"
                                + " retry it (with the same request_id)", lost);
                    }
                    throw DomainException.unavailable("commit: etcd did not answer (" + EtcdFailures.unwrap(lost)
                            .getMessage() + ") and reading the write back failed too (" + EtcdFailures.unwrap(error)
                            .getMessage() + "): it may or may not have committed; retry it (with the same request_id)", lost);
                }).thenCompose(f -> f);
    }

    /** How often a lost write is read back before its outcome is called unknown, and the pause between. */
    private static final int READ_BACK_ATTEMPTS = 5;
    private static final java.time.Duration READ_BACK_PAUSE = java.time.Duration.ofMillis(200);

    private Long committedRevision(List<Txn.Op> ops, long after, TxnResponse response) {
        List<GetResponse> reads = response.getGetResponses();
        Long at = null;
        for (int i = 0; i < ops.size(); i++) {
            List<io.etcd.jetcd.KeyValue> found = reads.get(i).getKvs();
            if (ops.get(i) instanceof Txn.Put put) {
                if (found.isEmpty() || !Arrays.equals(found.get(0).getValue().getBytes(), put.value())) {
                    return null;
                }
                long rev = ours(found.get(0).getModRevision());
                if (rev <= after || at != null && at != rev) {
                    return null;
                }
                at = rev;
            } else if (!found.isEmpty()) {
                return null;
            }
        }
        return at; // deletes only leave nothing that tells this write from an earlier one
    }

    /** Notes a revision an answer carried; returns it in the port's numbering. */
    private long heard(long etcdRevision) {
        long revision = ours(etcdRevision);
        heardRevision.accumulateAndGet(revision, Math::max);
        return revision;
    }

    /** etcd refuses two operations on one key in a transaction; the last one is what sequential application leaves. */
    private static List<Txn.Op> lastOpPerKey(List<Txn.Op> ops) {
        Map<String, Txn.Op> last = new LinkedHashMap<>();
        for (Txn.Op op : ops) {
            last.remove(op.key());
            last.put(op.key(), op);
        }
        return List.copyOf(last.values());
    }

    private Op etcdOp(Txn.Op op) {
        if (op instanceof Txn.Put put) {
            return Op.put(bytes(put.key()), ByteSequence.from(put.value()), PutOption.DEFAULT);
        }
        return Op.delete(bytes(op.key()), DeleteOption.DEFAULT);
    }

    // --- watches ---

    @Override
    public Watch watch(String prefix, long afterRevision, WatchListener listener) {
        if (prefix == null || listener == null || afterRevision < 0) {
            throw DomainException.invalidArgument("watch", "needs a prefix, a listener and afterRevision >= 0");
        }
        ensureOpen("watch");
        long from = afterRevision;
        if (from == 0) {
            from = revision();
        } else {
            long compacted = compactedRevision();
            if (from < compacted) {
                throw compactedError(from, compacted);
            }
        }
        while (true) {
            EtcdWatchHub hub = hubs.computeIfAbsent(prefix, p -> new EtcdWatchHub(this, p, h -> hubs.remove(p, h)));
            Watch shared = hub.subscribe(from, listener);
            if (shared != null) {
                return shared;
            }
            if (hubs.get(prefix) == hub) {
                break; // the hub is open but holds no history back to this revision
            }
        }
        EtcdWatch own = new EtcdWatch(this, prefix, from, listener);
        register(own);
        own.open();
        return own;
    }

    void register(EtcdWatch watch) {
        watches.add(watch);
    }

    static DomainException compactedError(long requested, long compacted) {
        return new DomainException(ErrorCode.OUT_OF_RANGE, "revision " + requested
                + " has been compacted; the oldest available is " + compacted);
    }

    private void checkWatches() {
        for (EtcdWatch w : watches) {
            try {
                w.checkProgress(options.progressInterval());
            } catch (RuntimeException e) {
                LOG.warn("checking a watch on {}: {}", w.prefix(), e.toString());
            }
        }
    }

    void forget(EtcdWatch watch) {
        watches.remove(watch);
    }

    Client client() {
        return client;
    }

    ScheduledExecutorService timer() {
        return timer;
    }

    boolean closed() {
        return closed;
    }

    // --- compaction ---

    @Override
    public long compactedRevision() {
        long known = Math.max(0, compactedAtLeast.get());
        // A read at etcd revision E fails iff E is below etcd's compact revision C; the port's compacted revision is C - 1.
        long lo = known + 1;
        if (readableAt(lo)) {
            compactedAtLeast.accumulateAndGet(known, Math::max);
            return known;
        }
        long hi = etcdRevision(revision());
        while (lo + 1 < hi) {
            long mid = (lo + hi) >>> 1;
            if (readableAt(mid)) {
                hi = mid;
            } else {
                lo = mid;
            }
        }
        long compacted = hi - 1;
        compactedAtLeast.accumulateAndGet(compacted, Math::max);
        return compacted;
    }

    @Override
    public void compact(long revision) {
        long current = revision();
        if (revision > current) {
            throw new DomainException(ErrorCode.OUT_OF_RANGE, "cannot compact to revision " + revision
                    + ": the store is at revision " + current);
        }
        if (revision <= compactedRevision()) {
            return;
        }
        try {
            await("compact to revision " + revision, kv.compact(etcdRevision(revision)));
        } catch (DomainException e) {
            if (e.code() != ErrorCode.OUT_OF_RANGE || revision > current) {
                throw e;
            }
            // compacted further meanwhile (another daemon on the same etcd): nothing to do
        }
        compactedAtLeast.accumulateAndGet(revision, Math::max);
    }

    private boolean readableAt(long etcdRevision) {
        try {
            await("probe revision " + etcdRevision, kv.get(probeKey(), GetOption.builder().withRevision(etcdRevision).build()));
            return true;
        } catch (DomainException e) {
            if (e.code() == ErrorCode.OUT_OF_RANGE) {
                return false;
            }
            throw e;
        }
    }

    // --- lifecycle ---

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        for (EtcdWatch w : List.copyOf(watches)) {
            w.fail(DomainException.unavailable("the store was closed", null));
        }
        timer.shutdownNow();
        client.close();
    }

    private void ensureOpen(String what) {
        if (closed) {
            throw DomainException.unavailable(what + ": the store is closed", null);
        }
    }

    private <T> T await(String what, CompletableFuture<T> call) {
        ensureOpen(what);
        try {
            return call.get(options.timeout().toMillis(), TimeUnit.MILLISECONDS);
        } catch (ExecutionException | TimeoutException e) {
            call.cancel(true);
            throw closed ? DomainException.unavailable(what + ": the store is closed", e) : EtcdFailures.of(what, e);
        } catch (InterruptedException e) {
            call.cancel(true);
            Thread.currentThread().interrupt();
            throw DomainException.unavailable(what + ": interrupted", e);
        }
    }

    // --- keys and revisions ---

    ByteSequence bytes(String key) {
        if (!prefix.isEmpty() && !key.startsWith("/")) {
            throw DomainException.invalidArgument("key", "keys of a store under a prefix start with /, got " + key);
        }
        return ByteSequence.from(prefix + key, UTF_8);
    }

    String key(ByteSequence stored) {
        return stored.toString(UTF_8).substring(prefix.length());
    }

    /** Where a range over {@code keyPrefix} starts: the prefix itself, or NUL for everything. */
    ByteSequence rangeStart(String keyPrefix) {
        String full = scope(keyPrefix);
        return full.isEmpty() ? ByteSequence.from(new byte[] {0}) : ByteSequence.from(full, UTF_8);
    }

    /** The first key above every key under {@code keyPrefix}; NUL (etcd's "to the end") when there is none. */
    ByteSequence rangeEnd(String keyPrefix) {
        String end = Keys.prefixEnd(scope(keyPrefix));
        return end == null ? ByteSequence.from(new byte[] {0}) : ByteSequence.from(end, UTF_8);
    }

    /**
     * The etcd keys a key prefix covers. The whole of an installation under {@code /hv} is
     * {@code /hv/...}: its keys start with a slash, and {@code /hv2}'s keys are not its own.
     */
    private String scope(String keyPrefix) {
        return !prefix.isEmpty() && keyPrefix.isEmpty() ? prefix + "/" : prefix + keyPrefix;
    }

    /** A key nobody writes (NUL is not a character keys use), read only for the response's revision. */
    private ByteSequence probeKey() {
        return ByteSequence.from(prefix + "\0", UTF_8);
    }

    KeyValue keyValue(io.etcd.jetcd.KeyValue kv) {
        return new KeyValue(key(kv.getKey()), kv.getValue().getBytes(), ours(kv.getCreateRevision()), ours(kv.getModRevision()));
    }

    /** The port's revision for an etcd revision (etcd starts at 1 with nothing in it). */
    static long ours(long etcdRevision) {
        return Math.max(0, etcdRevision - 1);
    }

    static long etcdRevision(long ours) {
        return ours + 1;
    }

    /** A compared mod revision: 0 (absent) stays 0, as etcd compares a missing key. */
    private static long etcdKeyRevision(long ours) {
        return ours == 0 ? 0 : etcdRevision(ours);
    }

    @Override
    public String toString() {
        return options.toString();
    }
}
