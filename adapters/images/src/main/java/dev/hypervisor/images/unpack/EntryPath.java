package dev.hypervisor.images.unpack;

import java.util.ArrayList;
import java.util.List;

/**
 * A tar entry name cleaned as tar does (leading '/' dropped, '.' and empty parts removed, '..'
 * applied) and proven to stay inside the target; the empty path is the target itself.
 */
record EntryPath(List<String> parts) {

    static final EntryPath ROOT = new EntryPath(List.of());

    EntryPath {
        parts = List.copyOf(parts);
    }

    /** The cleaned name; refuses names whose '..' parts climb above the target. */
    static EntryPath parse(String name, String entry) throws UnsafeLayerException {
        return ROOT.resolve(name, entry, "its name");
    }

    /**
     * Where a relative link text, read from this directory, points (lexically); an absolute text
     * restarts at the target, as it will inside the container.
     */
    EntryPath resolve(String text, String entry, String what) throws UnsafeLayerException {
        if (text.indexOf('\0') >= 0) {
            throw new UnsafeLayerException(entry, what + " contains a NUL byte");
        }
        List<String> out = new ArrayList<>(text.startsWith("/") ? List.of() : parts);
        for (String part : text.split("/")) {
            if (part.isEmpty() || part.equals(".")) {
                continue;
            }
            if (part.equals("..")) {
                if (out.isEmpty()) {
                    throw new UnsafeLayerException(entry, what + " '" + text + "' climbs out of the target");
                }
                out.remove(out.size() - 1);
            } else {
                out.add(part);
            }
        }
        return new EntryPath(out);
    }

    boolean isRoot() {
        return parts.isEmpty();
    }

    /** The last part; the root has none. */
    String name() {
        return parts.get(parts.size() - 1);
    }

    EntryPath parent() {
        return new EntryPath(parts.subList(0, parts.size() - 1));
    }

    EntryPath child(String name) {
        List<String> out = new ArrayList<>(parts);
        out.add(name);
        return new EntryPath(out);
    }

    @Override
    public String toString() {
        return String.join("/", parts);
    }
}
