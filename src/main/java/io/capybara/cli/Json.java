package io.capybara.cli;

import com.fasterxml.jackson.jr.ob.JSON;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.reflect.Array;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The one JSON object a {@code --json} command prints, written by jackson-jr. Build it with
 * {@link #put} and {@link #object}; insertion order is kept so output is stable.
 *
 * <p>Values: numbers (written as JSON numbers at full precision; NaN and infinities as
 * {@code null}), booleans, strings, {@code null}, maps, iterables and arrays (JSON arrays, also
 * primitive ones), nested {@code Json}; anything else is written as its {@code toString()}.
 * {@link #write(Object)} turns any such value into one line of JSON.
 */
public final class Json {
    private static final JSON WRITER = JSON.std.with(JSON.Feature.WRITE_NULL_PROPERTIES);

    private final Map<String, Object> fields = new LinkedHashMap<>();

    public Json put(String key, Object value) {
        fields.put(key, value);
        return this;
    }

    /** A nested object under {@code key}, returned for filling in. */
    public Json object(String key) {
        Json child = new Json();
        fields.put(key, child);
        return child;
    }

    /** The fields as plain maps, lists, numbers, strings and booleans (what the writer gets). */
    public Map<String, Object> toMap() {
        @SuppressWarnings("unchecked")
        Map<String, Object> m = (Map<String, Object>) plain(this);
        return m;
    }

    /** One line of JSON. */
    @Override
    public String toString() {
        return write(this);
    }

    /** One line of JSON for any value this class accepts (a {@code Json}, a map, a list...). */
    public static String write(Object value) {
        try {
            return WRITER.asString(plain(value));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Parses one JSON text into maps, lists, numbers, strings, booleans and nulls. */
    public static Object parse(String text) {
        try {
            return WRITER.anyFrom(text);
        } catch (IOException e) {
            throw new IllegalArgumentException("not JSON: " + e.getMessage(), e);
        }
    }

    /** Turns a value into what jackson-jr writes as JSON without asking it to guess at beans. */
    private static Object plain(Object v) {
        return switch (v) {
            case null -> null;
            case Json j -> {
                Map<String, Object> m = new LinkedHashMap<>();
                j.fields.forEach((k, x) -> m.put(k, plain(x)));
                yield m;
            }
            case Map<?, ?> map -> {
                Map<String, Object> m = new LinkedHashMap<>();
                map.forEach((k, x) -> m.put(String.valueOf(k), plain(x)));
                yield m;
            }
            case CharSequence cs -> cs.toString();
            case java.nio.file.Path p -> p.toString(); // a Path is an Iterable of its names
            case Iterable<?> it -> {
                List<Object> l = new ArrayList<>();
                it.forEach(x -> l.add(plain(x)));
                yield l;
            }
            case Double d -> d.isNaN() || d.isInfinite() ? null : d;
            case Float f -> f.isNaN() || f.isInfinite() ? null : f.doubleValue();
            case Byte b -> b;
            case Short sh -> sh;
            case Integer i -> i;
            case Long l -> l;
            case java.math.BigInteger bi -> bi;
            case java.math.BigDecimal bd -> bd;
            case java.util.concurrent.atomic.AtomicInteger ai -> ai.get();
            case java.util.concurrent.atomic.AtomicLong al -> al.get();
            case Number n -> plain(n.doubleValue()); // other Number kinds (adders...): their value
            case Boolean b -> b;
            default -> {
                if (v.getClass().isArray()) {
                    int n = Array.getLength(v);
                    List<Object> l = new ArrayList<>(n);
                    for (int i = 0; i < n; i++) {
                        l.add(plain(Array.get(v, i)));
                    }
                    yield l;
                }
                yield v.toString();
            }
        };
    }
}
