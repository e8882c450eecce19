package dev.hypervisor.core.trust;

import dev.hypervisor.core.error.DomainException;
import dev.hypervisor.core.error.ErrorCode;
import dev.hypervisor.core.store.KeyValue;
import dev.hypervisor.core.store.RangeResult;
import dev.hypervisor.core.store.RecordCodec;
import dev.hypervisor.core.store.Store;
import dev.hypervisor.core.store.Txn;
import dev.hypervisor.core.store.Watch;
import dev.hypervisor.core.store.WatchEvent;
import dev.hypervisor.core.store.WatchListener;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;

/**
 * The trust store: client certificates trusted by fingerprint, and one-time join tokens that
 * make a certificate trusted. Both live in the store, so every node of a cluster trusts the
 * same clients; each node keeps the trusted set in memory, kept current by a watch, since
 * every call looks its caller up.
 *
 * <p>A token's secret is never stored, only its SHA-256: reading the store does not let one
 * join. Redeeming deletes the token and adds the client in one transaction, so a token joins
 * one client even when two race to redeem it.
 */
public final class TrustRegistry implements AutoCloseable {

    static final String CLIENTS = "/trust/clients/";
    static final String TOKENS = "/trust/tokens/";
    public static final Duration DEFAULT_TOKEN_TTL = Duration.ofHours(1);
    public static final Duration MAX_TOKEN_TTL = Duration.ofDays(7);
    private static final Pattern FINGERPRINT = Pattern.compile("[0-9a-f]{64}");
    private static final int MAX_NAME = 64;
    private static final int PAGE = 100;
    private static final String BAD_TOKEN = "the join token is unknown, used or expired: ask an admin for a new one"
            + " (hypervisord trust token --role ROLE)";

    /** A join token as stored: what it grants, until when, and who issued it. */
    record Token(Role role, String name, Instant expiresAt, String issuedBy) {}

    /** A token just issued: its secret, shown once, and its expiry. */
    public record Issued(String secret, Instant expiresAt) {}

    private final Store store;
    private final Clock clock;
    private final SecureRandom random = new SecureRandom();
    private final Map<String, TrustedClient> clients = new ConcurrentHashMap<>();
    private volatile Watch watch;
    private volatile boolean closed;

    public TrustRegistry(Store store, Clock clock) {
        this.store = store;
        this.clock = clock;
    }

    /** Loads the trusted clients and follows their changes. */
    public synchronized void start() {
        if (watch != null) {
            watch.close();
        }
        long revision = store.revision();
        Map<String, TrustedClient> loaded = new java.util.HashMap<>();
        String after = "";
        RangeResult page;
        do {
            page = store.range(CLIENTS, after, PAGE);
            for (KeyValue kv : page.kvs()) {
                TrustedClient c = RecordCodec.decode(kv.value(), TrustedClient.class);
                loaded.put(c.fingerprint(), c);
                after = kv.key();
            }
        } while (page.more());
        clients.keySet().retainAll(loaded.keySet());
        clients.putAll(loaded);
        watch = store.watch(CLIENTS, revision, new WatchListener() {
            @Override
            public void onEvents(List<WatchEvent> events) {
                for (WatchEvent e : events) {
                    String fingerprint = e.key().substring(CLIENTS.length());
                    if (e.type() == WatchEvent.Type.PUT) {
                        clients.put(fingerprint, RecordCodec.decode(e.value(), TrustedClient.class));
                    } else {
                        clients.remove(fingerprint);
                    }
                }
            }

            @Override
            public void onError(RuntimeException error) {
                resync();
            }
        });
    }

    private void resync() {
        Thread thread = new Thread(() -> {
            while (!closed) {
                try {
                    start();
                    return;
                } catch (RuntimeException e) {
                    try {
                        Thread.sleep(1000);
                    } catch (InterruptedException interrupted) {
                        return;
                    }
                }
            }
        }, "trust-resync");
        thread.setDaemon(true);
        thread.start();
    }

    /** The trusted client with this fingerprint, from memory. */
    public Optional<TrustedClient> lookup(String fingerprint) {
        return Optional.ofNullable(clients.get(fingerprint));
    }

    /** Every trusted client, by name, then fingerprint. */
    public List<TrustedClient> list() {
        List<TrustedClient> all = new ArrayList<>(clients.values());
        all.sort(Comparator.comparing(TrustedClient::name).thenComparing(TrustedClient::fingerprint));
        return all;
    }

    /** Trusts a certificate; ALREADY_EXISTS when its fingerprint is trusted already. */
    public TrustedClient add(String fingerprint, String name, Role role, String addedBy, Instant notAfter) {
        TrustedClient client = new TrustedClient(requireFingerprint(fingerprint), requireName("name", name),
                requireRole(role), clock.instant(), addedBy, notAfter);
        if (!store.commitAndWait(Txn.create().ifAbsent(CLIENTS + fingerprint)
                .put(CLIENTS + fingerprint, RecordCodec.encode(client))).succeeded()) {
            throw alreadyTrusted(fingerprint);
        }
        clients.put(fingerprint, client);
        return client;
    }

    /** Stops trusting a certificate; NOT_FOUND when it is not trusted. */
    public void remove(String fingerprint) {
        requireFingerprint(fingerprint);
        Optional<KeyValue> kv = store.get(CLIENTS + fingerprint);
        if (kv.isEmpty() || !store.commitAndWait(Txn.create().ifModRevision(CLIENTS + fingerprint, kv.get().modRevision())
                .delete(CLIENTS + fingerprint)).succeeded()) {
            throw DomainException.notFound("trusted certificate " + fingerprint);
        }
        clients.remove(fingerprint);
    }

