# shellcheck shell=bash
# lib.sh: helpers shared by build.sh and rootfs.sh — input hashing, temporary
# files and containers that are always cleaned up, and the smoke tests every
# freshly built image passes before it gets its tags. Sourced, never run.

# die prints its message to stderr and stops the build.
die() {
	printf 'images: %s\n' "$*" >&2
	exit 1
}

# now prints the wall-clock time in seconds with a fraction; durations only.
now() {
	if [[ -n ${EPOCHREALTIME:-} ]]; then
		printf '%s\n' "${EPOCHREALTIME/,/.}"
	else
		date +%s.%N
	fi
}

# elapsed START prints the seconds since START, one decimal.
elapsed() {
	awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'
}

# --- cleanup ---------------------------------------------------------------
# Everything a build creates outside the cache is registered here and removed
# on exit, failed or not: temporary directories (which may hold a root
# filesystem with mounts left by an interrupted debootstrap) and containers.

_tmp_dirs=()
_containers=()

# mktempdir VAR sets VAR to a new temporary directory, removed on exit.
mktempdir() {
	local _mtd
	_mtd=$(mktemp -d "${TMPDIR:-/tmp}/mimo-images.XXXXXX")
	_tmp_dirs+=("$_mtd")
	printf -v "$1" '%s' "$_mtd"
}

# track_container ID makes sure the container is removed on exit.
track_container() { _containers+=("$1"); }

# remove_container ID removes one container this build started.
remove_container() {
	docker rm -f "$1" >/dev/null 2>&1 || true
}

# unmount_under DIR unmounts whatever is mounted below DIR, deepest first,
# so that removing DIR can never reach into the host's /proc, /sys or /dev.
unmount_under() {
	local dir m
	dir=$(cd "$1" 2>/dev/null && pwd -P) || return 0
	# /proc/mounts escapes spaces as \040; our directories have none.
	while read -r m; do
		$SUDO umount -l "$m" 2>/dev/null || true
	done < <(awk -v d="$dir/" 'index($2, d) == 1 { print $2 }' /proc/mounts | sort -r)
}

# cleanup removes every container and temporary directory registered so far.
cleanup() {
	local c d
	for c in "${_containers[@]}"; do remove_container "$c"; done
	for d in "${_tmp_dirs[@]}"; do
		[[ -d $d ]] || continue
		unmount_under "$d"
		rm -rf --one-file-system "$d" 2>/dev/null ||
			$SUDO rm -rf --one-file-system "$d" 2>/dev/null || true
	done
	_containers=()
	_tmp_dirs=()
}

# --- input hashing ---------------------------------------------------------
# An image's tag is a hash of everything that decides its content: files
# (by path relative to the repository and content) and facts (versions, the
# package list). The same inputs give the same tag on any machine.

# file_digests reads repository-relative paths on stdin and prints one
# "sha256  path" line per file, sorted, so the order of discovery is moot.
file_digests() {
	(cd "$root" && LC_ALL=C sort -u | xargs -r -d '\n' sha256sum --)
}

# digest reads a description of inputs on stdin and prints its short hash.
digest() {
	sha256sum | cut -c1-16
}

# go_source_files PKG... prints, relative to the repository, every file of
# the main module that goes into building PKG for the image's platform (Go
# files, embedded files, assembly), plus go.mod and go.sum. Tests, and files
# excluded by build constraints, are not inputs: they cannot change the
# binary.
go_source_files() {
	local tmpl f err list
	# shellcheck disable=SC2016 # a Go template, not a shell expansion
	tmpl='{{if and .Module .Module.Main}}{{$d := .Dir}}'
	for f in GoFiles EmbedFiles SFiles HFiles CFiles SysoFiles; do
		tmpl+="{{range .$f}}{{\$d}}/{{.}}{{\"\\n\"}}{{end}}"
	done
	tmpl+='{{end}}'
	# go list's progress (module downloads) is shown only if it fails.
	err=$(mktemp)
	if ! list=$(cd "$root" && go_env go list -deps -f "$tmpl" "$@" 2>"$err"); then
		cat "$err" >&2
		rm -f "$err"
		return 1
	fi
	rm -f "$err"
	printf '%s\n' "$list" | sed "s|^$root/||"
	printf '%s\n' go.mod go.sum
}

# go_env CMD... runs a go command for a static Linux binary of the engine's
# architecture.
go_env() {
	CGO_ENABLED=0 GOOS=linux GOARCH="$goarch" "$@"
}

# --- smoke tests -----------------------------------------------------------

# start_container ARGS... starts a detached container (docker run -d ARGS),
# sets container to its ID and makes sure it is removed on exit.
start_container() {
	container=$(docker run -d "$@")
	track_container "$container"
}

# host_port ID PORT prints the loopback port Docker published for the
# container's PORT.
host_port() {
	local hp
	hp=$(docker port "$1" "$2/tcp" | head -n1)
	printf '%s\n' "${hp##*:}"
}

# http_status PORT PATH prints the status code of GET PATH on the loopback
# PORT. Plain bash, so the host needs no HTTP client.
http_status() {
	local fd proto code
	exec {fd}<>"/dev/tcp/127.0.0.1/$1" || return 1
	printf 'GET %s HTTP/1.0\r\nHost: localhost\r\nConnection: close\r\n\r\n' "$2" >&"$fd"
	read -r -t 10 proto code _ <&"$fd" || { exec {fd}>&-; return 1; }
	exec {fd}>&-
	[[ $proto == HTTP/* ]] || return 1
	printf '%s\n' "$code"
}

# http_ok PORT PATH succeeds when GET PATH answers 200.
http_ok() {
	local code
	code=$(http_status "$1" "$2" 2>/dev/null) && [[ $code == 200 ]]
}

# wait_until ID WHAT CMD... polls CMD until it succeeds. It fails, with the
# container's logs, after $smoke_timeout seconds or as soon as the container
# has stopped.
wait_until() {
	local id=$1 what=$2 start
	shift 2
	start=$SECONDS
	until "$@" 2>/dev/null; do
		if [[ $(docker inspect -f '{{.State.Running}}' "$id") != true ]]; then
			docker logs "$id" 2>&1 | tail -n 40 || true
			die "smoke test: the container stopped before $what"
		fi
		if ((SECONDS - start > smoke_timeout)); then
			docker logs "$id" 2>&1 | tail -n 40 || true
			die "smoke test: no $what after ${smoke_timeout}s"
		fi
		sleep 0.2
	done
	echo "smoke test: $what"
}

# smoke_http IMAGE PORT PATH runs IMAGE with PORT published on loopback and
# waits until GET PATH answers 200. Extra docker run arguments follow "--".
smoke_http() {
	local image=$1 port=$2 path=$3 hp
	shift 3
	[[ ${1:-} == -- ]] && shift
	start_container -p "127.0.0.1::$port" "$@" "$image"
	hp=$(host_port "$container" "$port")
	wait_until "$container" "200 from GET $path" http_ok "$hp" "$path"
	remove_container "$container"
}
