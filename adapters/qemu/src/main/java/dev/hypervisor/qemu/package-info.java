/** What every QEMU guest shares: the driver over a {@link dev.hypervisor.qemu.Machine}, QMP, the serial console, live restore. */
package dev.hypervisor.qemu;