    /**
     * Issues a join token for {@code role}, valid for {@code ttl} (null: an hour), that trusts the
     * certificate it is redeemed with under {@code name} (empty: the certificate's common name).
     * Expired tokens are swept on the way.
     */
    public Issued issueToken(Role role, String name, Duration ttl, String issuedBy) {
        requireRole(role);
        if (!name.isEmpty()) {
            requireName("name", name);
        }
        Duration valid = ttl == null || ttl.isZero() ? DEFAULT_TOKEN_TTL : ttl;
        if (valid.isNegative() || valid.compareTo(MAX_TOKEN_TTL) > 0) {
            throw DomainException.invalidArgument("ttl", "must be between 1s and " + MAX_TOKEN_TTL.toDays()
                    + " days, got " + valid.toSeconds() + "s");
        }
        sweepExpiredTokens();
        byte[] bytes = new byte[32];
        random.nextBytes(bytes);
        String secret = Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
        Instant expires = clock.instant().plus(valid);
        store.commitAndWait(Txn.create().put(TOKENS + hash(secret), RecordCodec.encode(new Token(role, name, expires,
                issuedBy))));
        return new Issued(secret, expires);
    }

    /**
     * Redeems a token for the certificate {@code fingerprint} (named {@code commonName} when the
     * token names no one): UNAUTHENTICATED when the token is unknown, used or expired,
     * ALREADY_EXISTS when the certificate is trusted already (the token stays unused).
     */
    public TrustedClient redeem(String secret, String fingerprint, String commonName, Instant notAfter) {
        requireFingerprint(fingerprint);
        String key = TOKENS + hash(secret == null ? "" : secret);
        Optional<KeyValue> kv = store.get(key);
        if (kv.isEmpty()) {
            throw new DomainException(ErrorCode.UNAUTHENTICATED, BAD_TOKEN);
        }
        Token token = RecordCodec.decode(kv.get().value(), Token.class);
        if (!clock.instant().isBefore(token.expiresAt())) {
            store.commitAndWait(Txn.create().ifModRevision(key, kv.get().modRevision()).delete(key));
            throw new DomainException(ErrorCode.UNAUTHENTICATED, BAD_TOKEN);
        }
        if (clients.containsKey(fingerprint)) {
            throw alreadyTrusted(fingerprint);
        }
        String name = token.name().isEmpty() ? requireName("certificate common name", commonName) : token.name();
        TrustedClient client = new TrustedClient(fingerprint, name, token.role(), clock.instant(),
                token.issuedBy(), notAfter);
        boolean joined = store.commitAndWait(Txn.create()
                .ifModRevision(key, kv.get().modRevision()).ifAbsent(CLIENTS + fingerprint)
                .delete(key).put(CLIENTS + fingerprint, RecordCodec.encode(client))).succeeded();
        if (!joined) {
            if (store.get(key).isEmpty()) {
                throw new DomainException(ErrorCode.UNAUTHENTICATED, BAD_TOKEN);
            }
            throw alreadyTrusted(fingerprint);
        }
        clients.put(fingerprint, client);
        return client;
    }

    private void sweepExpiredTokens() {
        Instant now = clock.instant();
        RangeResult page = store.range(TOKENS, "", PAGE);
        Txn sweep = Txn.create();
        boolean any = false;
        for (KeyValue kv : page.kvs()) {
            if (!now.isBefore(RecordCodec.decode(kv.value(), Token.class).expiresAt())) {
                sweep.ifModRevision(kv.key(), kv.modRevision()).delete(kv.key());
                any = true;
            }
        }
        if (any) {
            store.commitAndWait(sweep); // lost to a concurrent redeem or sweep: the next issue tries again
        }
    }

    private DomainException alreadyTrusted(String fingerprint) {
        TrustedClient existing = clients.get(fingerprint);
        return new DomainException(ErrorCode.ALREADY_EXISTS, "the certificate " + fingerprint + " is trusted already"
                + (existing == null ? "" : " as " + existing.name() + " (" + existing.role().label() + ")"));
    }

    static String requireFingerprint(String fingerprint) {
        if (fingerprint == null || !FINGERPRINT.matcher(fingerprint).matches()) {
            throw DomainException.invalidArgument("fingerprint", "must be a SHA-256 fingerprint, 64 lowercase hex"
                    + " digits, got \"" + (fingerprint == null ? "" : fingerprint) + "\"");
        }
        return fingerprint;
    }

    private static String requireName(String field, String name) {
        if (name == null || name.isBlank()) {
            throw DomainException.invalidArgument(field, "must not be empty");
        }
        if (name.length() > MAX_NAME || name.codePoints().anyMatch(Character::isISOControl)) {
            throw DomainException.invalidArgument(field, "must be at most " + MAX_NAME
                    + " characters without control characters");
        }
        return name;
    }

    private static Role requireRole(Role role) {
        if (role == null) {
            throw DomainException.invalidArgument("role", "must be viewer, operator or admin");
        }
        return role;
    }

    private static String hash(String secret) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
                    .digest(secret.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public void close() {
        closed = true;
        Watch w = watch;
        if (w != null) {
            w.close();
        }
    }
}
