package dev.hypervisor.bench;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The daemon's {@code hypervisord_runtime_phase_duration_seconds} histogram of one runtime, read
 * from its Prometheus endpoint: each phase's sum and count, so that two reads give the mean time
 * of each phase over what ran in between.
 */
public record PhaseScrape(Map<String, double[]> phases) {

    private static final Pattern LINE = Pattern.compile(
            "hypervisord_runtime_phase_duration_seconds_(sum|count)\\{([^}]*)\\} (\\S+)");
    private static final Pattern LABEL = Pattern.compile("(\\w+)=\"([^\"]*)\"");

    /** Reads the phases of {@code runtime} from the endpoint on {@code port} of this machine. */
    public static PhaseScrape read(int port, String runtime) throws IOException, InterruptedException {
        if (port < 0) {
            throw new IllegalStateException("the daemon runs without its metrics endpoint");
        }
        HttpResponse<String> response = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                URI.create("http://127.0.0.1:" + port + "/metrics")).timeout(Duration.ofSeconds(10)).build(),
                HttpResponse.BodyHandlers.ofString());
        return parse(response.body(), runtime);
    }

    /** The phases of {@code runtime} in a Prometheus text exposition. */
    static PhaseScrape parse(String exposition, String runtime) {
        Map<String, double[]> phases = new LinkedHashMap<>();
        for (String line : exposition.split("\n")) {
            Matcher m = LINE.matcher(line);
            if (!m.matches()) {
                continue;
            }
            Map<String, String> labels = new LinkedHashMap<>();
            for (Matcher l = LABEL.matcher(m.group(2)); l.find();) {
                labels.put(l.group(1), l.group(2));
            }
            if (!runtime.equals(labels.get("runtime"))) {
                continue;
            }
            double[] sumAndCount = phases.computeIfAbsent(labels.get("phase"), k -> new double[2]);
            sumAndCount[m.group(1).equals("sum") ? 0 : 1] = Double.parseDouble(m.group(3));
        }
        return new PhaseScrape(phases);
    }

    /** Each phase's mean in ms over what ran since {@code before}; phases that did not run are left out. */
    public Map<String, Double> meansSince(PhaseScrape before) {
        Map<String, Double> means = new LinkedHashMap<>();
        phases.forEach((phase, now) -> {
            double[] then = before.phases.getOrDefault(phase, new double[2]);
            double count = now[1] - then[1];
            if (count > 0) {
                means.put(phase, (now[0] - then[0]) / count * 1000);
            }
        });
        return means;
    }
}
