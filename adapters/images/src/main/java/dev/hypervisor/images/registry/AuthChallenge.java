package dev.hypervisor.images.registry;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * One challenge of a {@code WWW-Authenticate} header (RFC 7235 section 4.1): a scheme such as
 * {@code Bearer} or {@code Basic} and its parameters ({@code realm}, {@code service}, {@code scope}).
 */
record AuthChallenge(String scheme, Map<String, String> params) {

    AuthChallenge {
        params = Map.copyOf(params);
    }

    boolean isBearer() {
        return scheme.equalsIgnoreCase("Bearer");
    }

    boolean isBasic() {
        return scheme.equalsIgnoreCase("Basic");
    }

    String param(String name) {
        return params.get(name);
    }

    /** All challenges in the header values, in order; malformed parts are skipped, never thrown on. */
    static List<AuthChallenge> parse(List<String> headerValues) {
        List<AuthChallenge> result = new ArrayList<>();
        for (String value : headerValues) {
            new Parser(value).parseInto(result);
        }
        return result;
    }

    /** A hand-written scanner because challenge parameters may be quoted strings containing commas. */
    private static final class Parser {
        private final String s;
        private int i;

        Parser(String s) {
            this.s = s;
        }

        void parseInto(List<AuthChallenge> out) {
            String scheme = null;
            Map<String, String> params = new LinkedHashMap<>();
            while (true) {
                skip(" \t,");
                if (i >= s.length()) {
                    break;
                }
                String token = token();
                if (token.isEmpty()) {
                    i++; // an unexpected character: step over it
                    continue;
                }
                skip(" \t");
                if (i < s.length() && s.charAt(i) == '=' && scheme != null) {
                    i++;
                    skip(" \t");
                    params.put(token.toLowerCase(Locale.ROOT), i < s.length() && s.charAt(i) == '"' ? quoted() : token());
                } else {
                    if (scheme != null) {
                        out.add(new AuthChallenge(scheme, params));
                        params = new LinkedHashMap<>();
                    }
                    scheme = token;
                }
            }
            if (scheme != null) {
                out.add(new AuthChallenge(scheme, params));
            }
        }

        private void skip(String chars) {
            while (i < s.length() && chars.indexOf(s.charAt(i)) >= 0) {
                i++;
            }
        }

        private String token() {
            int start = i;
            while (i < s.length() && " \t,=\"".indexOf(s.charAt(i)) < 0) {
                i++;
            }
            return s.substring(start, i);
        }

        private String quoted() {
            StringBuilder b = new StringBuilder();
            i++; // opening quote
            while (i < s.length() && s.charAt(i) != '"') {
                char c = s.charAt(i++);
                if (c == '\\' && i < s.length()) {
                    c = s.charAt(i++);
                }
                b.append(c);
            }
            i++; // closing quote
            return b.toString();
        }
    }
}
