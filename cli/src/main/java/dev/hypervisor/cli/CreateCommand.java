package dev.hypervisor.cli;

import dev.hypervisor.api.v1.CreateInstanceRequest;
import dev.hypervisor.api.v1.DiskSpec;
import dev.hypervisor.api.v1.Instance;
import dev.hypervisor.api.v1.InstanceSpec;
import dev.hypervisor.api.v1.InstanceState;
import dev.hypervisor.api.v1.InstanceType;
import dev.hypervisor.api.v1.Metadata;
import dev.hypervisor.api.v1.NetworkSpec;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code hvctl create}: builds a CreateInstanceRequest from flags and, with --wait, waits until it runs. */
@Command(name = "create", description = "Create an instance; a container's or microVM's command follows '--'.")
final class CreateCommand extends Subcommand {

  @Parameters(index = "0", paramLabel = "NAME", description = "Instance name (a DNS label).")
  String name;

  @Parameters(index = "1..*", paramLabel = "COMMAND", description = "Command and arguments, after '--'.")
  List<String> command = new ArrayList<>();

  @Option(names = "--type", required = true, paramLabel = "TYPE", description = "vm, container or microvm.")
  InstanceType type;

  @Option(names = "--image", required = true, paramLabel = "IMG", description = "Image reference, alias or URL.")
  String image;

  @Option(names = "--cpus", paramLabel = "N", description = "Virtual CPUs or CPU quota in cores.")
  int cpus;

  @Option(names = "--memory", paramLabel = "SIZE", converter = ByteSize.Converter.class,
      description = "Memory: 512MiB, 2GiB, 1G or bytes.")
  long memoryBytes;

  @Option(names = "--disk", paramLabel = "SPEC", converter = DiskOption.Converter.class,
      description = "Disk, repeatable: name=root,size=50GiB[,type=ssd][,boot].")
  List<DiskSpec> disks = new ArrayList<>();

  @Option(names = "--network", paramLabel = "ID", description = "Network to join (default \"default\").")
  String network;

  @Option(names = "--ip", paramLabel = "ADDR", description = "Static IPv4 address in the network.")
  String ip;

  @Option(names = "--kernel", paramLabel = "K", description = "Kernel for direct boot (VM, microVM).")
  String kernel;

  @Option(names = "--runtime-class", paramLabel = "NAME",
      description = "Runtime that runs it: runc (default) or runsc (gVisor) for containers.")
  String runtimeClass;

  @Option(names = "--env", paramLabel = "K=V", description = "Environment variable, repeatable.")
  Map<String, String> env = new LinkedHashMap<>();

  @Option(names = "--label", paramLabel = "K=V", description = "Label, repeatable.")
  Map<String, String> labels = new LinkedHashMap<>();

  @Option(names = "--annotation", paramLabel = "K=V", description = "Annotation, repeatable.")
  Map<String, String> annotations = new LinkedHashMap<>();

  @Option(names = "--request-id", paramLabel = "ID", description = "Idempotency key for safe retries.")
  String requestId;

  @Option(names = "--wait", description = "Wait until the instance is RUNNING; exit 1 if it fails.")
  boolean await;

  @Override
  public Integer call() {
    Instance instance = hvctl().unary().createInstance(request());
    if (await) {
      instance = new InstanceWaiter(hvctl()).untilSettled(instance);
      if (instance.getState() != InstanceState.INSTANCE_STATE_RUNNING) {
        String why = instance.getErrorMessage().isEmpty()
            ? "it is " + EnumNames.shortName(instance.getState())
            : instance.getErrorMessage();
        throw new CommandFailure(ExitCode.FAILURE,
            "instance " + instance.getName() + " (" + instance.getId() + ") failed: " + why);
      }
    }
    printRow(instance);
    return ExitCode.OK;
  }

  CreateInstanceRequest request() {
    InstanceSpec.Builder spec = InstanceSpec.newBuilder()
        .setImage(image)
        .setCpuCores(cpus)
        .setMemoryBytes(memoryBytes)
        .addAllDisks(disks)
        .addAllCommand(command == null ? List.of() : command)
        .putAllEnv(orEmpty(env));
    if (kernel != null) {
      spec.setKernel(kernel);
    }
    if (runtimeClass != null) {
      spec.setRuntimeClass(runtimeClass);
    }
    if (network != null || ip != null) {
      NetworkSpec.Builder net = NetworkSpec.newBuilder();
      if (network != null) {
        net.setNetworkId(network);
      }
      if (ip != null) {
        net.setIpAddress(ip);
      }
      spec.setNetwork(net);
    }
    CreateInstanceRequest.Builder request = CreateInstanceRequest.newBuilder()
        .setName(name)
        .setType(type)
        .setSpec(spec);
    if (!orEmpty(labels).isEmpty() || !orEmpty(annotations).isEmpty()) {
      request.setMetadata(Metadata.newBuilder().putAllLabels(orEmpty(labels)).putAllAnnotations(orEmpty(annotations)));
    }
    if (requestId != null) {
      request.setRequestId(requestId);
    }
    return request.build();
  }

  private static Map<String, String> orEmpty(Map<String, String> map) {
    return map == null ? Map.of() : map;
  }
}
