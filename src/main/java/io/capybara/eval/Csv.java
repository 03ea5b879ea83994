package io.capybara.eval;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** A CSV file built row by row (RFC 4180 quoting), written at once. */
public final class Csv {
    private final List<String> lines = new ArrayList<>();
    private final int columns;

    public Csv(String... header) {
        columns = header.length;
        add((Object[]) header);
    }

    public Csv add(Object... cells) {
        if (cells.length != columns) {
            throw new IllegalArgumentException("row has " + cells.length + " cells, header " + columns);
        }
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < cells.length; i++) {
            if (i > 0) {
                sb.append(',');
            }
            String s = cells[i] instanceof Double d ? String.format(java.util.Locale.ROOT, "%.3f", d)
                    : String.valueOf(cells[i]);
            if (s.contains(",") || s.contains("\"") || s.contains("\n")) {
                s = '"' + s.replace("\"", "\"\"") + '"';
            }
            sb.append(s);
        }
        lines.add(sb.toString());
        return this;
    }

    public int rows() {
        return lines.size() - 1;
    }

    public void write(Path file) throws IOException {
        Files.write(file, lines);
    }
}
