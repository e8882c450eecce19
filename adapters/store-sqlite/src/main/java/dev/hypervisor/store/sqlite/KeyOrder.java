package dev.hypervisor.store.sqlite;

import java.util.Comparator;

/**
 * Key order and prefix bounds as SQLite's BINARY collation sees TEXT: UTF-8 bytes, which is
 * Unicode code point order (and etcd's byte order), not Java's UTF-16 {@code compareTo}.
 */
final class KeyOrder {

    static final Comparator<String> CODE_POINTS = KeyOrder::compare;

    private KeyOrder() {}

    /**
     * The smallest string above every string that starts with {@code prefix}, or null when there
     * is none (empty prefix). Incrementing the last code point keeps the bound exact, where
     * appending U+FFFF would miss keys with characters above the BMP.
     */
    static String prefixEnd(String prefix) {
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
