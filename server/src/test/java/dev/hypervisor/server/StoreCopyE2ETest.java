package dev.hypervisor.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hypervisor.api.v1.CreateInstanceRequest;
import dev.hypervisor.api.v1.Instance;
import dev.hypervisor.api.v1.InstanceSpec;
import dev.hypervisor.api.v1.InstanceType;
import dev.hypervisor.api.v1.ListImagesRequest;
import dev.hypervisor.api.v1.ListInstancesRequest;
import dev.hypervisor.core.store.Store;
import dev.hypervisor.store.etcd.EtcdStore;
import dev.hypervisor.store.etcd.EtcdStoreOptions;
import dev.hypervisor.testkit.DaemonProcess;
import dev.hypervisor.testkit.etcd.EtcdCluster;
import dev.hypervisor.testkit.images.OciImageBuilder;
import dev.hypervisor.testkit.images.RegistryServer;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * {@code hypervisord store copy}: a single host's state made on SQLite by a real daemon, moved
 * into a real etcd, and served from there by the daemon restarted on etcd.
 */
class StoreCopyE2ETest {

    @TempDir
    Path tmp;

    private final List<AutoCloseable> running = new ArrayList<>();

    @AfterEach
    void stop() throws Exception {
        for (int i = running.size() - 1; i >= 0; i--) {
            running.get(i).close();
        }
    }

    private record Run(int exit, String out, String err) {}

    private static Run hypervisord(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine cli = new CommandLine(new Hypervisord());
        cli.setOut(new PrintWriter(out));
        cli.setErr(new PrintWriter(err));
        int exit = cli.execute(args);
        return new Run(exit, out.toString(), err.toString());
    }

    @Test
    void aSqliteHostsStateMovesIntoEtcdAndIsServedFromThere() throws Exception {
        RegistryServer registry = RegistryServer.start(Files.createDirectories(tmp.resolve("registry")));
        running.add(registry);
        String image = registry.host() + "/library/busybox:1";
        OciImageBuilder.busyboxImage().cmd("/bin/sh").writeTo(tmp.resolve("layout"), "busybox").push(image);
        EtcdCluster etcd = EtcdCluster.start(tmp.resolve("etcd"), 1);
        running.add(etcd);
        Path data = tmp.resolve("data");

        DaemonProcess onSqlite = E2eDaemons.start(data, true, "--store", "sqlite");
        Map<String, String> made = new TreeMap<>();
        for (int i = 0; i < 3; i++) {
            Instance created = onSqlite.blocking().createInstance(create("moved-" + i, image, "req-" + i));
            made.put(created.getId(), created.getName());
        }
        onSqlite.pullImage(image, Duration.ofSeconds(60));

        Run whileServing = hypervisord("store", "copy", "--from", "sqlite", "--data-dir", data.toString(),
                "--to", etcd.storeUri(), "--store-prefix", "/moved");
        assertThat(whileServing.exit()).as(whileServing.err()).isEqualTo(1);
        assertThat(whileServing.err()).contains("belongs to another hypervisord").contains("stop its daemon first");
        assertThat(onSqlite.terminate()).isZero();

        Run copy = hypervisord("store", "copy", "--from", "sqlite", "--data-dir", data.toString(),
                "--to", etcd.storeUri(), "--store-prefix", "/moved");
        assertThat(copy.exit()).as(copy.err()).isZero();
        assertThat(copy.out()).containsPattern("copied \\d+ keys from sqlite to etcd://");

        Run again = hypervisord("store", "copy", "--from", "sqlite", "--data-dir", data.toString(),
                "--to", etcd.storeUri(), "--store-prefix", "/moved");
        assertThat(again.exit()).isEqualTo(1);
        assertThat(again.err()).contains("the target store is not empty");

        try (Store sqlite = dev.hypervisor.store.sqlite.SqliteStore.open(data.resolve("state.db"),
                dev.hypervisor.store.sqlite.SqliteStoreOptions.defaults());
             Store moved = EtcdStore.open(EtcdStoreOptions.of(List.of(etcd.members().get(0).clientAddress()))
                     .withPrefix("/moved"))) {
            assertThat(StoreConsistency.assertConsistent(moved)).isEqualTo(3);
            assertThat(keysAndValues(moved)).isEqualTo(keysAndValues(sqlite));
        }

        DaemonProcess onEtcd = E2eDaemons.start(data, true, "--store", etcd.storeUri(), "--store-prefix", "/moved");
        running.add(onEtcd);
        Map<String, String> listed = new TreeMap<>();
        onEtcd.blocking().withDeadlineAfter(30, TimeUnit.SECONDS).listInstances(ListInstancesRequest.newBuilder().build())
                .getInstancesList().forEach(i -> listed.put(i.getId(), i.getName()));
        assertThat(listed).isEqualTo(made);
        // The request log came along: a retried create is answered with the instance it made on SQLite.
        Instance retried = onEtcd.blocking().createInstance(create("moved-1", image, "req-1"));
        assertThat(made).containsEntry(retried.getId(), "moved-1");
        assertThat(onEtcd.blocking().listImages(ListImagesRequest.newBuilder().build()).getImagesList())
                .anySatisfy(i -> assertThat(i.toString()).contains("busybox"));
    }

    @Test
    void aMissingSourceOrTheSameStoreTwiceIsRefused() {
        Run missing = hypervisord("store", "copy", "--from", "sqlite:nothing.db", "--data-dir", tmp.toString(),
                "--to", "sqlite:other.db");
        assertThat(missing.exit()).isEqualTo(1);
        assertThat(missing.err()).contains("there is no SQLite store at").contains("nothing.db");
        assertThat(Files.exists(tmp.resolve("other.db"))).as("nothing made").isFalse();

        Run same = hypervisord("store", "copy", "--from", "sqlite:a.db", "--to", "sqlite:a.db");
        assertThat(same.exit()).isEqualTo(2);
        assertThat(same.err()).contains("--from and --to name the same store");

        Run settingsForNoEtcd = hypervisord("store", "copy", "--from", "sqlite:a.db", "--to", "sqlite:b.db",
                "--store-prefix", "/x");
        assertThat(settingsForNoEtcd.exit()).isEqualTo(2);
        assertThat(settingsForNoEtcd.err()).contains("apply to --store etcd://... only");
    }

    private static Map<String, String> keysAndValues(Store store) {
        Map<String, String> all = new TreeMap<>();
        String after = "";
        dev.hypervisor.core.store.RangeResult page;
        do {
            page = store.range("", after, 100);
            page.kvs().forEach(kv -> all.put(kv.key(), new String(kv.value(), java.nio.charset.StandardCharsets.UTF_8)));
            if (!page.kvs().isEmpty()) {
                after = page.kvs().get(page.kvs().size() - 1).key();
            }
        } while (page.more());
        return all;
    }

    private static CreateInstanceRequest create(String name, String image, String requestId) {
        return CreateInstanceRequest.newBuilder().setName(name).setType(InstanceType.INSTANCE_TYPE_CONTAINER)
                .setRequestId(requestId).setSpec(InstanceSpec.newBuilder().setImage(image)).build();
    }
}
