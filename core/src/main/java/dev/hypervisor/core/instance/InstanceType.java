package dev.hypervisor.core.instance;

/** The kind of instance; it decides which driver runs it. */
public enum InstanceType {
    VM,
    CONTAINER,
    MICROVM
}
