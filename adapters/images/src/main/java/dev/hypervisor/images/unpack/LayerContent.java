package dev.hypervisor.images.unpack;

import java.util.HashSet;
import java.util.Set;

/**
 * What the layer being applied has added so far. Whiteouts only hide content of lower layers
 * (image-spec layer.md), so they must spare these paths whatever their order in the tar.
 */
final class LayerContent {

    private final Set<String> added = new HashSet<>();
    private final Set<String> ancestors = new HashSet<>();

    void add(EntryPath path) {
        added.add(path.toString());
        for (EntryPath dir = path.parent(); !dir.isRoot(); dir = dir.parent()) {
            if (!ancestors.add(dir.toString())) {
                break; // its own ancestors were recorded with it
            }
        }
    }

    /** This layer has an entry at exactly this path. */
    boolean added(EntryPath path) {
        return added.contains(path.toString());
    }

    /** This layer has an entry at or below this path. */
    boolean touched(EntryPath path) {
        String key = path.toString();
        return added.contains(key) || ancestors.contains(key);
    }
}
