#!/bin/sh
# Entrypoint of the harness's Postgres image, a test container on a private
# network. On first start it makes a cluster in $PGDATA that trusts every
# connection (any password is accepted) and listens on all addresses; then,
# and on every later start, it runs postgres in the foreground with the
# container's arguments (for example -c fsync=off).
#
# POSTGRES_USER (default postgres) names the superuser and POSTGRES_DB
# (default: the user's name) a database created for it, as in the images
# people know from registries.
set -eu

: "${PGDATA:=/var/lib/postgresql/data}"
export PGDATA

# Started as root (docker run --user root, or a volume mounted over PGDATA):
# hand the directories to postgres and start again as postgres.
if [ "$(id -u)" = 0 ]; then
	mkdir -p "$PGDATA" /var/run/postgresql
	chown postgres:postgres "$PGDATA" /var/run/postgresql
	chmod 700 "$PGDATA"
	exec setpriv --reuid=postgres --regid=postgres --init-groups "$0" "$@"
fi

if [ ! -s "$PGDATA/PG_VERSION" ]; then
	user=${POSTGRES_USER:-postgres}
	db=${POSTGRES_DB:-$user}
	# --no-sync: a throwaway test cluster need not wait for the disk here.
	initdb --username="$user" --auth=trust --encoding=UTF8 --locale=C.UTF-8 \
		--no-sync --pgdata="$PGDATA" >/dev/null
	cat >>"$PGDATA/postgresql.conf" <<-EOF

		# Added by the harness image.
		listen_addresses = '*'
		jit = off
	EOF
	cat >>"$PGDATA/pg_hba.conf" <<-EOF

		# Added by the harness image: a test container on a private network.
		host all all 0.0.0.0/0 trust
		host all all ::/0 trust
	EOF
	if [ "$db" != postgres ]; then
		# Single-user mode: no server, no port, nothing to wait for.
		printf 'CREATE DATABASE "%s";\n' "$db" |
			postgres --single -D "$PGDATA" postgres >/dev/null
	fi
	echo "postgres-entrypoint: initialised $PGDATA (user $user, database $db)" >&2
fi

exec postgres "$@"
