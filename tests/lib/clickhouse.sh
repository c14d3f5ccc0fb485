# start_clickhouse NAME: starts a private clickhouse-server (Debian's 18.16) on 127.0.0.1 with
# free ports, its data under $WORK/ch-NAME, and sets CH_PORT to its HTTP port. Never touches /etc
# or the system service. Call it in the test's own shell (not in $(...)): the server is killed when
# the test exits.
# start_clickhouse NAME [HTTP_PORT TCP_PORT]: as above; with $CH_REMOTE_XML set, that text is the
# server's <clickhouse_remote_servers> include (clusters for Distributed tables).
start_clickhouse() {
  local name=$1 dir="$WORK/ch-$1"
  command -v clickhouse-server >/dev/null || fail "clickhouse-server is not installed (scripts/install-deps.sh installs it)"
  mkdir -p "$dir/data"
  local http=${2:-} tcp=${3:-}
  [ -n "$http" ] || read -r http tcp < <(free_ports 2)
  cat > "$dir/config.xml" <<XML
<?xml version="1.0"?>
<yandex>
  <logger><level>warning</level><log>$dir/server.log</log><errorlog>$dir/server.err.log</errorlog><size>10M</size><count>1</count></logger>
  <http_port>$http</http_port><tcp_port>$tcp</tcp_port><listen_host>127.0.0.1</listen_host>
  <max_connections>64</max_connections><max_concurrent_queries>32</max_concurrent_queries>
  <mark_cache_size>67108864</mark_cache_size><uncompressed_cache_size>67108864</uncompressed_cache_size>
  <path>$dir/data/</path><tmp_path>$dir/data/tmp/</tmp_path><user_files_path>$dir/data/user_files/</user_files_path>
  <format_schema_path>$dir/data/format_schemas/</format_schema_path>
  <users_config>$dir/users.xml</users_config><default_profile>default</default_profile>
  <default_database>default</default_database><timezone>UTC</timezone><mlock_executable>false</mlock_executable>
  <remote_servers incl="clickhouse_remote_servers" optional="true"/>
  <include_from>$dir/remote.xml</include_from>
</yandex>
XML
  cat > "$dir/users.xml" <<'XML'
<?xml version="1.0"?>
<yandex>
  <profiles><default><max_memory_usage>2000000000</max_memory_usage></default></profiles>
  <users><default><password></password><networks><ip>127.0.0.1</ip></networks><profile>default</profile><quota>default</quota></default></users>
  <quotas><default><interval><duration>3600</duration><queries>0</queries><errors>0</errors><result_rows>0</result_rows><read_rows>0</read_rows><execution_time>0</execution_time></interval></default></quotas>
</yandex>
XML
  echo "${CH_REMOTE_XML:-<?xml version=\"1.0\"?><yandex/>}" > "$dir/remote.xml"
  clickhouse-server --config-file="$dir/config.xml" > "$dir/stdout" 2>&1 &
  echo $! > "$dir/pid"
  disown $! 2>/dev/null || true  # no "Killed" line when the exit trap stops it
  echo "$http" > "$dir/port"
  CH_PIDS="${CH_PIDS:-} $!"
  trap ch_cleanup EXIT
  for _ in $(seq 150); do
    curl -sf "http://127.0.0.1:$http/ping" >/dev/null 2>&1 && { CH_PORT=$http; return 0; }
    sleep 0.1
  done
  cat "$dir/server.err.log" "$dir/stdout" >&2 2>/dev/null || true
  fail "clickhouse-server $name did not start"
}

# ch_query PORT SQL: runs SQL on the server at PORT and prints the TabSeparated result.
ch_query() { curl -sf --data-binary "$2" "http://127.0.0.1:$1/"; }

# Exit trap: kill every server this test started, wait until they are gone (a dying server still
# writes into its data directory), then remove the scratch directory. Ends with a success status:
# a test that failed called exit 1 itself, which the trap does not change.
ch_cleanup() {
  local p
  for p in ${CH_PIDS:-}; do kill -9 "$p" 2>/dev/null || true; done
  for p in ${CH_PIDS:-}; do
    for _ in $(seq 100); do kill -0 "$p" 2>/dev/null || break; sleep 0.05; done
  done
  rm -rf "$WORK" 2>/dev/null || rm -rf "$WORK" 2>/dev/null || true
}
