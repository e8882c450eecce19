package dev.hypervisor.cli;

import dev.hypervisor.api.v1.InstanceState;
import dev.hypervisor.api.v1.InstanceType;
import java.util.LinkedHashMap;
import java.util.Map;
import picocli.CommandLine.Option;

/** The instance filters {@code ls} and {@code watch} share: --type, --state, --node, --label. */
final class InstanceFilter {

  @Option(names = "--type", paramLabel = "TYPE", description = "Only this type: vm, container, microvm.")
  InstanceType type;

  @Option(names = "--state", paramLabel = "STATE", description = "Only this state: running, stopped, ...")
  InstanceState state;

  @Option(names = "--node", paramLabel = "NODE", description = "Only instances on this node.")
  String node;

  @Option(names = "--label", paramLabel = "KEY=VALUE", description = "Only instances with this label (repeatable).")
  Map<String, String> labels = new LinkedHashMap<>();

  InstanceType type() {
    return type == null ? InstanceType.INSTANCE_TYPE_UNSPECIFIED : type;
  }

  InstanceState state() {
    return state == null ? InstanceState.INSTANCE_STATE_UNSPECIFIED : state;
  }

  String node() {
    return node == null ? "" : node;
  }

  Map<String, String> labels() {
    return labels == null ? Map.of() : labels;
  }
}
