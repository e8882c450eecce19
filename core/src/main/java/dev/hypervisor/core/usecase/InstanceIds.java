package dev.hypervisor.core.usecase;

import java.security.SecureRandom;

/** Makes instance ids: "inst-" and 12 random lowercase letters and digits (62 bits). */
public final class InstanceIds {

    private static final char[] ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789".toCharArray();
    private final SecureRandom random = new SecureRandom();

    public String next() {
        char[] suffix = new char[12];
        for (int i = 0; i < suffix.length; i++) {
            suffix[i] = ALPHABET[random.nextInt(ALPHABET.length)];
        }
        return "inst-" + new String(suffix);
    }
}
