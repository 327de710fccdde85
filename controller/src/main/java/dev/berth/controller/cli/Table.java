package dev.berth.controller.cli;

import java.io.PrintWriter;
import java.util.List;

/** Prints rows as left-aligned columns separated by two spaces, as ctr's tabwriter output. */
final class Table {
    private Table() {
    }

    static void print(PrintWriter out, List<String[]> rows) {
        if (rows.isEmpty()) {
            return;
        }
        int cols = rows.get(0).length;
        int[] w = new int[cols];
        for (String[] r : rows) {
            for (int i = 0; i < cols; i++) {
                w[i] = Math.max(w[i], r[i].length());
            }
        }
        for (String[] r : rows) {
            StringBuilder sb = new StringBuilder();
            for (int i = 0; i < cols; i++) {
                sb.append(r[i]);
                if (i < cols - 1) {
                    sb.append(" ".repeat(w[i] - r[i].length() + 2));
                }
            }
            out.println(sb);
        }
    }
}
