package dev.hypervisor.cli;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;

/** A plain-text table whose columns are as wide as their widest cell, kubectl style. */
final class Table {

  private static final String GAP = "   ";

  private final List<String[]> rows = new ArrayList<>();

  Table(String... headers) {
    rows.add(headers);
  }

  Table row(String... cells) {
    if (cells.length != rows.get(0).length) {
      throw new IllegalArgumentException("row has " + cells.length + " cells, table has "
          + rows.get(0).length + " columns");
    }
    String[] copy = new String[cells.length];
    for (int i = 0; i < cells.length; i++) {
      copy[i] = cells[i] == null || cells[i].isEmpty() ? "-" : cells[i];
    }
    rows.add(copy);
    return this;
  }

  void print(PrintStream out) {
    int columns = rows.get(0).length;
    int[] widths = new int[columns];
    for (String[] row : rows) {
      for (int i = 0; i < columns; i++) {
        widths[i] = Math.max(widths[i], row[i].length());
      }
    }
    for (String[] row : rows) {
      StringBuilder line = new StringBuilder();
      for (int i = 0; i < columns; i++) {
        line.append(row[i]);
        if (i < columns - 1) {
          line.append(" ".repeat(widths[i] - row[i].length())).append(GAP);
        }
      }
      out.println(line);
    }
  }
}
