package dev.hypervisor.container;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The uid, gid and supplementary groups of an image's {@code User} ({@code name}, {@code uid},
 * {@code name:group}, {@code uid:gid}), looked up in the root filesystem's own
 * {@code /etc/passwd} and {@code /etc/group}, as runc's libcontainer/user does.
 */
record ImageUser(long uid, long gid, List<Long> additionalGids) {

    static final ImageUser ROOT = new ImageUser(0, 0, List.of());

    static ImageUser resolve(Path rootfs, String user) throws IOException {
        if (user.isEmpty()) {
            return ROOT;
        }
        String[] parts = user.split(":", 2);
        List<String[]> passwd = table(rootfs, "etc/passwd");
        List<String[]> groups = table(rootfs, "etc/group");
        long uid;
        long gid;
        String name;
        Optional<String[]> entry = passwd.stream()
                .filter(e -> e.length > 3 && (e[0].equals(parts[0]) || e[2].equals(parts[0]))).findFirst();
        if (entry.isPresent()) {
            name = entry.get()[0];
            uid = Long.parseLong(entry.get()[2]);
            gid = Long.parseLong(entry.get()[3]);
        } else if (parts[0].matches("\\d+")) {
            name = "";
            uid = Long.parseLong(parts[0]);
            gid = uid == 0 ? 0 : uid;
        } else {
            throw new IllegalArgumentException("user " + parts[0] + " is not in the image's /etc/passwd");
        }
        if (parts.length == 2) {
            Optional<String[]> group = groups.stream()
                    .filter(g -> g.length > 2 && (g[0].equals(parts[1]) || g[2].equals(parts[1]))).findFirst();
            if (group.isPresent()) {
                gid = Long.parseLong(group.get()[2]);
            } else if (parts[1].matches("\\d+")) {
                gid = Long.parseLong(parts[1]);
            } else {
                throw new IllegalArgumentException("group " + parts[1] + " is not in the image's /etc/group");
            }
        }
        List<Long> additional = new ArrayList<>();
        if (!name.isEmpty()) {
            for (String[] group : groups) {
                if (group.length > 3 && List.of(group[3].split(",")).contains(name)) {
                    long id = Long.parseLong(group[2]);
                    if (id != gid && !additional.contains(id)) {
                        additional.add(id);
                    }
                }
            }
        }
        return new ImageUser(uid, gid, additional);
    }

    /**
     * A colon-separated table of the image. Only a regular file is read: a symlink there could
     * point at the host's own files, since the path is resolved outside the container.
     */
    private static List<String[]> table(Path rootfs, String relative) throws IOException {
        Path file = rootfs.resolve(relative);
        List<String[]> rows = new ArrayList<>();
        if (!Files.isDirectory(file.getParent(), LinkOption.NOFOLLOW_LINKS)
                || !Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS)) {
            return rows;
        }
        for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
            if (!line.isBlank() && !line.startsWith("#")) {
                rows.add(line.split(":", -1));
            }
        }
        return rows;
    }
}
