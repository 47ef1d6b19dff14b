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
#
# The image carries a template cluster, made when it was built by
# "postgres-entrypoint --make-template USER DB", because initdb takes
# seconds and the harness starts dozens of containers. When $PGDATA is empty
# and POSTGRES_USER is the template's user, the first start copies the
# template (and makes or drops a database if POSTGRES_DB differs) instead of
# running initdb; the result is the cluster initdb would have made. Any
# other user gets initdb as before: the bootstrap superuser cannot be
# renamed from single-user mode, which runs as that very role.
set -eu

: "${PGDATA:=/var/lib/postgresql/data}"
export PGDATA
template=/var/lib/postgresql/template
# One line, "USER DATABASE": what the template was made for.
template_info=/var/lib/postgresql/template.info

# single DIR SQL... runs each SQL statement, one per line, in single-user
# mode: no server, no port, nothing to wait for. A line is a transaction of
# its own, as CREATE and DROP DATABASE require.
single() {
	dir=$1
	shift
	printf '%s\n' "$@" | postgres --single -D "$dir" postgres >/dev/null
}

# init_cluster DIR USER DB makes a cluster in DIR with superuser USER and,
# unless it is "postgres", which every cluster has, database DB.
init_cluster() {
	# --no-sync: a throwaway test cluster need not wait for the disk here.
	initdb --username="$2" --auth=trust --encoding=UTF8 --locale=C.UTF-8 \
		--no-sync --pgdata="$1" >/dev/null
	cat >>"$1/postgresql.conf" <<-EOF

		# Added by the harness image.
		listen_addresses = '*'
		jit = off
	EOF
	cat >>"$1/pg_hba.conf" <<-EOF

		# Added by the harness image: a test container on a private network.
		host all all 0.0.0.0/0 trust
		host all all ::/0 trust
	EOF
	if [ "$3" != postgres ]; then
		single "$1" "CREATE DATABASE \"$3\";"
	fi
}

# Run by the image build, never by a container: make the template.
if [ "${1:-}" = --make-template ]; then
	[ $# = 3 ] || {
		echo "usage: postgres-entrypoint --make-template USER DATABASE" >&2
		exit 2
	}
	init_cluster "$template" "$2" "$3"
	printf '%s %s\n' "$2" "$3" >"$template_info"
	echo "postgres-entrypoint: made the template cluster (user $2, database $3)" >&2
	exit 0
fi

# Started as root (docker run --user root, or a volume mounted over PGDATA):
# hand the directories to postgres and start again as postgres.
if [ "$(id -u)" = 0 ]; then
	mkdir -p "$PGDATA" /var/run/postgresql
	chown postgres:postgres "$PGDATA" /var/run/postgresql
	chmod 700 "$PGDATA"
	exec setpriv --reuid=postgres --regid=postgres --init-groups "$0" "$@"
fi

# use_template succeeds when the template fits: it is there, made for
# POSTGRES_USER, and $PGDATA is empty (as initdb also requires).
use_template() {
	[ -r "$template_info" ] || return 1
	read -r t_user t_db <"$template_info" || return 1
	[ "$user" = "$t_user" ] || return 1
	[ ! -e "$PGDATA" ] || [ -z "$(ls -A "$PGDATA")" ]
}

if [ ! -s "$PGDATA/PG_VERSION" ]; then
	user=${POSTGRES_USER:-postgres}
	db=${POSTGRES_DB:-$user}
	if use_template; then
		mkdir -p "$PGDATA"
		# -a keeps the files' owner and modes; the directory itself may be
		# a mount point, so its mode is set rather than copied.
		cp -a "$template/." "$PGDATA/"
		chmod 700 "$PGDATA"
		if [ "$db" != "$t_db" ]; then
			# Not "set --": "$@" is postgres's arguments. An empty line
			# is an empty statement.
			drop= create=
			[ "$t_db" = postgres ] || drop="DROP DATABASE \"$t_db\";"
			[ "$db" = postgres ] || create="CREATE DATABASE \"$db\";"
			single "$PGDATA" "$drop" "$create"
		fi
		how="copied the template"
	else
		init_cluster "$PGDATA" "$user" "$db"
		how="ran initdb"
	fi
	echo "postgres-entrypoint: initialised $PGDATA (user $user, database $db; $how)" >&2
fi

exec postgres "$@"
