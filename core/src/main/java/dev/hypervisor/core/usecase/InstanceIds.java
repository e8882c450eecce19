package dev.hypervisor.core.usecase;

import java.security.SecureRandom;
import java.time.Clock;

/**
 * Makes instance ids: "inst-", 9 base-36 digits of the creation time in milliseconds, then
 * 8 random lowercase letters and digits (41 bits). The time prefix keeps new records and
 * their index keys next to each other in the store's B-trees, so a burst of creates touches
 * few pages (and ids list in creation order); the random part keeps them unguessable and
 * unique. As with ULID and KSUID.
 */
public final class InstanceIds {

    private static final char[] ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789".toCharArray();
    private final SecureRandom random = new SecureRandom();
    private final Clock clock;

    public InstanceIds() {
        this(Clock.systemUTC());
    }

    public InstanceIds(Clock clock) {
        this.clock = clock;
    }

    public String next() {
        String time = Long.toString(clock.millis(), 36);
        StringBuilder id = new StringBuilder("inst-");
        id.append("0".repeat(Math.max(0, 9 - time.length()))).append(time);
        for (int i = 0; i < 8; i++) {
            id.append(ALPHABET[random.nextInt(ALPHABET.length)]);
        }
        return id.toString();
    }
}
