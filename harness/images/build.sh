#!/usr/bin/env bash
# build.sh builds every container image the validation harness needs, on this
# machine and with no registry: the Go programs (Mimo, Toxiproxy's server,
# the provider stand-in) as static binaries on scratch, and Postgres,
# Prometheus and Alertmanager from Debian's packages (a debootstrap root
# filesystem brought in with docker import).
#
# Each image is tagged mimo-harness/NAME:HASH, where HASH is a digest of the
# image's inputs, and mimo-harness/NAME:latest. An image whose HASH tag
# exists is not rebuilt; a new one is smoke-tested before it is tagged. One
# line per image: built, cached or skipped, the tag, seconds, size.
#
# Usage: build.sh [-f|--force] [-v|--verbose] [NAME...]   (default: all)
#        build.sh [-f|--force] [-v|--verbose] --ref REF
#
#   --force    rebuild even when the HASH tag exists (also MIMO_IMAGES_FORCE=1)
#   --verbose  stream build output instead of writing it to the log file
#   --ref REF  build Mimo as it was at git REF instead (a commit, tag or
#              branch; "previous" is the previous release, see release.sh),
#              tagged mimo-harness/mimo:SHA12 and never :latest
#
# An image whose sources are not there yet (the stand-in) is skipped with a
# note, except under CI=true, where it is an error: CI never skips.
# Environment: MIMO_IMAGES_CACHE (default ${XDG_CACHE_HOME:-~/.cache}/mimo-harness),
# MIMO_IMAGES_SUITE (Debian release, default bookworm), MIMO_IMAGES_MIRROR
# (default: the host's apt source), TOXIPROXY_VERSION, VERSION (Mimo's
# version string; default from git).
set -euo pipefail
shopt -s inherit_errexit

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
root=$(cd "$here/../.." && pwd -P)
# shellcheck source=lib.sh
. "$here/lib.sh"
# shellcheck source=rootfs.sh
. "$here/rootfs.sh"
# shellcheck source=release.sh
. "$here/release.sh"

images=(mimo toxiproxy standin postgres prometheus alertmanager)
repo=mimo-harness
cache=${MIMO_IMAGES_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/mimo-harness}
suite=${MIMO_IMAGES_SUITE:-bookworm}
# The newest release the Go module proxy serves. Pinned, so that the image's
# hash names one binary; `go list -m -versions` may not list it.
toxiproxy_version=${TOXIPROXY_VERSION:-v2.12.0}
# How long a smoke test waits for a container to become ready, in seconds.
smoke_timeout=${MIMO_IMAGES_SMOKE_TIMEOUT:-120}
force=false
[[ ${MIMO_IMAGES_FORCE:-} == 1 ]] && force=true
verbose=false

usage() { sed -n '2,/^set -euo/{/^#/s/^# \{0,1\}//p}' "${BASH_SOURCE[0]}"; }

selected=()
release_ref=
while (($#)); do
	case $1 in
	-f | --force) force=true ;;
	-v | --verbose) verbose=true ;;
	--ref)
		(($# > 1)) || die "--ref needs a git ref (see --help)"
		release_ref=$2
		shift
		;;
	--ref=*) release_ref=${1#--ref=} ;;
	-h | --help) usage; exit 0 ;;
	-*) die "unknown option $1 (see --help)" ;;
	*)
		[[ " ${images[*]} " == *" $1 "* ]] || die "unknown image $1; images: ${images[*]}"
		selected+=("$1")
		;;
	esac
	shift
