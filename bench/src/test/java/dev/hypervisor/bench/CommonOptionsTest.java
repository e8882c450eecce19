package dev.hypervisor.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.math.BigDecimal;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** --quick changes only the sizes not given, bad sizes are refused, and --help tells every quick size. */
class CommonOptionsTest {

    private static ControlPlaneOptions parse(String... args) {
        ControlPlaneOptions options = new ControlPlaneOptions();
        CommonOptions.parser(options, args).parseArgs(args);
        return options;
    }

    @Test
    void withoutQuickEveryOptionHasItsFullSize() {
        ControlPlaneOptions options = parse();

        assertThat(options.largeStore).isEqualTo(100_000);
        assertThat(options.createSeconds).isEqualTo(10);
        assertThat(options.quick()).isFalse();
        assertThat(options.workDir()).isEqualTo(Path.of("bench/target/control-plane"));
    }

    @Test
    void quickTakesTheQuickSizeOfEveryOptionNotGiven() {
        ControlPlaneOptions options = parse("--instances", "2000", "--quick", "--work-dir", "/tmp/w", "--keep");

        assertThat(options.largeStore).isEqualTo(2000);
        assertThat(options.latencyCalls).isEqualTo(1000);
        assertThat(options.createSeconds).isEqualTo(3);
        assertThat(options.smallStore).as("no quick size").isEqualTo(1000);
        assertThat(options.workDir()).isEqualTo(Path.of("/tmp/w"));
        assertThat(options.keep()).isTrue();
    }

    @Test
    void countsAndDurationsMustBePositive() {
        assertThatThrownBy(() -> parse("--rounds", "0")).isInstanceOf(CommandLine.ParameterException.class)
                .hasMessageContaining("--rounds").hasMessageContaining("expected an integer from 1");
        assertThatThrownBy(() -> parse("--watch-rate", "-1")).isInstanceOf(CommandLine.ParameterException.class)
                .hasMessageContaining("expected a positive number");
        assertThatThrownBy(() -> parse("--no-such-option")).isInstanceOf(CommandLine.ParameterException.class);
    }

    @Test
    void quickTakesTheQuickSizeTheHelpOfEveryBenchmarkStates() throws Exception {
        for (Class<?> type : new Class<?>[] {ControlPlaneOptions.class,
                Class.forName("dev.hypervisor.bench.images.ImagesOptions"),
                Class.forName("dev.hypervisor.bench.containers.ContainersOptions"),
                Class.forName("dev.hypervisor.bench.vm.VmOptions"),
                Class.forName("dev.hypervisor.bench.microvms.MicroVmsOptions")}) {
            var constructor = type.getDeclaredConstructor();
            constructor.setAccessible(true);
            String[] quick = {"--quick"};
            CommandLine cli = CommonOptions.parser((CommonOptions) constructor.newInstance(), quick);
            cli.parseArgs(quick);
            int quickSizes = 0;
            for (CommandLine.Model.OptionSpec option : cli.getCommandSpec().options()) {
                String stated = CommonOptions.quickSize(option);
                if (stated != null) {
                    assertThat(new BigDecimal(String.valueOf((Object) option.getValue())))
                            .as(type.getSimpleName() + " " + option.longestName()).isEqualByComparingTo(stated);
                    quickSizes++;
                }
            }
            assertThat(cli.getUsageMessage()).as(type.getSimpleName()).contains("--quick", "--work-dir", "--keep", "--help");
            assertThat(quickSizes).as(type.getSimpleName() + " has sizes of its own under --quick").isPositive();
        }
    }
}
