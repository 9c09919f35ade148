package dev.pulse.flink.rollup;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.URI;
import java.net.URISyntaxException;

/**
 * The page a page_view counts for (contract/src/page-path.ts): {@code properties.path}, else
 * {@code context.page.path}, else the path of {@code properties.url} (a full URL or a bare path);
 * '' when there is none.
 */
public final class PagePath {
  private PagePath() {}

  public static String of(JsonNode event) {
    String fromProps = text(event.path("properties").path("path"));
    if (!fromProps.isEmpty()) return fromProps;
    String fromContext = text(event.path("context").path("page").path("path"));
    if (!fromContext.isEmpty()) return fromContext;
    String url = text(event.path("properties").path("url"));
    if (url.isEmpty()) return "";
    if (url.startsWith("/")) return url.split("[?#]", 2)[0];
    try {
      URI uri = new URI(url);
      if (!uri.isAbsolute() || uri.isOpaque()) return url;
      String path = uri.getRawPath();
      // WHATWG URL (what `new URL(url).pathname` follows) gives "/" for http(s)://host.
      return path == null || path.isEmpty() ? "/" : path;
    } catch (URISyntaxException e) {
      return url;
    }
  }

  private static String text(JsonNode value) {
    return value.isTextual() ? value.asText() : "";
  }
}
