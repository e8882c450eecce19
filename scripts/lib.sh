# Shared by run.sh and test.sh: install missing system packages, build when sources changed.

log() { printf '==> %s\n' "$*" >&2; }

# apt-get install, once per run, only for what is missing.
apt_updated=no
apt_install() {
  local missing=()
  for pkg in "$@"; do
    dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
  done
  [[ ${#missing[@]} -eq 0 ]] && return 0
  local sudo=""
  [[ $(id -u) -ne 0 ]] && sudo="sudo"
  log "installing ${missing[*]}"
  if [[ $apt_updated == no ]]; then
    $sudo apt-get update -qq
    apt_updated=yes
  fi
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

# apt's package lists, for apt-cache and apt-get download (a fresh image may ship none).
apt_lists() {
  if [[ $apt_updated == no ]] && ! compgen -G "/var/lib/apt/lists/*_Packages" >/dev/null; then
    local sudo=""
    [[ $(id -u) -ne 0 ]] && sudo="sudo"
    $sudo apt-get update -qq
    apt_updated=yes
  fi
}

ensure_build_tools() {
  if ! command -v java >/dev/null || ! java -version 2>&1 | grep -qE 'version "(1[7-9]|2[0-9])'; then
    apt_install openjdk-17-jdk-headless
  fi
  command -v mvn >/dev/null || apt_install maven
}

# Builds every module unless the launch jars are newer than every source file.
build_if_stale() {
  local jar=server/target/hypervisor-server-0.1.0-SNAPSHOT.jar
  local cli=cli/target/hypervisor-cli-0.1.0-SNAPSHOT.jar
  if [[ -f $jar && -f $cli && -d server/target/lib && -d cli/target/lib ]] \
     && [[ -z $(find pom.xml */pom.xml adapters/*/pom.xml api/proto */src adapters/*/src -newer "$jar" -type f -print -quit 2>/dev/null) ]]; then
    return 0
  fi
  log "building (mvn package)"
  mvn -B -q -DskipTests package -pl server,cli -am
}
