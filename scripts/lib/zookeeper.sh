# Shared by scripts/test and scripts/zk-dev: the Debian `zookeeper` package and its classpath.
# The server is started with java directly (tests/support/zookeeper.py, scripts/zk-dev), never as
# a system service, so that each user of it chooses its own ports, data dir and log.

# ensure_zookeeper: install the Debian package when it is missing (needs root, as in CI).
ensure_zookeeper() {
  if dpkg-query -W -f='${Status}' zookeeper 2>/dev/null | grep -q '^install ok installed$'; then
    return
  fi
  echo "Installing ZooKeeper (Debian package zookeeper)..." >&2
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends zookeeper >/dev/null
}

# zookeeper_classpath: print the server's classpath. zookeeper.jar names its dependencies in its
# manifest; slf4j-simple is the logging backend (plain lines on stderr, no configuration file).
zookeeper_classpath() {
  local jar
  for jar in /usr/share/java/zookeeper.jar /usr/share/java/slf4j-simple.jar; do
    if [ ! -f "$jar" ]; then
      echo "ZooKeeper is not installed ($jar is missing): run ensure_zookeeper" >&2
      return 1
    fi
  done
  echo /usr/share/java/zookeeper.jar:/usr/share/java/slf4j-simple.jar
}
