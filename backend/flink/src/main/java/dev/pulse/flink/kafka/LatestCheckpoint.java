package dev.pulse.flink.kafka;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.Comparator;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * The newest completed checkpoint under a local checkpoint directory
 * ({@code <dir>/<job id>/chk-<n>/_metadata}), so a job process started again after a crash resumes
 * from it: state and Kafka offsets together, its open transactions committed or aborted. (A Flink
 * cluster with high availability does this itself; a MiniCluster in a fresh JVM does not.)
 */
final class LatestCheckpoint {
  private LatestCheckpoint() {}

  /** The checkpoint's directory as a path Flink can restore from; empty when there is none. */
  static Optional<String> in(String checkpointDir) throws IOException {
    URI uri = URI.create(checkpointDir);
    if (uri.getScheme() != null && !uri.getScheme().equals("file")) return Optional.empty();
    Path root = uri.getScheme() == null ? Path.of(checkpointDir) : Path.of(uri);
    if (!Files.isDirectory(root)) return Optional.empty();
    try (Stream<Path> found = Files.find(root, 3, LatestCheckpoint::isCompleted)) {
      return found
          .max(Comparator.comparing(LatestCheckpoint::modified))
          .map(metadata -> metadata.getParent().toUri().toString());
    }
  }

  private static boolean isCompleted(Path path, java.nio.file.attribute.BasicFileAttributes attrs) {
    return attrs.isRegularFile()
        && path.getFileName().toString().equals("_metadata")
        && path.getParent().getFileName().toString().startsWith("chk-");
  }

  private static FileTime modified(Path path) {
    try {
      return Files.getLastModifiedTime(path);
    } catch (IOException e) {
      return FileTime.fromMillis(0);
    }
  }
}
