package dev.hypervisor.bench.images;

import dev.hypervisor.images.testing.LayerTree;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.SplittableRandom;

/** File contents generated when a layer tar is written, never held for the whole layer: text that compresses, and random bytes that do not. */
final class SyntheticContent {

    // About 3:1 under gzip, like source code and configuration files.
    private static final String[] WORDS = ("the of and to in is for on with as by at from this that be are was not or an it "
            + "config value server client request response error timeout retry buffer stream layer image registry "
            + "manifest digest content store unpack overlay snapshot instance driver runtime kernel memory cpu disk "
            + "network address port socket thread queue event watch revision commit transaction index table column "
            + "return if else while for break continue static final class interface public private void int long "
            + "string list map set true false null new import package throw catch try finally").split(" ");

    private SyntheticContent() {}

    /** {@code size} bytes of text-like lines from {@code seed}, generated when the tar entry is written. */
    static LayerTree.Content text(long seed, int size) {
        return () -> new ByteArrayInputStream(textBytes(seed, size));
    }

    /** {@code size} incompressible bytes from {@code seed}, streamed in small chunks. */
    static LayerTree.Content random(long seed, long size) {
        return () -> new RandomBytes(seed, size);
    }

    /** A regular file entry, mode 0644, owned by root, with {@code content} of {@code size} bytes. */
    static LayerTree.Entry file(String path, long size, LayerTree.Content content) {
        return new LayerTree.Entry(LayerTree.Type.FILE, path, 0644, 0, 0, null, size, content);
    }

    private static byte[] textBytes(long seed, int size) {
        SplittableRandom random = new SplittableRandom(seed);
        StringBuilder text = new StringBuilder(size + 64);
        int line = 0;
        while (text.length() < size) {
            text.append("line_").append(line++).append(" =");
            int words = 4 + random.nextInt(9);
            for (int w = 0; w < words; w++) {
                text.append(' ').append(WORDS[random.nextInt(WORDS.length)]);
            }
            text.append(' ').append(random.nextInt(100_000)).append('\n');
        }
        byte[] bytes = text.toString().getBytes(StandardCharsets.US_ASCII);
        return bytes.length == size ? bytes : java.util.Arrays.copyOf(bytes, size);
    }

    /** Random bytes eight at a time: a gigabyte takes seconds, where byte-at-a-time reads take much longer. */
    private static final class RandomBytes extends InputStream {
        private final SplittableRandom random;
        private long remaining;

        RandomBytes(long seed, long size) {
            this.random = new SplittableRandom(seed);
            this.remaining = size;
        }

        @Override
        public int read() {
            byte[] one = new byte[1];
            return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
        }

        @Override
        public int read(byte[] b, int off, int len) {
            if (remaining <= 0) {
                return -1;
            }
            int n = (int) Math.min(len, remaining);
            int i = 0;
            for (; i + 8 <= n; i += 8) {
                long word = random.nextLong();
                for (int k = 0; k < 8; k++) {
                    b[off + i + k] = (byte) (word >>> (k * 8));
                }
            }
            for (; i < n; i++) {
                b[off + i] = (byte) random.nextInt(256);
            }
            remaining -= n;
            return n;
        }
    }
}
