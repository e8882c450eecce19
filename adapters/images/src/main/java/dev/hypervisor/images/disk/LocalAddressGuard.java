package dev.hypervisor.images.disk;

import dev.hypervisor.core.error.ErrorCode;
import java.net.InetAddress;
import java.net.URI;
import java.net.UnknownHostException;

/**
 * Keeps URL pulls off the node's own services: a disk URL (or a redirect on the way to one)
 * whose host is a loopback, link-local (where clouds serve instance metadata), unspecified or
 * multicast address is refused unless the node allows local URLs. Without it any caller could
 * read whatever the node reaches on loopback (its metrics port, say) into an image it lists.
 * The host is resolved for the check; a name that resolves differently when the download
 * connects a moment later is not caught (the JDK's client resolves again).
 */
public final class LocalAddressGuard {

    private final boolean allowLocal;

    public LocalAddressGuard(boolean allowLocal) {
        this.allowLocal = allowLocal;
    }

    /** FAILED_PRECONDITION when the URL's host is local and local URLs are not allowed. */
    public void check(URI url) {
        if (allowLocal) {
            return;
        }
        String host = url.getHost();
        if (host == null || host.isEmpty()) {
            throw new DiskImageException("URL " + url + " names no host");
        }
        InetAddress[] addresses;
        try {
            addresses = InetAddress.getAllByName(host.startsWith("[") ? host.substring(1, host.length() - 1) : host);
        } catch (UnknownHostException e) {
            return; // the download fails on its own, with the resolver's words
        }
        for (InetAddress address : addresses) {
            if (address.isLoopbackAddress() || address.isLinkLocalAddress() || address.isAnyLocalAddress()
                    || address.isMulticastAddress()) {
                throw new DiskImageException(ErrorCode.FAILED_PRECONDITION, "image URL " + url + " is on a "
                        + kind(address) + " address (" + address.getHostAddress() + "), which this node does not pull"
                        + " from (hypervisord --allow-local-image-urls allows it)");
            }
        }
    }

    private static String kind(InetAddress address) {
        if (address.isLoopbackAddress()) {
            return "loopback";
        }
        if (address.isLinkLocalAddress()) {
            return "link-local";
        }
        return address.isMulticastAddress() ? "multicast" : "unspecified";
    }
}
