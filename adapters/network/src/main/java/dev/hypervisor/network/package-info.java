/** The network adapter: the node's bridge, IPAM in the store, a namespace and veth pair per instance. */
package dev.hypervisor.network;