done
[[ -z $release_ref ]] || ((${#selected[@]} == 0)) || die "--ref builds Mimo alone; give no image names with it"
((${#selected[@]})) || selected=("${images[@]}")

# Debootstrap, chroot and the root filesystems' files need root; sudo is
# asked for only when a Debian-based image is built.
SUDO=
((EUID == 0)) || SUDO=sudo

command -v docker >/dev/null || die "docker is not installed"
goarch=$(docker version -f '{{.Server.Arch}}' 2>/dev/null) ||
	die "the Docker engine does not answer (docker version failed)"
command -v go >/dev/null || die "go is not installed"

# The terminal, kept: a failure inside a logged build step must still be
# reported there.
exec {tty_err}>&2
current_log=
on_exit() {
	local rc=$?
	cleanup
	# An image that failed its smoke test is untagged: remove it.
	if ((rc != 0)) && [[ -n ${image_id:-} ]]; then
		docker image rm "$image_id" >/dev/null 2>&1 || true
	fi
	if ((rc != 0)) && [[ -f $current_log ]]; then
		printf 'images: failed; the end of %s:\n' "$current_log" >&"$tty_err"
		tail -n 40 "$current_log" | sed 's/^/    /' >&"$tty_err"
	fi
}
trap on_exit EXIT
trap 'exit 130' INT TERM

mkdir -p "$cache/logs"
# One build at a time per cache: a second build.sh waits for the first.
exec {lock}>"$cache/lock"
if command -v flock >/dev/null; then flock "$lock"; fi

# report STATUS TAG START [NOTE] prints the one line of an image.
report() {
	local size=""
	[[ $1 == skipped ]] || size=$(docker image inspect -f '{{.Size}}' "$2" |
		awk '{ printf "%.1fMB", $1 / 1e6 }')
	printf '%-8s %-42s %6ss %8s %s\n' "$1" "$2" "$(elapsed "$3")" "$size" "${4:-}"
}

# build_image NAME builds one image unless its HASH tag exists.
build_image() {
	local name=$1 start reason tag
	start=$(now)
	current_log=
	image_id=
	if declare -F "${name}_missing" >/dev/null && reason=$("${name}_missing"); then
		[[ ${CI:-} == true ]] && die "$name: $reason, and under CI=true nothing is skipped"
		report skipped "$repo/$name" "$start" "($reason)"
		return
	fi
	hash=$({
		printf 'arch %s\n' "$goarch"
		printf '%s\n' harness/images/build.sh harness/images/lib.sh | file_digests
		"${name}_inputs"
	} | digest)
	tag=$repo/$name:$hash
	if ! $force && docker image inspect "$tag" >/dev/null 2>&1; then
		docker tag "$tag" "$repo/$name:latest"
		report cached "$tag" "$start"
		return
	fi
	current_log=$cache/logs/$name.log
	if $verbose; then current_log=/dev/stderr; else : >"$current_log"; fi
	{
		echo "== $name $hash"
		"${name}_build"
		"${name}_smoke" "$image_id"
	} >>"$current_log" 2>&1
	docker tag "$image_id" "$tag"
	docker tag "$image_id" "$repo/$name:latest"
	prune "$name" "$hash" >>"$current_log" 2>&1
	cleanup
	current_log=
	report built "$tag" "$start"
}

# prune NAME HASH removes NAME's images of older inputs, except any that a
# container still uses.
prune() {
	local t
	for t in $(docker image ls --format '{{.Tag}}' "$repo/$1"); do
		[[ $t == "$2" || $t == latest ]] && continue
		# A release's image (release.sh) is not an older build of these inputs.
		[[ -z $(docker image inspect -f "{{index .Config.Labels \"$release_label\"}}" "$repo/$1:$t" 2>/dev/null) ]] || continue
		docker image rm "$repo/$1:$t" || echo "kept $repo/$1:$t (in use)"
	done
}

# docker_build CONTEXT [LABEL...] builds the Dockerfile in CONTEXT, labelled
# with its inputs' hash and each LABEL (key=value), and sets image_id.
docker_build() {
	local ctx=$1 l args=()
	shift
	for l in "$@"; do args+=(--label "$l"); done
	docker build --iidfile "$ctx.iid" --label "mimo-harness.inputs=$hash" "${args[@]}" "$ctx"
	image_id=$(<"$ctx.iid")
}

# --- mimo ------------------------------------------------------------------

ca_bundle=/etc/ssl/certs/ca-certificates.crt

# mimo_version is what `mimo version` prints: VERSION if set, else git's
# description of the newest commit that changed Mimo's sources, "-dirty" if
# they have uncommitted changes. Commits elsewhere do not change it, so they
# do not rebuild the image.
mimo_version() {
	if [[ -n ${VERSION:-} ]]; then
		printf '%s\n' "$VERSION"
		return
	fi
	local paths=(go.mod go.sum system) rev v
	if ! rev=$(git -C "$root" rev-list -1 HEAD -- "${paths[@]}" 2>/dev/null) || [[ -z $rev ]]; then
		echo dev
		return
	fi
	v=$(git -C "$root" describe --tags --always "$rev")
	[[ -z $(git -C "$root" status --porcelain -- "${paths[@]}") ]] || v+=-dirty
	printf '%s\n' "$v"
}

mimo_inputs() {
	[[ -f $ca_bundle ]] || die "no $ca_bundle on this machine (install ca-certificates)"
	printf 'version %s\n' "$(mimo_version)"
	go version
	printf 'ca-certificates %s\n' "$(sha256sum <"$ca_bundle" | cut -d' ' -f1)"
	{
		go_source_files ./system/cmd/mimo
		echo harness/images/mimo/Dockerfile
	} | file_digests
}

mimo_build() { mimo_build_from "$root" "$(mimo_version)"; }

# mimo_build_from SRC VERSION [LABEL...] builds Mimo's image from the
# sources in SRC (a module root: go.mod, go.sum, system/), its binary
# saying VERSION, labelled with each LABEL; it sets image_id.
mimo_build_from() {
	local src=$1 version=$2 ctx
	shift 2
	mktempdir ctx
	ctx+=/context
	mkdir -p "$ctx/data" "$ctx/rootfs/tmp" "$ctx/rootfs/etc/ssl/certs"
	chmod 1777 "$ctx/rootfs/tmp"
	cp "$here/mimo/Dockerfile" "$ctx/"
	cp "$ca_bundle" "$ctx/rootfs/etc/ssl/certs/ca-certificates.crt"
	(cd "$src" && go_env go build -trimpath -buildvcs=false \
		-ldflags "-s -w -X main.Version=$version" -o "$ctx/rootfs/mimo" ./system/cmd/mimo)
	docker_build "$ctx" "$@"
}

# mimo_smoke: ready on SQLite in /data, so the data directory is writable.
mimo_smoke() { smoke_http "$1" 4000 /health/ready; }

# --- toxiproxy -------------------------------------------------------------

toxiproxy_inputs() {
	printf 'toxiproxy %s\n' "$toxiproxy_version"
	go version
	echo harness/images/toxiproxy/Dockerfile | file_digests
}

toxiproxy_build() {
	local ctx mod module=github.com/Shopify/toxiproxy/v2
	mktempdir ctx
	mod=$ctx/module
	ctx+=/context
	mkdir -p "$ctx" "$mod"
	cp "$here/toxiproxy/Dockerfile" "$ctx/"
	# A throwaway module, so the project's go.mod does not take on
	# Toxiproxy's dependencies; the build sees the versions its go.mod asks.
	(
		cd "$mod"
		export GOWORK=off GOFLAGS=-mod=mod
		go mod init toxiproxy-build
		go get "$module@$toxiproxy_version"
		go_env go build -trimpath -buildvcs=false \
			-ldflags "-s -w -X $module.Version=$toxiproxy_version" \
			-o "$ctx/toxiproxy" "$module/cmd/server"
	)
	docker_build "$ctx"
}

toxiproxy_smoke() { smoke_http "$1" 8474 /version; }

# --- standin ---------------------------------------------------------------

standin_pkg=./harness/standin/cmd/standin

standin_missing() {
	if [[ -d $root/${standin_pkg#./} ]] &&
		(cd "$root" && go_env go list -f '{{.Name}}' "$standin_pkg" 2>/dev/null) | grep -qx main; then
		return 1
	fi
	echo "no main package at ${standin_pkg#./} yet"
}

standin_inputs() {
	go version
	{
		go_source_files "$standin_pkg"
		echo harness/images/standin/Dockerfile
	} | file_digests
}

standin_build() {
	local ctx
	mktempdir ctx
	ctx+=/context
	mkdir -p "$ctx"
	cp "$here/standin/Dockerfile" "$ctx/"
	(cd "$root" && go_env go build -trimpath -buildvcs=false -ldflags "-s -w" \
		-o "$ctx/standin" "$standin_pkg")
	docker_build "$ctx"
}

# standin_smoke: a control endpoint, which the stand-in does not count as a call.
standin_smoke() { smoke_http "$1" 11434 /_control/counters; }

# --- Debian-based images ---------------------------------------------------

# debian_inputs PKGS FILE... describes a Debian-based image: its root
# filesystem's key (PKGS is a space-separated package list) and its files.
debian_inputs() {
	# shellcheck disable=SC2086 # PKGS is a list
	printf 'rootfs %s\n' "$(rootfs_key $1)"
	shift
	printf '%s\n' harness/images/rootfs.sh "$@" | file_digests
}

# debian_rootfs PKG... sets rootfs_dir to a fresh copy of the cached root
# filesystem with PKG, checking first that this host can debootstrap one for
# the Docker engine's architecture.
debian_rootfs() {
	local host
	[[ -z $SUDO ]] || command -v sudo >/dev/null ||
		die "the Debian-based images need root, or sudo"
	host=$(dpkg --print-architecture 2>/dev/null || echo unknown)
	[[ $host == "$debarch" ]] ||
		die "the Debian-based images need a $debarch host to debootstrap on; this one is $host"
	ensure_rootfs "$@"
	extract_rootfs "$rootfs_tarball"
}

# Debian's name for the engine's architecture (Docker reports Go's).
case $goarch in
arm) debarch=armhf ;;
386) debarch=i386 ;;
ppc64le) debarch=ppc64el ;;
*) debarch=$goarch ;;
esac
base_path=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin

postgres_pkgs=postgresql
# The image's template cluster is made for the user and database the
# harness asks for by default (harness/postgres DefaultUser and
# DefaultDatabase), so that their containers start on it unchanged; any
# other user or database takes one single-user step (postgres/entrypoint.sh).
postgres_template_user=mimo
postgres_template_db=mimo
postgres_inputs() { debian_inputs "$postgres_pkgs" harness/images/postgres/entrypoint.sh; }

postgres_build() {
	local r bin owner
	# shellcheck disable=SC2086 # a list
	debian_rootfs $postgres_pkgs
	r=$rootfs_dir
	bin=
	for b in "$r"/usr/lib/postgresql/*/bin/postgres; do
		[[ -x $b ]] && bin=${b#"$r"/}
	done
	[[ -n $bin ]] || die "no postgres binary in the root filesystem"
	bin=${bin%/postgres}
	owner=$(rootfs_id "$r" postgres)
	# JIT compilation (LLVM, a third of the image) is off in this image; the
	# package's cluster and its configuration are replaced by the entrypoint's
	# template, made by the RUN step of import_rootfs's build.
	$SUDO rm -rf "$r"/usr/lib/postgresql/*/lib/llvmjit* "$r"/usr/lib/postgresql/*/lib/bitcode \
		"$r"/usr/lib/*/libLLVM* "$r"/usr/lib/*/libz3.so* \
		"$r"/var/lib/postgresql/* "$r"/etc/postgresql/*
	$SUDO install -m 755 "$here/postgres/entrypoint.sh" "$r/usr/local/bin/postgres-entrypoint"
	$SUDO install -d -m 700 -o "${owner%:*}" -g "${owner#*:}" "$r/var/lib/postgresql/data"
	$SUDO install -d -m 2775 -o "${owner%:*}" -g "${owner#*:}" "$r/run/postgresql"
	import_rootfs "$r" \
		"ENV PATH=/$bin:$base_path" \
		"ENV PGDATA=/var/lib/postgresql/data" \
		"ENV LANG=C.UTF-8" \
		"USER postgres" \
		"WORKDIR /var/lib/postgresql" \
		"EXPOSE 5432" \
		"STOPSIGNAL SIGINT" \
		'ENTRYPOINT ["/usr/local/bin/postgres-entrypoint"]' \
		"RUN [\"/usr/local/bin/postgres-entrypoint\", \"--make-template\", \"$postgres_template_user\", \"$postgres_template_db\"]"
}

# postgres_smoke starts two containers from the image's template. The
# template's user with another database: the cluster used in place, its
# database swapped for the one asked for, a table written over TCP on the
# container's own address (so through the pg_hba rule for other hosts), a
# fast stop on docker stop, and the table still there after a restart.
# Another user on an empty mount over PGDATA, started as root as with a
# volume: the template copied, owned by postgres with mode 700, its
# superuser renamed and a database made for the new one.
postgres_smoke() {
	local c sql u=$postgres_template_user
	start_container -e POSTGRES_USER="$u" -e POSTGRES_DB=smokedb "$1"
	c=$container
	pg_smoke_ready "$c" "$u" smokedb "postgres:$u smokedb:$u template0:$u template1:$u"
	# shellcheck disable=SC2016 # $$ quotes a string in SQL
	sql='CREATE TABLE smoke (id int PRIMARY KEY, note text); INSERT INTO smoke VALUES (1, $$kept$$)'
	docker exec "$c" psql -v ON_ERROR_STOP=1 -h "$(pg_smoke_ip "$c")" -U "$u" -d smokedb -c "$sql"
	docker stop -t 30 "$c" >/dev/null
	[[ $(docker inspect -f '{{.State.ExitCode}}' "$c") == 0 ]] || die "postgres did not stop cleanly"
	docker start "$c" >/dev/null
	wait_until "$c" "pg_isready after a restart" docker exec "$c" pg_isready -q -U "$u" -d smokedb
	[[ $(docker exec "$c" psql -tA -U "$u" -d smokedb -c 'SELECT note FROM smoke') == kept ]] ||
		die "the table written before the restart is gone"
	echo "smoke test: table kept across a restart"
	remove_container "$c"

	start_container --user root --tmpfs /var/lib/postgresql/data -e POSTGRES_USER=smoke "$1"
	c=$container
	pg_smoke_ready "$c" smoke smoke "postgres:smoke smoke:smoke template0:smoke template1:smoke"
	[[ $(docker exec "$c" stat -c '%a %U' /var/lib/postgresql/data) == "700 postgres" ]] ||
		die "smoke test: the data directory on the mount is not postgres's with mode 700"
	[[ $(docker exec "$c" psql -tA -U smoke -d smoke -c 'SELECT count(*) FROM pg_roles WHERE rolsuper') == 1 ]] ||
		die "smoke test: more than one superuser after the rename"
	remove_container "$c"
}

# pg_smoke_ip ID prints the container's address on its network.
pg_smoke_ip() {
	docker inspect -f '{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}' "$1"
}

# pg_smoke_ready ID USER DB DATABASES waits until the container accepts
# connections, then checks that its first start used the image's template
# and that the cluster has exactly DATABASES ("name:owner", sorted,
# space-separated), asked for over TCP.
pg_smoke_ready() {
	local c=$1 u=$2 db=$3 want=$4 sql got
	wait_until "$c" "pg_isready" docker exec "$c" pg_isready -q -U "$u" -d "$db"
	[[ $(docker logs "$c" 2>&1) == *"; from the image's template)"* ]] ||
		die "smoke test: the first start did not use the image's template"
	sql="SELECT string_agg(datname || ':' || pg_get_userbyid(datdba), ' ' ORDER BY datname) FROM pg_database"
	got=$(docker exec "$c" psql -v ON_ERROR_STOP=1 -tA -h "$(pg_smoke_ip "$c")" -U "$u" -d "$db" -c "$sql")
	[[ $got == "$want" ]] || die "smoke test: the cluster has databases '$got', not '$want'"
	echo "smoke test: databases $got"
}

prometheus_pkgs=prometheus
prometheus_inputs() { debian_inputs "$prometheus_pkgs" harness/images/prometheus/prometheus.yml; }

prometheus_build() {
	local r owner
	# shellcheck disable=SC2086 # a list
	debian_rootfs $prometheus_pkgs
	r=$rootfs_dir
	owner=$(rootfs_id "$r" prometheus)
	# The raw time-zone database of the web UI's date library (200 MB) is
	# not served; the UI uses the built bundle beside it.
	$SUDO rm -rf "$r/usr/share/javascript/moment-timezone/data"
	$SUDO install -m 644 "$here/prometheus/prometheus.yml" "$r/etc/prometheus/prometheus.yml"
	$SUDO install -d -m 755 -o "${owner%:*}" -g "${owner#*:}" "$r/prometheus"
	import_rootfs "$r" \
		"ENV PATH=$base_path" \
		"USER prometheus" \
		"WORKDIR /prometheus" \
		"EXPOSE 9090" \
		'ENTRYPOINT ["/usr/bin/prometheus"]' \
		'CMD ["--config.file=/etc/prometheus/prometheus.yml", "--storage.tsdb.path=/prometheus", "--web.listen-address=:9090", "--web.enable-lifecycle"]'
}

prometheus_smoke() { smoke_http "$1" 9090 /-/ready; }

alertmanager_pkgs=prometheus-alertmanager
alertmanager_inputs() { debian_inputs "$alertmanager_pkgs" harness/images/alertmanager/alertmanager.yml; }

alertmanager_build() {
	local r owner
	# shellcheck disable=SC2086 # a list
	debian_rootfs $alertmanager_pkgs
	r=$rootfs_dir
	owner=$(rootfs_id "$r" prometheus)
	$SUDO install -d -m 755 "$r/etc/alertmanager"
	$SUDO install -m 644 "$here/alertmanager/alertmanager.yml" "$r/etc/alertmanager/alertmanager.yml"
	$SUDO install -d -m 755 -o "${owner%:*}" -g "${owner#*:}" "$r/alertmanager"
	# --cluster.listen-address= turns off high-availability gossip: one
	# instance, ready at once instead of after the cluster settles.
	import_rootfs "$r" \
		"ENV PATH=$base_path" \
		"USER prometheus" \
		"WORKDIR /alertmanager" \
		"EXPOSE 9093" \
		'ENTRYPOINT ["/usr/bin/prometheus-alertmanager"]' \
		'CMD ["--config.file=/etc/alertmanager/alertmanager.yml", "--storage.path=/alertmanager", "--web.listen-address=:9093", "--cluster.listen-address="]'
}

alertmanager_smoke() { smoke_http "$1" 9093 /-/ready; }

if [[ -n $release_ref ]]; then
	build_release "$release_ref"
	exit 0
fi

# Sequential on purpose: two cores, and debootstrap and docker import are
# heavy on the disk.
for name in "${selected[@]}"; do
	build_image "$name"
done
