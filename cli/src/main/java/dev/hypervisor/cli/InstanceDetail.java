package dev.hypervisor.cli;

import dev.hypervisor.api.v1.DiskSpec;
import dev.hypervisor.api.v1.Instance;
import dev.hypervisor.api.v1.InstanceSpec;
import java.io.PrintStream;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/** The "Field: value" view of one instance that {@code hvctl get} prints; empty fields are left out. */
final class InstanceDetail {

  private final List<String[]> fields = new ArrayList<>();

  private InstanceDetail() {}

  static void print(Instance i, Clock clock, PrintStream out) {
    InstanceSpec spec = i.getSpec();
    InstanceDetail d = new InstanceDetail();
    d.add("ID", i.getId());
    d.add("Name", i.getName());
    d.add("Type", EnumNames.shortName(i.getType()));
    d.add("Runtime", spec.getRuntimeClass());
    d.add("State", EnumNames.shortName(i.getState()));
    d.add("Error", i.getErrorMessage());
    d.add("Retrying", i.getAttempts() == 0 ? ""
        : "failed " + i.getAttempts() + (i.getAttempts() == 1 ? " time" : " times") + ", last: " + i.getLastError());
    d.add("Node", i.getNodeId());
    d.add("IP", i.getIpAddress());
    d.add("Image", spec.getImage());
    d.add("CPUs", spec.getCpuCores() == 0 ? "" : Integer.toString(spec.getCpuCores()));
    d.add("Memory", spec.getMemoryBytes() == 0 ? "" : ByteSize.format(spec.getMemoryBytes()));
    d.add("Disks", spec.getDisksList().stream().map(InstanceDetail::disk).collect(Collectors.joining("; ")));
    d.add("Network", spec.getNetwork().getNetworkId());
    d.add("Static IP", spec.getNetwork().getIpAddress());
    d.add("Kernel", spec.getKernel());
    d.add("Command", String.join(" ", spec.getCommandList()));
    d.add("Env", pairs(spec.getEnvMap()));
    d.add("Labels", pairs(i.getMetadata().getLabelsMap()));
    d.add("Annotations", pairs(i.getMetadata().getAnnotationsMap()));
    d.add("Region", i.getRegion());
    d.add("Zone", i.getZone());
    if (i.hasCreatedAt()) {
      d.add("Created", Age.iso(i.getCreatedAt()) + " (" + Age.of(i.getCreatedAt(), clock) + " ago)");
    }
    if (i.hasUpdatedAt()) {
      d.add("Updated", Age.iso(i.getUpdatedAt()) + " (" + Age.of(i.getUpdatedAt(), clock) + " ago)");
    }
    d.add("Revision", i.getRevision() == 0 ? "" : Long.toString(i.getRevision()));
    d.print(out);
  }

  private void add(String name, String value) {
    if (value != null && !value.isEmpty()) {
      fields.add(new String[] {name + ":", value});
    }
  }

  private void print(PrintStream out) {
    int width = fields.stream().mapToInt(f -> f[0].length()).max().orElse(0);
    for (String[] f : fields) {
      out.println(f[0] + " ".repeat(width - f[0].length() + 1) + f[1]);
    }
  }

  private static String disk(DiskSpec disk) {
    return disk.getName() + " " + ByteSize.format(disk.getSizeBytes())
        + (disk.getType().isEmpty() ? "" : " " + disk.getType())
        + (disk.getBoot() ? " boot" : "");
  }

  private static String pairs(Map<String, String> map) {
    return map.entrySet().stream()
        .sorted(Map.Entry.comparingByKey())
        .map(e -> e.getKey() + "=" + e.getValue())
        .collect(Collectors.joining(", "));
  }
}
