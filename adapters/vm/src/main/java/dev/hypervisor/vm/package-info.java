/** The VM runtime: QEMU q35 guests on qcow2 overlays of a disk image, with a cloud-init seed. */
package dev.hypervisor.vm;
