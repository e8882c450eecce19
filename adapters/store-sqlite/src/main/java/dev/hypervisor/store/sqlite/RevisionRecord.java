package dev.hypervisor.store.sqlite;

import dev.hypervisor.core.store.WatchEvent;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * The changes of one revision, as the one row of the history table that holds them: one row per
 * revision rather than one per key, so a create of seven keys appends one row, not seven.
 * Layout: a format byte (1), then for each change in order its type (0 PUT, 1 DELETE), the key's
 * UTF-8 length and bytes, and the value's length and bytes, lengths as 4-byte big-endian ints.
 */
final class RevisionRecord {

    private static final byte FORMAT = 1;

    private RevisionRecord() {}

    static byte[] encode(List<WatchEvent> events) {
        List<byte[]> keys = new ArrayList<>(events.size());
        int size = 1;
        for (WatchEvent e : events) {
            byte[] key = e.key().getBytes(StandardCharsets.UTF_8);
            keys.add(key);
            size += 1 + 4 + key.length + 4 + e.value().length;
        }
        ByteBuffer out = ByteBuffer.allocate(size).put(FORMAT);
        for (int i = 0; i < events.size(); i++) {
            WatchEvent e = events.get(i);
            out.put(e.type() == WatchEvent.Type.PUT ? (byte) 0 : (byte) 1);
            out.putInt(keys.get(i).length).put(keys.get(i));
            out.putInt(e.value().length).put(e.value());
        }
        return out.array();
    }

    /** The changes of revision {@code revision} whose keys start with {@code prefix}, in order. */
    static List<WatchEvent> decode(long revision, byte[] record, String prefix) {
        ByteBuffer in = ByteBuffer.wrap(record);
        if (in.get() != FORMAT) {
            throw new IllegalStateException("revision " + revision + " is stored in an unknown format " + record[0]);
        }
        List<WatchEvent> events = new ArrayList<>();
        while (in.hasRemaining()) {
            WatchEvent.Type type = in.get() == 0 ? WatchEvent.Type.PUT : WatchEvent.Type.DELETE;
            byte[] key = new byte[in.getInt()];
            in.get(key);
            byte[] value = new byte[in.getInt()];
            in.get(value);
            String name = new String(key, StandardCharsets.UTF_8);
            if (name.startsWith(prefix)) {
                events.add(new WatchEvent(type, name, value, revision));
            }
        }
        return events;
    }
}
