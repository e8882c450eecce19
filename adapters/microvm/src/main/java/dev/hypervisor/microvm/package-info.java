/** The microVM runtime: container images booted with a kernel under QEMU's microvm machine. */
package dev.hypervisor.microvm;
