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
# initdb takes seconds, and the harness starts dozens of containers, so the
# image carries a cluster made when it was built ("postgres-entrypoint
# --make-template USER DB"): in $PGDATA itself, where postgres can start on
# it at once, and, hard-linked, in $template for an empty mount over
# $PGDATA. Its mark file says which user and database it was made for. The
# first start renames that superuser to POSTGRES_USER and drops or creates a
# database if POSTGRES_DB differs, in single-user mode, which gives the
# cluster initdb would have made. It never empties the template to run
# initdb instead: on fuse-overlayfs (rootless and nested Docker) initdb then
# fails to create files the image had.
set -eu

: "${PGDATA:=/var/lib/postgresql/data}"
export PGDATA
template=/var/lib/postgresql/template
# In a cluster the image made and no container has used yet: "USER DATABASE".
mark=harness-template

# single DIR SQL... runs each SQL statement, one per line, in single-user
# mode: no server, no port, nothing to wait for. A line is a transaction of
# its own, as CREATE and DROP DATABASE require; an empty one does nothing.
single() {
	dir=$1
	shift
	printf '%s\n' "$@" | postgres --single -D "$dir" postgres >/dev/null
}

# sql_string TEXT and sql_name TEXT print TEXT quoted as an SQL string
# and as an SQL identifier.
sql_string() { printf "'%s'" "$(printf '%s' "$1" | sed "s/'/''/g")"; }
sql_name() { printf '"%s"' "$(printf '%s' "$1" | sed 's/"/""/g')"; }

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
		single "$1" "CREATE DATABASE $(sql_name "$3");"
	fi
}

# Run by the image build, never by a container: make the template.
if [ "${1:-}" = --make-template ]; then
	[ $# = 3 ] || {
		echo "usage: postgres-entrypoint --make-template USER DATABASE" >&2
		exit 2
	}
	init_cluster "$PGDATA" "$2" "$3"
	printf '%s %s\n' "$2" "$3" >"$PGDATA/$mark"
	# Hard links: the second copy takes no room in the image's layer.
	cp -al "$PGDATA" "$template"
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

user=${POSTGRES_USER:-postgres}
db=${POSTGRES_DB:-$user}
if [ ! -f "$PGDATA/$mark" ] && [ ! -s "$PGDATA/PG_VERSION" ] &&
	[ -f "$template/$mark" ] && [ -z "$(ls -A "$PGDATA" 2>/dev/null)" ]; then
	# An empty mount over $PGDATA. -a keeps the files' owner and modes;
	# the directory may be a mount point, so its own are set, not copied.
	mkdir -p "$PGDATA"
	cp -a "$template/." "$PGDATA/"
	chmod 700 "$PGDATA"
fi

if [ -f "$PGDATA/$mark" ]; then
	case $user in
	pg_*)
		# As initdb says: the name is reserved for predefined roles.
		echo "postgres-entrypoint: superuser name \"$user\" is disallowed; role names cannot begin with \"pg_\"" >&2
		exit 1
		;;
	esac
	read -r t_user t_db <"$PGDATA/$mark"
	rename= drop= create=
	if [ "$user" != "$t_user" ]; then
		# ALTER ROLE cannot rename the session's own role, and in
		# single-user mode that is the bootstrap superuser (OID 10);
		# everything else refers to it by OID, so its name is one row.
		rename="UPDATE pg_authid SET rolname = $(sql_string "$user") WHERE oid = 10;"
	fi
	if [ "$db" != "$t_db" ]; then
		[ "$t_db" = postgres ] || drop="DROP DATABASE IF EXISTS $(sql_name "$t_db");"
		[ "$db" = postgres ] || create="CREATE DATABASE $(sql_name "$db");"
	fi
	if [ -n "$rename$drop$create" ]; then
		single "$PGDATA" "$rename" "$drop" "$create"
	fi
	# Last, so that a start cut short before here is redone.
	rm "$PGDATA/$mark"
	echo "postgres-entrypoint: initialised $PGDATA (user $user, database $db; from the image's template)" >&2
elif [ ! -s "$PGDATA/PG_VERSION" ]; then
	init_cluster "$PGDATA" "$user" "$db"
	echo "postgres-entrypoint: initialised $PGDATA (user $user, database $db; ran initdb)" >&2
fi

exec postgres "$@"
