package dev.hypervisor.core.usecase;

import dev.hypervisor.core.error.DomainException;
import dev.hypervisor.core.instance.Instance;
import dev.hypervisor.core.instance.InstanceFilter;
import dev.hypervisor.core.instance.InstanceRepository;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import java.util.regex.Pattern;

/**
 * GetInstance and ListInstances. Pages are keyset pages in id order; the page token is an
 * opaque encoding of the last id and a hash of the filters it belongs to (AIP-158), so a
 * page costs the same however many instances precede it.
 */
public final class InstanceQueries {

    public static final int DEFAULT_PAGE_SIZE = 50;
    public static final int MAX_PAGE_SIZE = 1000;
    private static final Pattern ID = Pattern.compile("inst-[a-z0-9]{1,64}");

    private final InstanceRepository repository;

    public InstanceQueries(InstanceRepository repository) {
        this.repository = repository;
    }

    public Instance get(String instanceId) {
        ChangeInstance.requireId(instanceId);
        return repository.get(instanceId);
    }

    /** One page of matching instances and the token of the next (empty on the last page). */
    public ListResult list(InstanceFilter filter, int pageSize, String pageToken) {
        if (pageSize < 0) {
            throw DomainException.invalidArgument("page_size", "must not be negative");
        }
        int size = pageSize == 0 ? DEFAULT_PAGE_SIZE : Math.min(pageSize, MAX_PAGE_SIZE);
        String afterId = pageToken.isEmpty() ? "" : decodeToken(pageToken, filter);
        long revision = repository.store().revision();
        InstanceRepository.Page page = repository.list(filter, afterId, size);
        String next = page.nextAfterId().isEmpty() ? "" : encodeToken(page.nextAfterId(), filter);
        return new ListResult(page.instances(), next, revision);
    }

    /** A page of instances, read after the store had reached {@code revision}. */
    public record ListResult(List<Instance> instances, String nextPageToken, long revision) {}

    static String encodeToken(String afterId, InstanceFilter filter) {
        String plain = "1:" + Integer.toHexString(filter.fingerprint().hashCode()) + ":" + afterId;
        return Base64.getUrlEncoder().withoutPadding().encodeToString(plain.getBytes(StandardCharsets.UTF_8));
    }

    static String decodeToken(String token, InstanceFilter filter) {
        String plain;
        try {
            plain = new String(Base64.getUrlDecoder().decode(token), StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            throw badToken();
        }
        String[] parts = plain.split(":", 3);
        if (parts.length != 3 || !parts[0].equals("1") || !ID.matcher(parts[2]).matches()) {
            throw badToken();
        }
        if (!parts[1].equals(Integer.toHexString(filter.fingerprint().hashCode()))) {
            throw DomainException.invalidArgument("page_token", "was issued for different filters; keep the filters of the first call");
        }
        return parts[2];
    }

    private static DomainException badToken() {
        return DomainException.invalidArgument("page_token", "invalid; pass the next_page_token of a previous call");
    }
}
