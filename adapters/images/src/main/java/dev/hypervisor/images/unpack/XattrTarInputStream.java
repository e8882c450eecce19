package dev.hypervisor.images.unpack;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;

/**
 * A tar reader that also keeps each entry's {@code SCHILY.xattr.*} PAX records as raw bytes.
 *
 * <p>TarArchiveInputStream decodes PAX values as UTF-8, which corrupts binary values such as
 * {@code security.capability} (Go's archive/tar, used by Docker and BuildKit, writes them raw).
 * The PAX header body is read through {@link #read(byte[], int, int)}, so it is captured there.
 * Metadata entries (PAX, GNU long names) are buffered whole by the superclass, so they are capped.
 */
final class XattrTarInputStream extends TarArchiveInputStream {

    static final int MAX_METADATA_BYTES = 1 << 20;
    private static final String XATTR_PREFIX = "SCHILY.xattr.";

    private final ByteArrayOutputStream paxBody = new ByteArrayOutputStream();
    private TarArchiveEntry metadataEntry;
    private long metadataBytes;
    private int depth;

    XattrTarInputStream(InputStream in) {
        super(in, StandardCharsets.UTF_8.name());
    }

    // The superclass calls getNextEntry() again after a PAX header; only the outermost call starts
    // a new entry, so the PAX body read by the inner calls stays with the entry they return.
    @Override
    public TarArchiveEntry getNextEntry() throws IOException {
        if (depth++ == 0) {
            paxBody.reset();
            metadataEntry = null;
        }
        try {
            return super.getNextEntry();
        } finally {
            depth--;
        }
    }

    @Override
    public int read(byte[] buffer, int offset, int length) throws IOException {
        int n = super.read(buffer, offset, length);
        TarArchiveEntry current = getCurrentEntry();
        if (n > 0 && current != null && isMetadata(current)) {
            if (current != metadataEntry) {
                metadataEntry = current;
                metadataBytes = 0;
                if (current.isPaxHeader()) {
                    paxBody.reset();
                }
            }
            metadataBytes += n;
            if (metadataBytes > MAX_METADATA_BYTES) {
                throw new LayerTooLargeException("tar metadata entry '" + current.getName()
                        + "' exceeds " + MAX_METADATA_BYTES + " bytes");
            }
            if (current.isPaxHeader()) {
                paxBody.write(buffer, offset, n);
            }
        }
        return n;
    }

    /** Extended attributes of the entry last returned by {@link #getNextEntry()}, values raw. */
    Map<String, byte[]> xattrs() {
        return paxBody.size() == 0 ? Map.of() : parseXattrs(paxBody.toByteArray());
    }

    /** The SCHILY.xattr records of a PAX header body ({@code "<len> <key>=<value>\n"} each). */
    static Map<String, byte[]> parseXattrs(byte[] body) {
        Map<String, byte[]> xattrs = new LinkedHashMap<>();
        int pos = 0;
        while (pos < body.length) {
            int space = indexOf(body, (byte) ' ', pos, body.length);
            if (space < 0) {
                break;
            }
            int length;
            try {
                length = Integer.parseInt(new String(body, pos, space - pos, StandardCharsets.US_ASCII));
            } catch (NumberFormatException e) {
                break;
            }
            int end = pos + length;
            if (length <= 0 || end > body.length || body[end - 1] != '\n') {
                break;
            }
            int equals = indexOf(body, (byte) '=', space + 1, end);
            if (equals > 0) {
                String key = new String(body, space + 1, equals - space - 1, StandardCharsets.UTF_8);
                if (key.startsWith(XATTR_PREFIX) && key.length() > XATTR_PREFIX.length()) {
                    xattrs.put(key.substring(XATTR_PREFIX.length()), Arrays.copyOfRange(body, equals + 1, end - 1));
                }
            }
            pos = end;
        }
        return xattrs;
    }

    private static boolean isMetadata(TarArchiveEntry entry) {
        return entry.isPaxHeader() || entry.isGlobalPaxHeader()
                || entry.isGNULongNameEntry() || entry.isGNULongLinkEntry();
    }

    private static int indexOf(byte[] bytes, byte b, int from, int to) {
        for (int i = from; i < to; i++) {
            if (bytes[i] == b) {
                return i;
            }
        }
        return -1;
    }
}
