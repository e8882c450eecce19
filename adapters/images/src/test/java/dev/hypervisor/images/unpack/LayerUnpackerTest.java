package dev.hypervisor.images.unpack;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hypervisor.images.unpack.LayerTar.Compression;
import dev.hypervisor.images.unpack.LayerUnpacker.Mode;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.UserDefinedFileAttributeView;
import java.security.MessageDigest;
import java.time.Instant;
import java.util.HexFormat;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class LayerUnpackerTest {

    private static final FileTime DIR_MTIME = FileTime.from(Instant.parse("2019-01-02T03:04:05Z"));
    private static final FileTime FILE_MTIME = FileTime.from(Instant.parse("2020-06-07T08:09:10Z"));
    // VFS_CAP_REVISION_2 | effective, permitted = CAP_SETUID(7) + CAP_NET_BIND_SERVICE(10): the
    // 0x80 byte is not valid UTF-8, so a lossy PAX decoder would corrupt it.
    private static final byte[] CAPABILITY = HexFormat.of().parseHex("0100000280040000000000000000000000000000");

    private final LayerUnpacker unpacker = new LayerUnpacker(UnpackLimits.defaults());

    @TempDir
    Path tmp;

    @Test
    void keepsModesIncludingSetuidOwnersAndTimesOfFilesDirectoriesAndLinks() throws Exception {
        LayerTar layer = new LayerTar()
                .dir("usr", 0755, e -> e.setLastModifiedTime(DIR_MTIME))
                .dir("usr/bin", 0750, e -> {
                    e.setIds(1000, 1000);
                    e.setLastModifiedTime(DIR_MTIME);
                })
                .file("usr/bin/sudo", "#!/bin/true\n", 04755, e -> e.setLastModifiedTime(FILE_MTIME))
                .file("usr/bin/wall", "wall\n", 02755, e -> e.setIds(0, 5))
                .file("usr/bin/mine", "mine\n", 0600, e -> e.setIds(1000, 1000))
                .dir("tmp", 01777)
                .symlink("usr/bin/sudoedit", "sudo")
                .symlink("usr/bin/abs", "/usr/bin/sudo")
                .hardLink("usr/bin/sudo2", "usr/bin/sudo");
        Path target = Files.createDirectory(tmp.resolve("root"));
        Path blob = layer.write(tmp.resolve("layer.tar"), Compression.NONE);

        UnpackResult result = unpacker.unpack(blob, target, Mode.MERGED);

        assertThat(result.entries()).isEqualTo(9);
        Path bin = target.resolve("usr/bin");
        assertThat(mode(bin.resolve("sudo"))).isEqualTo(04755);
        assertThat(mode(bin.resolve("wall"))).isEqualTo(02755);
        assertThat(mode(target.resolve("tmp"))).isEqualTo(01777);
        assertThat(mode(bin)).isEqualTo(0750);
        assertThat(owner(bin)).isEqualTo("1000:1000");
        assertThat(owner(bin.resolve("mine"))).isEqualTo("1000:1000");
        assertThat(owner(bin.resolve("wall"))).isEqualTo("0:5");
        assertThat(Files.getLastModifiedTime(bin.resolve("sudo"))).isEqualTo(FILE_MTIME);
        // Written before their children, directories still end with the tar's mtime.
        assertThat(Files.getLastModifiedTime(bin)).isEqualTo(DIR_MTIME);
        assertThat(Files.getLastModifiedTime(target.resolve("usr"))).isEqualTo(DIR_MTIME);
        assertThat(Files.readSymbolicLink(bin.resolve("sudoedit"))).hasToString("sudo");
        assertThat(Files.readSymbolicLink(bin.resolve("abs"))).hasToString("/usr/bin/sudo");
        assertThat(Files.getLastModifiedTime(bin.resolve("abs"), LinkOption.NOFOLLOW_LINKS))
                .isEqualTo(LayerTar.DEFAULT_MTIME);
        assertThat(Files.isSameFile(bin.resolve("sudo2"), bin.resolve("sudo"))).isTrue();
        assertThat(FsTree.unix(bin.resolve("sudo")).get("nlink")).isEqualTo(2);
    }

    @Test
    void setsUserAndBinarySecurityCapabilityXattrsButDropsOverlayOnes() throws Exception {
        LayerTar layer = new LayerTar()
                .rawPax(Map.of("SCHILY.xattr.user.comment", "hello".getBytes(StandardCharsets.UTF_8)))
                .file("comment", "c\n")
                .rawPax(Map.of("SCHILY.xattr.security.capability", CAPABILITY))
                .file("ping", "ping\n", 0755, e -> e.setIds(0, 0))
                .rawPax(Map.of("SCHILY.xattr.trusted.overlay.opaque", "y".getBytes(StandardCharsets.UTF_8)))
                .dir("forged");
        Path target = Files.createDirectory(tmp.resolve("root"));

        unpacker.unpack(layer.write(tmp.resolve("layer.tar"), Compression.GZIP), target, Mode.OVERLAY_DIFF);

        UserDefinedFileAttributeView view =
                Files.getFileAttributeView(target.resolve("comment"), UserDefinedFileAttributeView.class);
        ByteBuffer value = ByteBuffer.allocate(view.size("comment"));
        view.read("comment", value);
        assertThat(new String(value.array(), StandardCharsets.UTF_8)).isEqualTo("hello");
        assertThat(FsTree.xattrHex(target.resolve("ping"), "security.capability"))
                .isEqualTo("0x" + HexFormat.of().formatHex(CAPABILITY));
        assertThat(FsTree.xattrHex(target.resolve("forged"), "trusted.overlay.opaque")).isNull();
    }

    @ParameterizedTest
    @EnumSource(Compression.class)
    void detectsCompressionFromMagicBytesAndReportsTheDiffIdOfThePlainTar(Compression compression) throws Exception {
        LayerTar layer = new LayerTar()
                .dir("etc").file("etc/hostname", "box\n").symlink("etc/mtab", "../proc/self/mounts");
        byte[] plain = layer.tar();
        Path target = Files.createDirectory(tmp.resolve("root"));
        // A misleading name: only the content decides how the blob is read.
        Path blob = layer.write(tmp.resolve("layer.tar.gz"), compression);

        UnpackResult result = unpacker.unpack(blob, target, Mode.MERGED);

        assertThat(result.diffId()).isEqualTo("sha256:" + HexFormat.of().formatHex(
                MessageDigest.getInstance("SHA-256").digest(plain)));
        assertThat(result.bytes()).isEqualTo(plain.length);
        assertThat(result.entries()).isEqualTo(3);
        assertThat(Files.readString(target.resolve("etc/hostname"))).isEqualTo("box\n");
        assertThat(Files.readSymbolicLink(target.resolve("etc/mtab"))).hasToString("../proc/self/mounts");
    }

    @Test
    void readsPaxLongNamesAndLinkTargets() throws Exception {
        String deep = "a".repeat(90) + "/" + "b".repeat(90) + "/" + "c".repeat(90);
        LayerTar layer = new LayerTar()
                .dir("a".repeat(90))
                .dir("a".repeat(90) + "/" + "b".repeat(90))
                .file(deep, "deep\n")
                .symlink("short", deep)
                .hardLink("d".repeat(150), deep);
        Path target = Files.createDirectory(tmp.resolve("root"));

        unpacker.unpack(layer.write(tmp.resolve("layer.tar"), Compression.ZSTD), target, Mode.MERGED);

        assertThat(Files.readString(target.resolve(deep))).isEqualTo("deep\n");
        assertThat(Files.readSymbolicLink(target.resolve("short"))).hasToString(deep);
        assertThat(Files.isSameFile(target.resolve("d".repeat(150)), target.resolve(deep))).isTrue();
    }

    @Test
    void replacesAnExistingDirectoryByAFileAndAFileByADirectory() throws Exception {
        Path target = Files.createDirectory(tmp.resolve("root"));
        unpacker.unpack(new LayerTar().dir("x").file("x/inner", "1").file("y", "2")
                .write(tmp.resolve("l1.tar"), Compression.NONE), target, Mode.MERGED);

        unpacker.unpack(new LayerTar().file("x", "now a file").dir("y")
                .write(tmp.resolve("l2.tar"), Compression.NONE), target, Mode.MERGED);

        assertThat(Files.readString(target.resolve("x"))).isEqualTo("now a file");
        assertThat(target.resolve("y")).isDirectory();
    }

    private static int mode(Path path) throws Exception {
        return (Integer) FsTree.unix(path).get("mode") & 07777;
    }

    private static String owner(Path path) throws Exception {
        Map<String, Object> unix = FsTree.unix(path);
        return unix.get("uid") + ":" + unix.get("gid");
    }
}
