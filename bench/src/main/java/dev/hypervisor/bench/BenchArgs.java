package dev.hypervisor.bench;

import java.util.LinkedHashMap;
import java.util.Map;

/** The command line every benchmark shares: {@code --quick}, {@code --keep}, {@code --help} and {@code --NAME VALUE} pairs. */
public record BenchArgs(boolean quick, boolean keep, Map<String, String> values) {

    /** Parses the arguments; throws IllegalArgumentException carrying {@code usage} on a bad or help request. */
    public static BenchArgs parse(String[] args, String usage) {
        boolean quick = false;
        boolean keep = false;
        Map<String, String> values = new LinkedHashMap<>();
        for (int i = 0; i < args.length; i++) {
            String arg = args[i];
            switch (arg) {
                case "--quick" -> quick = true;
                case "--keep" -> keep = true;
                case "-h", "--help" -> throw new IllegalArgumentException(usage);
                default -> {
                    if (!arg.startsWith("--") || i + 1 >= args.length) {
                        throw new IllegalArgumentException("unknown or incomplete option " + arg + "\n" + usage);
                    }
                    values.put(arg, args[++i]);
                }
            }
        }
        return new BenchArgs(quick, keep, values);
    }

    /** Takes {@code name} out of {@code values}: an integer from 1 to {@code max}, or {@code fallback} when absent. */
    public static int integer(Map<String, String> values, String name, int fallback, int max) {
        String value = values.remove(name);
        if (value == null) {
            return fallback;
        }
        try {
            int parsed = Integer.parseInt(value);
            if (parsed < 1 || parsed > max) {
                throw new NumberFormatException();
            }
            return parsed;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(name + ": expected an integer from 1 to " + max + ", got " + value);
        }
    }

    /** Fails naming the first option nobody took out of {@code values}. */
    public static void requireAllUsed(Map<String, String> values, String usage) {
        if (!values.isEmpty()) {
            throw new IllegalArgumentException("unknown option " + values.keySet().iterator().next() + "\n" + usage);
        }
    }
}
