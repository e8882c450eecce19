package dev.hypervisor.cli;

import java.util.HashSet;
import java.util.Set;
import java.util.function.BinaryOperator;
import java.util.function.Function;
import picocli.CommandLine.Option;

/** The --all option of {@code ls} and {@code image ls}, and the walk along next_page_token it asks for. */
final class AllPages {

  @Option(names = "--all", description = "Follow next_page_token until the last page.")
  boolean all;

  /**
   * Fetches the page {@code token} names and, with --all, every page after it; returns the first
   * page with each later one joined onto it.
   *
   * @param list calls the List method with a page token
   * @param nextToken reads a page's next_page_token
   * @param join adds a later page's items and next_page_token to the pages so far
   */
  <P> P fetch(String token, Function<String, P> list, Function<P, String> nextToken, BinaryOperator<P> join) {
    P page = list.apply(token);
    P result = page;
    Set<String> tokens = new HashSet<>();
    // A token seen before would loop forever; the server is broken, so stop and show what we have.
    while (all && !nextToken.apply(page).isEmpty() && tokens.add(nextToken.apply(page))) {
      page = list.apply(nextToken.apply(page));
      result = join.apply(result, page);
    }
    return result;
  }
}
