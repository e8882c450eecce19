package dev.hypervisor.core.network;

import dev.hypervisor.core.error.DomainException;

/** Dotted-quad IPv4 addresses as unsigned 32-bit numbers, so that subnets are plain arithmetic. */
public final class Ipv4 {

    private Ipv4() {}

    /** The address as a number in 0..2^32-1, or INVALID_ARGUMENT naming {@code field}. */
    public static long parse(String text, String field) {
        String[] parts = text == null ? new String[0] : text.split("\\.", -1);
        if (parts.length != 4) {
            throw DomainException.invalidArgument(field, "must be an IPv4 address, got \"" + text + "\"");
        }
        long value = 0;
        for (String part : parts) {
            // Strict digits only: Integer.parseInt would take "+1", and leading zeros read as octal elsewhere.
            if (part.isEmpty() || part.length() > 3 || !part.chars().allMatch(c -> c >= '0' && c <= '9')
                    || (part.length() > 1 && part.charAt(0) == '0')) {
                throw DomainException.invalidArgument(field, "must be an IPv4 address, got \"" + text + "\"");
            }
            int octet = Integer.parseInt(part);
            if (octet > 255) {
                throw DomainException.invalidArgument(field, "must be an IPv4 address, got \"" + text + "\"");
            }
            value = (value << 8) | octet;
        }
        return value;
    }

    public static boolean isValid(String text) {
        try {
            parse(text, "address");
            return true;
        } catch (DomainException e) {
            return false;
        }
    }

    public static String format(long value) {
        return ((value >>> 24) & 0xff) + "." + ((value >>> 16) & 0xff) + "." + ((value >>> 8) & 0xff) + "." + (value & 0xff);
    }
}
