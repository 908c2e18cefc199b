# shellcheck shell=bash
# MariaDB: its configuration, datadir, daemon and the services' databases.
# Sourced by start.sh.

write_mysql_conf() {
  mkdir -p "$LC_ETC/mysql"
  # The datadir and socket live in our folder, not /var/lib/mysql: wipe.sh
  # can then start from scratch, and a distribution MariaDB is untouched.
  # The flush settings trade durability for speed: this is a throw-away
  # test database and the migrations run thousands of DDL statements.
  render mysql/my.cnf LC_DATA LC_MYSQL_SOCK LC_RUN LC_HOST LC_PORT_MYSQL >"$LC_ETC/mysql/my.cnf"
}

mysql_ready() { mysqladmin --protocol=socket -S "$LC_MYSQL_SOCK" -uroot ping; }

start_mysql() {
  write_mysql_conf
  if [ ! -d "$LC_DATA/mysql/mysql" ]; then
    log "initialising MariaDB datadir"
    mkdir -p "$LC_DATA/mysql"
    # root authenticates over the socket as the OS root user; no password.
    mariadb-install-db --defaults-file="$LC_ETC/mysql/my.cnf" \
      --auth-root-authentication-method=socket --skip-test-db \
      >>"$(logfile_of mysql-install)" 2>&1 \
      || { log_tail mysql-install; die "mariadb-install-db failed"; }
  fi
  # mysqld writes its socket and pid file in a folder of its own.
  mkdir -p "$LC_RUN/mysql"
  start_daemon mysql mariadbd --defaults-file="$LC_ETC/mysql/my.cnf"
}

create_databases() {
  local db sql=""
  for db in keystone neutron octavia placement glance nova_api nova nova_cell0; do
    sql+="CREATE DATABASE IF NOT EXISTS $db;"
  done
  sql+="CREATE USER IF NOT EXISTS 'openstack'@'$LC_HOST' IDENTIFIED BY '$LC_PASSWORD';"
  sql+="CREATE USER IF NOT EXISTS 'openstack'@'localhost' IDENTIFIED BY '$LC_PASSWORD';"
  for db in keystone neutron octavia placement glance nova_api nova nova_cell0; do
    sql+="GRANT ALL PRIVILEGES ON $db.* TO 'openstack'@'$LC_HOST';"
    sql+="GRANT ALL PRIVILEGES ON $db.* TO 'openstack'@'localhost';"
  done
  lc_mysql -e "$sql"
}
