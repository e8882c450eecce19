package dev.hypervisor.core.store;

import dev.hypervisor.core.error.DomainException;
import java.util.Comparator;

/**
 * What the store port says about keys, for every implementation: they are non-empty, and
 * they sort by Unicode code point (UTF-8 byte order, as etcd and SQLite's BINARY collation
 * do), not by Java's UTF-16 {@code compareTo}.
 */
public final class Keys {

    public static final Comparator<String> CODE_POINTS = Keys::compare;

    private Keys() {}

    /** The key itself, or INVALID_ARGUMENT when it is null or empty. */
    public static String require(String key) {
        if (key == null || key.isEmpty()) {
            throw DomainException.invalidArgument("key", "must not be empty");
        }
        return key;
    }

    /** Rejects a transaction with an empty key or a put without a value. */
    public static void requireValid(Txn txn) {
        txn.compares().forEach(c -> require(c.key()));
        for (Txn.Op op : txn.ops()) {
            require(op.key());
            if (op instanceof Txn.Put put && put.value() == null) {
                throw DomainException.invalidArgument("value", "a put of " + put.key() + " needs a value");
            }
        }
    }

    /**
     * The smallest string above every string that starts with {@code prefix}, or null when there
     * is none (empty prefix). Incrementing the last code point keeps the bound exact, where
     * appending U+FFFF would miss keys with characters above the BMP.
     */
    public static String prefixEnd(String prefix) {
        int[] cps = prefix.codePoints().toArray();
        for (int i = cps.length - 1; i >= 0; i--) {
            int next = cps[i] + 1;
            if (next == Character.MIN_SURROGATE) {
                next = Character.MAX_SURROGATE + 1; // surrogates are not characters; UTF-8 skips them
            }
            if (next <= Character.MAX_CODE_POINT) {
                return new String(cps, 0, i) + Character.toString(next);
            }
        }
        return null;
    }

    private static int compare(String a, String b) {
        int i = 0;
        while (i < a.length() && i < b.length()) {
            int ca = a.codePointAt(i);
            int cb = b.codePointAt(i);
            if (ca != cb) {
                return Integer.compare(ca, cb);
            }
            i += Character.charCount(ca);
        }
        return Integer.compare(a.length(), b.length());
    }
}
