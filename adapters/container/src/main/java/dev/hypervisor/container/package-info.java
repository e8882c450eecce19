/** The container runtime: OCI bundles run by runc or crun under conmon. */
package dev.hypervisor.container;
