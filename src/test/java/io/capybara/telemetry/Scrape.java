package io.capybara.telemetry;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.HashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Test helper: one scrape of a metrics endpoint, as a Prometheus server would do it. */
public final class Scrape {
    private Scrape() {
    }

    /** Every sample line of {@code url}'s text format as {@code name{labels}} -> value. */
    public static Map<String, Double> samples(String url) throws Exception {
        HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(url)).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(200, r.statusCode());
        assertTrue(r.headers().firstValue("Content-Type").orElse("").startsWith("text/plain"), r.headers().toString());
        return parse(r.body());
    }

    /** The sample lines of a text-format body (e.g. fetched by curl inside a namespace). */
    public static Map<String, Double> parse(String body) {
        Map<String, Double> samples = new HashMap<>();
        Matcher m = Pattern.compile("(?m)^([a-z_:][a-zA-Z0-9_:]*(?:\\{[^}]*})?) (\\S+)$").matcher(body);
        while (m.find()) {
            samples.put(m.group(1), Double.parseDouble(m.group(2)));
        }
        return samples;
    }
}
