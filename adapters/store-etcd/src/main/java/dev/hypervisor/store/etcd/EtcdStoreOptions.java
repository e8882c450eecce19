package dev.hypervisor.store.etcd;

import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * How to reach the etcd cluster: its members' addresses, the key prefix this installation
 * owns (several installations may share one etcd), TLS material for etcd's client port
 * (all three paths, or only the CA when etcd needs no client certificate), and etcd's own
 * auth as a user and a file holding the password.
 *
 * @param timeout how long one call may take before it fails UNAVAILABLE (a write's outcome
 *     is then read back, never blindly resent)
 * @param progressInterval how often each watch asks etcd for a progress notification; a
 *     watch that hears nothing for three intervals is reopened from its last revision
 * @param history how much change history the store keeps: revisions older than this are
 *     compacted periodically ({@link EtcdCompactor}); zero leaves compaction to others
 */
public record EtcdStoreOptions(List<String> members, String prefix, Path ca, Path cert, Path key,
                               String user, Path passwordFile, Duration timeout, Duration progressInterval,
                               Duration history) {

    /** The history kept unless told otherwise: an hour, as watchers that were away that long can still resume. */
    public static final Duration DEFAULT_HISTORY = Duration.ofHours(1);

    public EtcdStoreOptions {
        members = List.copyOf(members);
        if (members.isEmpty()) {
            throw new IllegalArgumentException("an etcd store needs at least one member address");
        }
        prefix = normalizePrefix(prefix);
        Objects.requireNonNull(timeout, "timeout");
        Objects.requireNonNull(progressInterval, "progressInterval");
        Objects.requireNonNull(history, "history");
        if (history.isNegative()) {
            throw new IllegalArgumentException("--store-history must not be negative, got " + history);
        }
        if ((cert == null) != (key == null)) {
            throw new IllegalArgumentException("a client certificate for etcd needs both --store-cert and --store-key");
        }
        if ((user == null) != (passwordFile == null)) {
            throw new IllegalArgumentException("etcd auth needs both --store-user and --store-password-file");
        }
    }

    /** Plain members with no prefix, TLS or auth, a 5 s call timeout, 5 s progress checks and an hour of history. */
    public static EtcdStoreOptions of(List<String> members) {
        return new EtcdStoreOptions(members, "", null, null, null, null, null, Duration.ofSeconds(5), Duration.ofSeconds(5),
                DEFAULT_HISTORY);
    }

    public EtcdStoreOptions withPrefix(String prefix) {
        return new EtcdStoreOptions(members, prefix, ca, cert, key, user, passwordFile, timeout, progressInterval, history);
    }

    public EtcdStoreOptions withTls(Path ca, Path cert, Path key) {
        return new EtcdStoreOptions(members, prefix, ca, cert, key, user, passwordFile, timeout, progressInterval, history);
    }

    public EtcdStoreOptions withAuth(String user, Path passwordFile) {
        return new EtcdStoreOptions(members, prefix, ca, cert, key, user, passwordFile, timeout, progressInterval, history);
    }

    public EtcdStoreOptions withTimeouts(Duration timeout, Duration progressInterval) {
        return new EtcdStoreOptions(members, prefix, ca, cert, key, user, passwordFile, timeout, progressInterval, history);
    }

    public EtcdStoreOptions withHistory(Duration history) {
        return new EtcdStoreOptions(members, prefix, ca, cert, key, user, passwordFile, timeout, progressInterval, history);
    }

    /**
     * Parses {@code host1:2379,host2:2379} (the part after {@code etcd://}); a member may
     * carry its own {@code http://} or {@code https://}.
     */
    public static List<String> parseMembers(String text) {
        List<String> members = new ArrayList<>();
        for (String part : text.split(",")) {
            String member = part.strip();
            if (member.isEmpty()) {
                continue;
            }
            URI uri = URI.create(member.contains("://") ? member : "http://" + member);
            if (uri.getHost() == null || uri.getPort() < 0) {
                throw new IllegalArgumentException("etcd member \"" + member + "\" is not host:port");
            }
            members.add(uri.getHost() + ":" + uri.getPort());
        }
        if (members.isEmpty()) {
            throw new IllegalArgumentException("etcd:// names no member; expected etcd://host:2379[,host:2379...]");
        }
        return members;
    }

    /** The endpoints jetcd dials: https when a CA is given. */
    List<URI> endpoints() {
        String scheme = ca != null ? "https://" : "http://";
        return members.stream().map(m -> URI.create(scheme + m)).toList();
    }

    private static String normalizePrefix(String prefix) {
        if (prefix == null || prefix.isEmpty() || prefix.equals("/")) {
            return "";
        }
        String p = prefix.startsWith("/") ? prefix : "/" + prefix;
        while (p.endsWith("/")) {
            p = p.substring(0, p.length() - 1);
        }
        return p;
    }

    @Override
    public String toString() {
        return "etcd://" + String.join(",", members) + (prefix.isEmpty() ? "" : " (prefix " + prefix + ")");
    }
}
