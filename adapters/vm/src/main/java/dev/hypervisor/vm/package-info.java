/** The VM runtime: QEMU q35 guests on qcow2 overlays, driven over QMP, with a serial console. */
package dev.hypervisor.vm;
